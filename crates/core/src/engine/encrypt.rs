//! Encrypting a plaintext file by splicing `ENC[…]` values over its
//! scalars, and appending the `sops` metadata block.

use super::decrypt::read_metadata;
use super::document::{Ciphertext, EncryptOptions, KeyGroups, Plaintext};
use super::format::Format;
use super::parsed::{parse, Parsed, ParsedDoc};
use super::splice::{apply, place_yaml_block, Splice};
use super::stash::Stash;
use crate::ambiguity::AadGuard;
use crate::crypto::cipher::{DataKey, EncValue, ValueType};
use crate::crypto::mac::{seal_mac, MacHasher};
use crate::error::{Error, Result};
use crate::metadata::{KeyGroup, Metadata, SOPS_FORMAT_VERSION};
use crate::selector::Selector;
use crate::stores::scalar::{
    mac_bytes, sealed_text, sealed_text_in, yaml_render, FloatOut, YamlSlot,
};
use crate::tree::{aad, walk, Leaf, Node, Slot, Value, Visit};
use zeroize::Zeroizing;

/// Encrypts `plain` to the given key groups (Shamir-split across groups
/// when there are several).
pub async fn encrypt(
    plain: &Plaintext,
    groups: &KeyGroups,
    opts: &EncryptOptions,
) -> Result<Ciphertext> {
    if groups.is_empty() || groups.iter().all(|g| g.is_empty()) {
        return Err(Error::NoMasterKeys);
    }
    if groups.iter().any(|g| g.is_empty()) {
        return Err(Error::EmptyKeyGroup);
    }
    if plain.format == Format::Binary {
        let key = DataKey::generate()?;
        let (data, mac) =
            crate::stores::binary::seal_data(plain.expose_bytes(), &key, opts.cipher)?;
        let opts = EncryptOptions {
            selector: Selector::default(),
            mac_only_encrypted: false,
            ..opts.clone()
        };
        let meta = new_metadata(&key, groups, &opts, &mac).await?;
        return Ok(crate::stores::binary::envelope(&data, &meta));
    }
    let src = plain.expose();
    let parsed = parse(src, plain.format)?;
    if parsed.docs.iter().any(|d| d.sops.is_some()) {
        return Err(Error::AlreadyEncrypted);
    }
    if src.is_empty() && plain.format == Format::Yaml {
        return Err(Error::EmptyFile);
    }
    if parsed.docs.is_empty() {
        return Err(Error::Unsupported(
            "the file has no document to encrypt (it is empty or only comments)".into(),
        ));
    }
    let key = DataKey::generate()?;
    let (mut splices, mac) = seal_body(&parsed, &key, opts, None)?;
    let meta = new_metadata(&key, groups, opts, &mac).await?;
    let value = meta.to_value();
    for doc in &parsed.docs {
        let block = sops_block(src, doc, &value, plain.format);
        splices.push((doc.insert_at..doc.insert_at, Zeroizing::new(block)));
    }
    let enc = read_back(Ciphertext {
        text: apply(src, splices),
        format: plain.format,
    })?;
    opens_to_input(&enc, &parsed, &key)?;
    Ok(enc)
}

/// The output decrypts, with its MAC, to the tree that was encrypted: no
/// plaintext left beside a value, no node changed shape.
fn opens_to_input(enc: &Ciphertext, input: &Parsed, key: &DataKey) -> Result<()> {
    let refuse = |why: &str| {
        Error::Unsupported(format!(
            "hush's output would not read back ({why}); nothing was written"
        ))
    };
    let (parsed, meta) = read_metadata(enc)?;
    for doc in &parsed.docs {
        walk(&doc.root, &parsed.anchors, &meta.selector, &mut |v| {
            let l = v.leaf;
            let sealed = l.text.ends_with(']') && EncValue::parse(&l.text).is_ok();
            match !v.encrypt || l.resolved.is_none() || l.text.is_empty() || sealed {
                true => Ok(()),
                false => Err(refuse(&format!("`{}` is not an ENC value", aad(v.path)))),
            }
        })?;
    }
    let opened = super::decrypt::decrypt_with_key(
        enc,
        &parsed,
        &meta,
        key,
        &super::document::DecryptOptions::default(),
        None,
    )
    .map_err(|e| refuse(&e.to_string()))?;
    let reread = parse(opened.expose(), opened.format).map_err(|e| refuse(&e.to_string()))?;
    // Scalars may change spelling (`0o17` is stored as sops reads it), not shape.
    let shapes = |p: &Parsed| -> Vec<Value> {
        p.docs
            .iter()
            .map(|d| shape(crate::tree::to_value(&d.root, &p.anchors)))
            .collect()
    };
    match shapes(&reread) == shapes(input) {
        true => Ok(()),
        false => Err(refuse("it decrypts to another structure than the input")),
    }
}

