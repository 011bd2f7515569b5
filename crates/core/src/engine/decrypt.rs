//! Decrypting an encrypted file: recovering the data key, opening every
//! `ENC[…]` value in its slot's style, and checking the MAC.

use super::document::{Ciphertext, DecryptOptions, FlatValue, Plaintext};
use super::format::Format;
use super::parsed::{flat_leaves, parse, Parsed};
use super::splice::{apply, Splice};
use super::stash::Stash;
use crate::crypto::cipher::{DataKey, EncValue, ValueType};
use crate::crypto::mac::{open_mac, MacHasher};
use crate::error::{Error, Result};
use crate::keys::Unwrapper;
use crate::metadata::Metadata;
use crate::stores::flat::value_text;
use crate::stores::scalar::{json_render, mac_bytes, sealed_text, yaml_render, Resolved, YamlSlot};
use crate::tree::{aad, walk, Leaf, Slot, Visit};
use zeroize::Zeroizing;

/// Reads the metadata of an encrypted file.
pub fn metadata(enc: &Ciphertext) -> Result<Metadata> {
    Ok(read_metadata(enc)?.1)
}

/// Decrypts a file, verifying its MAC unless told not to.
pub async fn decrypt(
    enc: &Ciphertext,
    unwrappers: &[&dyn Unwrapper],
    opts: &DecryptOptions,
) -> Result<Plaintext> {
    let (parsed, meta, key) = unlock(enc, unwrappers, opts).await?;
    decrypt_with_key(enc, &parsed, &meta, &key, opts, None)
}

/// Decrypts a file with its data key taken from `cache`: files that share a
/// wrapped data key cost one unwrap between them (for many files at once).
pub async fn decrypt_cached(
    enc: &Ciphertext,
    unwrappers: &[&dyn Unwrapper],
    opts: &DecryptOptions,
    cache: &crate::keys::cache::DataKeyCache,
) -> Result<Plaintext> {
    let (parsed, meta) = read_metadata(enc)?;
    let key = cache
        .data_key(&meta, unwrappers, &opts.decryption_order)
        .await?;
    decrypt_with_key(enc, &parsed, &meta, &key, opts, None)
}

/// Parses an encrypted file, reads its metadata and recovers the data key.
pub(crate) async fn unlock(
    enc: &Ciphertext,
    unwrappers: &[&dyn Unwrapper],
    opts: &DecryptOptions,
) -> Result<(Parsed, Metadata, DataKey)> {
    let (parsed, meta) = read_metadata(enc)?;
    let key = crate::keys::unwrap_data_key(&meta, unwrappers, &opts.decryption_order).await?;
    Ok((parsed, meta, key))
}

/// Whether a YAML text has a top-level `sops:` key, by its lines.
fn has_sops_key(text: &str) -> bool {
    text.starts_with("sops:") || text.contains("\nsops:")
}

pub(crate) fn read_metadata(enc: &Ciphertext) -> Result<(Parsed, Metadata)> {
    let parsed = parse(enc.as_str(), enc.format).map_err(|e| match e {
        // sops reads the metadata first, then fails walking the tree.
        Error::TreeWalk { reason, .. } if has_sops_key(enc.as_str()) => Error::TreeWalk {
            reason,
            decrypting: true,
        },
        Error::TreeWalk { .. } => Error::NotEncrypted,
        Error::KeyAnchor { line, .. } if has_sops_key(enc.as_str()) => Error::KeyAnchor {
            line,
            decrypting: true,
        },
        e => e,
    })?;
    let first = parsed
        .docs
        .first()
        .and_then(|d| d.sops.as_ref())
        .ok_or(Error::NotEncrypted)?;
    let meta = Metadata::from_value(&first.0)?;
    Ok((parsed, meta))
}