/// `v` with every scalar emptied: its keys, lists and nulls only.
fn shape(v: Value) -> Value {
    match v {
        Value::Scalar(_) => Value::Scalar(String::new()),
        Value::Seq(items) => Value::Seq(items.into_iter().map(shape).collect()),
        Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, shape(v))).collect()),
        Value::Null => Value::Null,
    }
}

/// An output is handed out only if it reads back: it parses, and every
/// document carries the metadata. Else it is an error and nothing is written.
pub(crate) fn read_back(enc: Ciphertext) -> Result<Ciphertext> {
    let check = read_metadata(&enc).and_then(|(parsed, _)| {
        match parsed.docs.iter().all(|d| d.sops.is_some()) {
            true => Ok(()),
            false => Err(Error::corrupt("a document has no sops metadata")),
        }
    });
    match check {
        Ok(()) => Ok(enc),
        Err(e) => Err(Error::Unsupported(format!(
            "hush's output would not read back ({e}); nothing was written"
        ))),
    }
}

/// The metadata of a newly encrypted file: the data key wrapped for
/// `groups`, the MAC sealed now.
async fn new_metadata(
    key: &DataKey,
    groups: &KeyGroups,
    opts: &EncryptOptions,
    mac: &str,
) -> Result<Metadata> {
    let lastmodified = crate::time::now_rfc3339();
    Ok(Metadata {
        groups: wrap_data_key(key, groups, opts.shamir_threshold).await?,
        // As sops: the threshold given, else every group when there are several.
        shamir_threshold: opts
            .shamir_threshold
            .or((groups.len() > 1).then_some(groups.len() as u32)),
        mac: seal_mac(key, opts.cipher, mac, &lastmodified)?,
        lastmodified,
        version: SOPS_FORMAT_VERSION.into(),
        selector: opts.selector.clone(),
        mac_only_encrypted: opts.mac_only_encrypted,
    })
}

/// Encrypts every selected value of a parsed plaintext file; returns the
/// splices and the hex MAC. With a stash, unchanged values keep their IV.
pub(crate) fn seal_body(
    parsed: &Parsed,
    key: &DataKey,
    opts: &EncryptOptions,
    mut stash: Option<&mut Stash>,
) -> Result<(Vec<Splice>, String)> {
    let mut mac = MacHasher::new(opts.mac_only_encrypted);
    let mut splices = Vec::new();
    let mut aads = AadGuard::default();
    // Scalars encrypted in place (anchors come before their aliases).
    let mut sealed = std::collections::HashSet::new();
    for doc in &parsed.docs {
        walk(&doc.root, &parsed.anchors, &opts.selector, &mut |v| {
            if v.encrypt && !v.leaf.is_comment() && !v.leaf.text.is_empty() {
                aads.check(v.path, &aad(v.path))?;
                if !v.aliased {
                    sealed.insert(v.leaf.span.start);
                }
            }
            if !v.encrypt {
                splices.extend(strip_at_open_end(v.leaf, &parsed.open_end));
                if sealed.contains(&v.leaf.span.start) {
                    if v.alias_span.is_none() {
                        return Err(Error::Unsupported(format!(
                            "an alias at `{}` points to a collection with values that would be encrypted where the alias stays plaintext; sops expands aliases and could not verify it",
                            aad(v.path)
                        )));
                    }
                    splices.extend(expand_plain_alias(&v));
                }
            }
            encrypt_leaf(&v, key, opts, stash.as_deref_mut(), &mut mac, &mut splices)
        })?;
    }
    Ok((splices, mac.finish()))
}