pub(crate) fn decrypt_with_key(
    enc: &Ciphertext,
    parsed: &Parsed,
    meta: &Metadata,
    key: &DataKey,
    opts: &DecryptOptions,
    mut stash: Option<&mut Stash>,
) -> Result<Plaintext> {
    if enc.format == Format::Binary {
        return crate::stores::binary::open(parsed, meta, key, opts);
    }
    let src = enc.text.as_str();
    let mut mac = MacHasher::new(meta.mac_only_encrypted);
    let mut splices = Vec::new();
    // Where the plaintext will end: before a last `sops:` block that ends the file.
    let eof = match parsed.docs.last().and_then(|d| d.sops.as_ref()) {
        Some((_, r)) if r.end == src.len() && !src.ends_with('\n') => r.start,
        _ => usize::MAX,
    };
    let ctx = LeafCtx {
        src,
        key,
        mac_only: meta.mac_only_encrypted,
        eof,
        crlf: src.contains("\r\n"),
        flat: Default::default(),
    };
    for doc in &parsed.docs {
        walk(&doc.root, &parsed.anchors, &meta.selector, &mut |v| {
            decrypt_leaf(&v, &ctx, &mut mac, &mut splices, stash.as_deref_mut())
        })?;
        if let Some((_, range)) = &doc.sops {
            // A first document that is nothing but the `sops:` block is how
            // sops writes an empty one: sops prints it as `{}`.
            let empty = enc.format == Format::Yaml && range.start == 0;
            let text = if empty { "{}\n" } else { "" };
            splices.push((range.clone(), Zeroizing::new(text.to_string())));
        }
    }
    if !opts.ignore_mac {
        let stored = open_mac(key, &meta.mac, &meta.lastmodified)?;
        if stored != mac.finish() {
            return Err(Error::MacMismatch);
        }
    }
    let plain = Plaintext::new(apply(src, splices), enc.format);
    Ok(exact_values(plain, ctx.flat.into_inner()))
}

/// Attaches the decrypted dotenv and INI values that their lines do not
/// say exactly (see [`FlatValue`]).
fn exact_values(
    plain: Plaintext,
    values: Vec<(String, ValueType, Zeroizing<String>)>,
) -> Plaintext {
    // Only a typed value, or a text its line may read otherwise (escapes,
    // quotes, comment marks, edge spaces), can need an entry.
    let lossy = |(_, t, v): &(String, ValueType, Zeroizing<String>)| {
        *t != ValueType::Str
            || v.contains(['\\', '"', '\'', '`', '#', ';', '\n', '\r'])
            || v.trim() != v.as_str()
    };
    if !values.iter().any(lossy) {
        return plain;
    }
    // Output that does not parse back (go-ini's `"""x`) is still output.
    let Ok(mut parsed) = parse(plain.expose(), plain.format) else {
        return plain;
    };
    let mut reads = Vec::new();
    for doc in &mut parsed.docs {
        flat_leaves(&mut doc.root, &mut |path, l| {
            reads.push((path, l.text.clone()))
        });
    }
    let mut plain = plain;
    for (path, vtype, text) in values {
        let Some((_, read)) = reads.iter().find(|(p, _)| *p == path) else {
            continue;
        };
        let t = match vtype {
            ValueType::Int => Resolved::Int,
            ValueType::Float => Resolved::Float,
            ValueType::Bool => Resolved::Bool,
            ValueType::Time => Resolved::Time,
            _ => Resolved::Str,
        };
        let read = read.clone();
        plain = plain.with_value(FlatValue {
            path,
            t,
            text,
            read,
        });
    }
    plain
}

/// What every leaf of one decryption shares.
struct LeafCtx<'a> {
    src: &'a str,
    key: &'a DataKey,
    mac_only: bool,
    /// The byte where the plaintext ends with no final line break, if so.
    eof: usize,
    /// The file breaks lines with CRLF: block scalars are written so too.
    crlf: bool,
    /// Decrypted dotenv and INI values: (AAD path, type, text).
    flat: std::cell::RefCell<Vec<(String, ValueType, Zeroizing<String>)>>,
}