/// An alias left in plaintext to a scalar that gets encrypted: sops expands
/// it to the value, so hush writes the value there (double-quoted).
fn expand_plain_alias(v: &Visit) -> Option<Splice> {
    let (at, resolved) = (v.alias_span.clone()?, v.leaf.resolved?);
    let (vtype, text) = sealed_text(resolved, &v.leaf.text);
    Some((
        at,
        Zeroizing::new(yaml_render(vtype, &text, YamlSlot::Double)),
    ))
}

/// A plaintext block scalar that ends a file with no final line break reads
/// as stripped; once the `sops:` block follows it, its header must say so
/// (`|` becomes `|-`). Decryption writes it back as `|`.
fn strip_at_open_end(leaf: &Leaf, open_end: &Option<(usize, String)>) -> Option<Splice> {
    let (end, head) = open_end.as_ref()?;
    let h = leaf.header.clone().filter(|_| leaf.span.end == *end)?;
    let strip = format!("{}-", head.replace(['-', '+'], ""));
    Some((h, Zeroizing::new(strip)))
}

/// Wraps the data key for every key of one group, or splits it into one
/// Shamir share per group and wraps each share for its group's keys.
pub(crate) async fn wrap_data_key(
    key: &DataKey,
    groups: &KeyGroups,
    threshold: Option<u32>,
) -> Result<Vec<KeyGroup>> {
    let shares = if groups.len() > 1 {
        let t = threshold.map_or(groups.len(), |t| t as usize);
        crate::crypto::shamir::split(key.expose(), groups.len(), t)?
    } else {
        vec![Zeroizing::new(key.expose().to_vec())]
    };
    let mut out = Vec::with_capacity(groups.len());
    // Every key is tried, so one run reports every key that fails.
    let mut report = String::new();
    for (group, share) in groups.iter().zip(&shares) {
        let mut wrapped = KeyGroup::default();
        for mk in group {
            match mk.wrap(share).await {
                Ok(entry) => wrapped.keys.push(entry),
                Err(e) => {
                    report.push_str("\n  ");
                    report.push_str(&e.to_string());
                }
            }
        }
        out.push(wrapped);
    }
    if report.is_empty() {
        Ok(out)
    } else {
        Err(Error::Wrap(report))
    }
}

fn encrypt_leaf(
    v: &Visit,
    key: &DataKey,
    opts: &EncryptOptions,
    mut stash: Option<&mut Stash>,
    mac: &mut MacHasher,
    out: &mut Vec<Splice>,
) -> Result<()> {
    let leaf = v.leaf;
    let path = aad(v.path);
    let mut iv = |vtype: ValueType, text: &str| {
        stash
            .as_deref_mut()
            .and_then(|s| s.take(&path, vtype, text))
    };
    let Some(resolved) = leaf.resolved else {
        if v.encrypt && !leaf.text.is_empty() {
            let ev = EncValue::seal(
                opts.cipher,
                key,
                leaf.text.as_bytes(),
                path.as_bytes(),
                ValueType::Comment,
                iv(ValueType::Comment, &leaf.text).as_deref(),
            )?;
            out.push((leaf.span.clone(), Zeroizing::new(ev.to_string())));
        }
        return Ok(());
    };
    let style = match leaf.slot {
        crate::tree::Slot::Json => FloatOut::Json,
        _ => FloatOut::Yaml,
    };
    let (vtype, text) = sealed_text_in(resolved, &leaf.text, style);
    if !opts.mac_only_encrypted || v.encrypt {
        mac.update(&mac_bytes(vtype, &text).unwrap_or_default());
    }
    if !v.encrypt || text.is_empty() {
        return Ok(());
    }
    // sops expands an alias to an encrypted scalar: so does hush, at the
    // `*name` token, quoted (it may sit in a flow collection). An alias to
    // a collection is refused.
    let alias = match (&v.alias_span, v.aliased) {
        (Some(at), true) => Some(at.clone()),
        (None, true) => {
            return Err(Error::Unsupported(format!(
                "an alias at `{path}` points to a collection with values that would be encrypted; sops expands aliases and could not decrypt it"
            )))
        }
        _ => None,
    };
    let ev = EncValue::seal(
        opts.cipher,
        key,
        text.as_bytes(),
        path.as_bytes(),
        vtype,
        iv(vtype, &text).as_deref(),
    )?
    .to_string();
    match alias {
        Some(at) => out.push((at, Zeroizing::new(format!("\"{ev}\"")))),
        None => out.extend(enc_splices(leaf, ev)),
    }
    Ok(())
}