fn decrypt_leaf(
    v: &Visit,
    cx: &LeafCtx,
    mac: &mut MacHasher,
    out: &mut Vec<Splice>,
    stash: Option<&mut Stash>,
) -> Result<()> {
    let (src, key, mac_only) = (cx.src, cx.key, cx.mac_only);
    let leaf = v.leaf;
    let Some(resolved) = leaf.resolved else {
        if v.encrypt && EncValue::looks_encrypted(&leaf.text) {
            // sops hashes a comment tagged with a value type as a value, so
            // such a comment only comes from tampering: refuse it.
            if let Ok(ev) = EncValue::parse(&leaf.text) {
                if ev.vtype != ValueType::Comment {
                    return Err(Error::corrupt(format!(
                        "a comment under `{}` has type {}",
                        aad(v.path),
                        ev.vtype.as_str()
                    )));
                }
            }
            if let Some((text, iv)) = open_comment(&leaf.text, key, v.path) {
                if let (Some(st), Some(iv)) = (stash, iv) {
                    st.record(&aad(v.path), ValueType::Comment, &text, &iv);
                }
                out.push((leaf.span.clone(), Zeroizing::new(text)));
            }
        }
        return Ok(());
    };
    let path = aad(v.path);
    if !v.encrypt || leaf.text.is_empty() {
        if !mac_only || v.encrypt {
            let (vtype, text) = sealed_text(resolved, &leaf.text);
            mac.update(&mac_bytes(vtype, &text).unwrap_or_default());
        }
        // Undo `strip_at_open_end`: the file ends here again.
        if let Some(h) = leaf.header.clone().filter(|_| leaf.span.end == cx.eof) {
            out.push((h.clone(), Zeroizing::new(src[h].replace('-', ""))));
        }
        return Ok(());
    }
    if v.aliased || resolved != Resolved::Str || !EncValue::looks_encrypted(&leaf.text) {
        return Err(Error::corrupt(format!(
            "the value at `{path}` should be encrypted but is plaintext"
        )));
    }
    let ev =
        EncValue::parse(&leaf.text).map_err(|e| Error::corrupt(format!("at `{path}`: {e}")))?;
    if ev.vtype == ValueType::Comment {
        return list_comment(v, &ev, key, &path, src, out);
    }
    let mut plain = ev
        .open(key, path.as_bytes())
        .ok_or_else(|| Error::ValueDecrypt { path: path.clone() })?;
    let text = Zeroizing::new(
        String::from_utf8(std::mem::take(&mut *plain))
            .map_err(|_| Error::corrupt(format!("the value at `{path}` is not UTF-8")))?,
    );
    let bytes = mac_bytes(ev.vtype, &text).ok_or_else(|| {
        Error::corrupt(format!(
            "the value at `{path}` does not parse as {}",
            ev.vtype.as_str()
        ))
    })?;
    mac.update(&bytes);
    if let Some(st) = stash {
        st.record(&path, ev.vtype, &text, &ev.iv);
    }
    if matches!(leaf.slot, Slot::Dotenv | Slot::Ini { .. }) {
        cx.flat
            .borrow_mut()
            .push((path.clone(), ev.vtype, text.clone()));
    }
    let mut splices = plain_splices(leaf, ev.vtype, &text, leaf.span.end == cx.eof);
    if cx.crlf && matches!(leaf.slot, Slot::Yaml(YamlSlot::Block { .. })) {
        for (_, t) in &mut splices {
            if t.contains('\n') && !t.contains('\r') {
                *t = Zeroizing::new(t.replace('\n', "\r\n"));
            }
        }
    }
    out.extend(splices);
    Ok(())
}