/// Where an `ENC[…]` goes for a leaf, keeping the scalar's style.
fn enc_splices(leaf: &Leaf, ev: String) -> Vec<Splice> {
    match leaf.slot {
        Slot::Yaml(YamlSlot::Double) | Slot::Json => {
            vec![(leaf.span.clone(), Zeroizing::new(format!("\"{ev}\"")))]
        }
        Slot::Yaml(YamlSlot::Single) => {
            vec![(leaf.span.clone(), Zeroizing::new(format!("'{ev}'")))]
        }
        Slot::Yaml(YamlSlot::Block { folded, indent, .. }) => {
            let mut v = vec![(
                leaf.span.clone(),
                Zeroizing::new(format!("{}{ev}", " ".repeat(indent))),
            )];
            if let Some(h) = &leaf.header {
                v.push((
                    h.clone(),
                    Zeroizing::new(if folded { ">-" } else { "|-" }.to_string()),
                ));
            }
            v
        }
        Slot::Yaml(YamlSlot::Plain { flow: true, .. }) => {
            vec![(
                leaf.span.clone(),
                Zeroizing::new(format!("\"\\x45{}\"", &ev[1..])),
            )]
        }
        Slot::Yaml(YamlSlot::Plain { .. }) | Slot::Comment | Slot::Dotenv | Slot::Ini { .. } => {
            vec![(leaf.span.clone(), Zeroizing::new(ev))]
        }
    }
}

pub(crate) fn sops_block(src: &str, doc: &ParsedDoc, meta: &Value, format: Format) -> String {
    match format {
        Format::Yaml if doc.flow => {
            // Inside the root's braces, in JSON (which YAML reads as flow).
            let prev = src[..doc.insert_at].trim_end().chars().last();
            let sep = if matches!(prev, Some('{' | ',')) {
                ""
            } else {
                ", "
            };
            format!(
                "{sep}\"sops\": {}",
                crate::metadata::json_value(meta, 0, &doc.indent)
            )
        }
        Format::Yaml => {
            let entry = crate::metadata::yaml_entry("sops", meta, doc.indent.len());
            place_yaml_block(src, doc.insert_at, &at_root_column(src, &doc.root, &entry))
        }
        Format::Dotenv => place_yaml_block(src, doc.insert_at, &crate::stores::dotenv::block(meta)),
        Format::Ini => place_yaml_block(src, doc.insert_at, &crate::stores::ini::block(meta)),
        Format::Json | Format::Binary => {
            let has_members = matches!(&doc.root, Node::Map(m) if !m.is_empty());
            let sep = if has_members { "," } else { "" };
            let unit = &doc.indent;
            let close = if has_members { "" } else { "\n" };
            format!(
                "{sep}\n{unit}\"sops\": {}{close}",
                crate::metadata::json_value(meta, 1, unit)
            )
        }
    }
}

/// Indents a YAML entry to the column of the root mapping's keys: a root
/// mapping may be indented (`  a: 1`), and an entry at column 0 after it
/// would end the document (found by the yaml_splice fuzz target).
fn at_root_column(src: &str, root: &Node, entry: &str) -> String {
    let Node::Map(items) = root else {
        return entry.to_string();
    };
    let Some(at) = items.iter().find(|i| i.key.is_some()).map(|i| i.at) else {
        return entry.to_string();
    };
    let col = at - src[..at].rfind('\n').map_or(0, |p| p + 1);
    if col == 0 || !src[at - col..at].bytes().all(|b| b == b' ') {
        return entry.to_string();
    }
    let pad = " ".repeat(col);
    entry
        .split_inclusive('\n')
        .map(|l| format!("{pad}{l}"))
        .collect()
}