/// sops writes an encrypted comment that sat in a list as a list item
/// (`- ENC[…,type:comment]`); it becomes a comment line again. Like every
/// comment it is not part of the MAC (checked against sops 3.11 files).
fn list_comment(
    v: &Visit,
    ev: &EncValue,
    key: &DataKey,
    path: &str,
    src: &str,
    out: &mut Vec<Splice>,
) -> Result<()> {
    let leaf = v.leaf;
    if !v.in_seq {
        return Err(Error::corrupt(format!(
            "the value at `{path}` has type comment"
        )));
    }
    let plain = ev
        .open(key, path.as_bytes())
        .ok_or_else(|| Error::ValueDecrypt {
            path: path.to_string(),
        })?;
    let text = String::from_utf8(plain.to_vec())
        .map_err(|_| Error::corrupt(format!("a comment at `{path}` is not UTF-8")))?;
    let before = src[..leaf.span.start].trim_end_matches(' ');
    if let Some(dashless) = before.strip_suffix('-') {
        out.push((
            dashless.len()..leaf.span.end,
            Zeroizing::new(format!("#{text}")),
        ));
        // A list of nothing but comments is `[]` to sops: keep it a list.
        let key_end = dashless.trim_end().len();
        if v.first_of_comment_list && before[..key_end].ends_with(':') {
            out.push((key_end..key_end, Zeroizing::new(" []".into())));
        }
    }
    Ok(())
}

/// Comments are tried with their path, then each enclosing path, as their
/// place in sops's tree can differ; one that opens with none stays as is.
/// Returns the text, and the IV when the comment's own path was its AAD.
fn open_comment(text: &str, key: &DataKey, path: &[&str]) -> Option<(String, Option<Vec<u8>>)> {
    let ev = EncValue::parse(text).ok()?;
    (0..=path.len()).rev().find_map(|n| {
        let plain = ev.open(key, aad(&path[..n]).as_bytes())?;
        let iv = (n == path.len()).then(|| ev.iv.clone());
        Some((String::from_utf8(plain.to_vec()).ok()?, iv))
    })
}

/// Writes a decrypted value back in the style of the slot.
/// `at_eof`: the value ends a file that has no final line break, where a
/// clipped block (`|`) reads as a stripped one (`|-`); `|` is written.
fn plain_splices(leaf: &Leaf, vtype: ValueType, text: &str, at_eof: bool) -> Vec<Splice> {
    match leaf.slot {
        Slot::Json => vec![(leaf.span.clone(), Zeroizing::new(json_render(vtype, text)))],
        Slot::Yaml(slot @ YamlSlot::Block { .. }) => {
            let r = yaml_render(vtype, text, slot);
            match (&leaf.header, r.split_once('\n')) {
                (Some(h), Some((head, body))) if r.starts_with(['|', '>']) => {
                    let head = match head.strip_suffix('-') {
                        Some(clip) if at_eof => clip,
                        _ => head,
                    };
                    // Nothing follows the span at the end of the file: a
                    // value's last line break is written with it.
                    let body = match at_eof && text.ends_with('\n') {
                        true => format!("{body}\n"),
                        false => body.to_string(),
                    };
                    vec![
                        (h.clone(), Zeroizing::new(head.to_string())),
                        (leaf.span.clone(), Zeroizing::new(body)),
                    ]
                }
                (Some(h), _) => {
                    // Not representable as a block: a quoted scalar replaces header and body.
                    vec![(h.start..leaf.span.end, Zeroizing::new(r))]
                }
                (None, _) => vec![(leaf.span.clone(), Zeroizing::new(r))],
            }
        }
        Slot::Yaml(slot) => vec![(
            leaf.span.clone(),
            Zeroizing::new(yaml_render(vtype, text, slot)),
        )],
        Slot::Comment => vec![(leaf.span.clone(), Zeroizing::new(text.to_string()))],
        Slot::Dotenv => vec![(
            leaf.span.clone(),
            Zeroizing::new(crate::stores::dotenv::render(&value_text(vtype, text))),
        )],
        Slot::Ini { bare } => vec![(
            leaf.span.clone(),
            Zeroizing::new(crate::stores::ini::render(&value_text(vtype, text), bare)),
        )],
    }
}
