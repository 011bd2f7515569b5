//! Encrypting and decrypting whole files by splicing: every byte outside
//! the replaced scalars stays as it was.

use crate::ambiguity::AadGuard;
use crate::cipher::{Cipher, DataKey, EncValue, ValueType};
use crate::error::{Error, Result};
use crate::keys::{MasterKey, Unwrapper};
use crate::mac::{open_mac, seal_mac, MacHasher};
use crate::metadata::{KeyGroup, Metadata, SOPS_FORMAT_VERSION};
use crate::scalar::{json_render, mac_bytes, sealed_text, yaml_render, Resolved, YamlSlot};
use crate::selector::Selector;
use crate::tree::{aad, walk, Leaf, Node, Slot, Value, Visit};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use zeroize::Zeroizing;

/// The file formats (sops's stores).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// YAML, one or more documents.
    Yaml,
    /// JSON, one object.
    Json,
    /// dotenv: `KEY=value` lines and `#` comments.
    Dotenv,
    /// INI: sections of `key = value`.
    Ini,
    /// Any bytes, stored encrypted as one `data` value in a JSON envelope.
    Binary,
}

impl Format {
    /// The format sops picks for a file name: `.yaml`/`.yml`, `.json`,
    /// `.env`, `.ini`, and binary for anything else (stdin included).
    pub fn from_path(path: &str) -> Self {
        if path.ends_with(".yaml") || path.ends_with(".yml") {
            Format::Yaml
        } else if path.ends_with(".json") {
            Format::Json
        } else if path.ends_with(".env") {
            Format::Dotenv
        } else if path.ends_with(".ini") {
            Format::Ini
        } else {
            Format::Binary
        }
    }

    /// The format's name as sops spells it (`--input-type`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
            Format::Dotenv => "dotenv",
            Format::Ini => "ini",
            Format::Binary => "binary",
        }
    }
}

/// A plaintext file. Its bytes are zeroed when dropped. Every format but
/// [`Format::Binary`] holds UTF-8 text.
pub struct Plaintext {
    text: Zeroizing<Vec<u8>>,
    /// The format.
    pub format: Format,
}

impl Plaintext {
    /// Wraps plaintext text.
    pub fn new(text: String, format: Format) -> Self {
        Plaintext {
            text: Zeroizing::new(text.into_bytes()),
            format,
        }
    }

    /// Wraps plaintext bytes: any bytes for [`Format::Binary`], UTF-8 text
    /// for the other formats.
    pub fn from_bytes(bytes: Vec<u8>, format: Format) -> Result<Self> {
        let bytes = Zeroizing::new(bytes);
        if format != Format::Binary && std::str::from_utf8(&bytes).is_err() {
            return Err(Error::Syntax {
                format: format.name(),
                reason: "the file is not UTF-8 text".into(),
            });
        }
        Ok(Plaintext {
            text: bytes,
            format,
        })
    }

    /// The text. A binary file whose bytes are not UTF-8 has no text: this
    /// is then empty, and [`Plaintext::expose_bytes`] has its content.
    pub fn expose(&self) -> &str {
        std::str::from_utf8(&self.text).unwrap_or_default()
    }

    /// The raw bytes (what a decrypted file is written as).
    pub fn expose_bytes(&self) -> &[u8] {
        &self.text
    }
}

impl std::fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Plaintext({:?}, {} bytes, [REDACTED])",
            self.format,
            self.text.len()
        )
    }
}

/// An encrypted file: safe to write anywhere.
#[derive(Clone, Debug)]
pub struct Ciphertext {
    text: String,
    /// The format.
    pub format: Format,
}

impl Ciphertext {
    /// Wraps encrypted text (not checked until decrypted).
    pub fn new(text: String, format: Format) -> Self {
        Ciphertext { text, format }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether this text carries sops metadata (a top-level `sops` key).
    pub fn is_encrypted(text: &str, format: Format) -> Result<bool> {
        Ok(parse(text, format)?.docs.iter().any(|d| d.sops.is_some()))
    }
}

/// How to encrypt.
#[derive(Clone, Debug, Default)]
pub struct EncryptOptions {
    /// What gets encrypted.
    pub selector: Selector,
    /// Hash only encrypted values into the MAC.
    pub mac_only_encrypted: bool,
    /// The AEAD.
    pub cipher: Cipher,
    /// With several key groups: how many must join to rebuild the data key
    /// (default: all of them).
    pub shamir_threshold: Option<u32>,
}

/// How to decrypt.
#[derive(Clone, Debug)]
pub struct DecryptOptions {
    /// Skip MAC verification (`--ignore-mac`).
    pub ignore_mac: bool,
    /// Key types to try first, in order (`--decryption-order`).
    pub decryption_order: Vec<String>,
}

impl Default for DecryptOptions {
    fn default() -> Self {
        DecryptOptions {
            ignore_mac: false,
            decryption_order: crate::keys::DEFAULT_DECRYPTION_ORDER
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// Master keys by group: one inner list per key group.
pub type KeyGroups = Vec<Vec<Arc<dyn MasterKey>>>;

/// A format-independent view of a parsed file.
pub(crate) struct Parsed {
    pub docs: Vec<ParsedDoc>,
    pub anchors: HashMap<usize, Node>,
    /// YAML with no final line break, ending in a block scalar: that
    /// scalar's end and header token (`|`, `>2+`, …). It is clipped by the
    /// end of the file, not by a line break.
    pub open_end: Option<(usize, String)>,
}

pub(crate) struct ParsedDoc {
    pub root: Node,
    pub sops: Option<(Value, Range<usize>)>,
    /// YAML only: the `sops:` block's scalar fields, for in-place updates.
    pub sops_fields: Vec<(String, Leaf)>,
    pub insert_at: usize,
    pub indent: String,
    /// YAML only: the root is a flow mapping; `sops` goes inside its braces.
    pub flow: bool,
}

pub(crate) fn parse(text: &str, format: Format) -> Result<Parsed> {
    Ok(match format {
        Format::Yaml => {
            let f = crate::yaml::parse(text)?;
            let docs: Vec<ParsedDoc> = f
                .docs
                .into_iter()
                .map(|d| ParsedDoc {
                    root: d.root,
                    sops_fields: d
                        .sops
                        .as_ref()
                        .map(|s| s.fields.clone())
                        .unwrap_or_default(),
                    sops: d.sops.map(|s| (s.value, s.range)),
                    insert_at: d.end,
                    indent: " ".repeat(d.indent),
                    flow: d.flow,
                })
                .collect();
            Parsed {
                open_end: open_end(text, &docs),
                docs,
                anchors: f.anchors,
            }
        }
        Format::Json => parse_json(text)?,
        // Not a JSON envelope: a plain binary file, not encrypted.
        Format::Binary => parse_json(text).unwrap_or(Parsed {
            docs: Vec::new(),
            anchors: HashMap::new(),
            open_end: None,
        }),
        Format::Dotenv => {
            let f = crate::dotenv::parse(text)?;
            flat_doc(f.root, f.sops, text)
        }
        Format::Ini => {
            let f = crate::ini::parse(text)?;
            flat_doc(f.root, f.sops, text)
        }
    })
}

fn open_end(text: &str, docs: &[ParsedDoc]) -> Option<(usize, String)> {
    fn find(n: &Node, end: usize) -> Option<Range<usize>> {
        match n {
            Node::Leaf(l) if l.span.end == end => l.header.clone(),
            Node::Map(items) | Node::Seq(items) => items.last().and_then(|i| find(&i.node, end)),
            _ => None,
        }
    }
    if text.ends_with('\n') {
        return None;
    }
    let h = find(&docs.last()?.root, text.len())?;
    Some((text.len(), text[h].to_string()))
}

fn parse_json(text: &str) -> Result<Parsed> {
    let f = crate::json::parse(text)?;
    let doc = ParsedDoc {
        root: f.root,
        sops: f.sops,
        sops_fields: Vec::new(),
        insert_at: f.insert_at,
        indent: f.indent,
        flow: false,
    };
    Ok(Parsed {
        docs: vec![doc],
        anchors: HashMap::new(),
        open_end: None,
    })
}

/// One dotenv or INI document; the metadata goes at the end.
fn flat_doc(root: Node, sops: Option<(Value, Range<usize>)>, text: &str) -> Parsed {
    Parsed {
        docs: vec![ParsedDoc {
            root,
            sops,
            sops_fields: Vec::new(),
            insert_at: text.len(),
            indent: String::new(),
            flow: false,
        }],
        anchors: HashMap::new(),
        open_end: None,
    }
}

/// IVs of the values a file held, keyed by a digest of (path, type, plaintext),
/// so re-encrypting an unchanged value gives byte-identical ciphertext
/// (sops's cipher stash). No plaintext is kept. Each IV is handed out once:
/// equal values at one path (list items) keep their distinct IVs instead of
/// all taking the last one, which would show they are equal.
#[derive(Default, Clone)]
pub(crate) struct Stash(HashMap<[u8; 32], std::collections::VecDeque<Vec<u8>>>);

impl Stash {
    fn id(aad: &str, vtype: ValueType, text: &str) -> [u8; 32] {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA512_256);
        for part in [aad, vtype.as_str(), text] {
            ctx.update(&(part.len() as u64).to_le_bytes());
            ctx.update(part.as_bytes());
        }
        ctx.finish().as_ref().try_into().expect("32-byte digest")
    }

    fn record(&mut self, aad: &str, vtype: ValueType, text: &str, iv: &[u8]) {
        self.0
            .entry(Self::id(aad, vtype, text))
            .or_default()
            .push_back(iv.to_vec());
    }

    /// The next unused IV of this value, in document order.
    fn take(&mut self, aad: &str, vtype: ValueType, text: &str) -> Option<Vec<u8>> {
        self.0.get_mut(&Self::id(aad, vtype, text))?.pop_front()
    }
}

/// A replacement of `range` by `text`.
/// Replacement text may be plaintext: zeroed on drop.
type Splice = (Range<usize>, Zeroizing<String>);

pub(crate) fn apply(src: &str, mut splices: Vec<Splice>) -> String {
    splices.sort_by_key(|s| s.0.start);
    let extra: usize = splices.iter().map(|s| s.1.len()).sum();
    let mut out = String::with_capacity(src.len() + extra);
    let mut at = 0;
    for (r, t) in splices {
        out.push_str(&src[at..r.start]);
        out.push_str(&t);
        at = r.end;
    }
    out.push_str(&src[at..]);
    out
}

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
        let (data, mac) = crate::binary::seal_data(plain.expose_bytes(), &key, opts.cipher)?;
        let opts = EncryptOptions {
            selector: Selector::default(),
            mac_only_encrypted: false,
            ..opts.clone()
        };
        let meta = new_metadata(&key, groups, &opts, &mac).await?;
        return Ok(crate::binary::envelope(&data, &meta));
    }
    let src = plain.expose();
    let parsed = parse(src, plain.format)?;
    if parsed.docs.iter().any(|d| d.sops.is_some()) {
        return Err(Error::AlreadyEncrypted);
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
    read_back(Ciphertext {
        text: apply(src, splices),
        format: plain.format,
    })
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
        shamir_threshold: opts.shamir_threshold.filter(|_| groups.len() > 1),
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
    for doc in &parsed.docs {
        walk(&doc.root, &parsed.anchors, &opts.selector, &mut |v| {
            if v.encrypt && !v.leaf.is_comment() && !v.leaf.text.is_empty() {
                aads.check(v.path, &aad(v.path))?;
            }
            if !v.encrypt {
                splices.extend(strip_at_open_end(v.leaf, &parsed.open_end));
            }
            encrypt_leaf(&v, key, opts, stash.as_deref_mut(), &mut mac, &mut splices)
        })?;
    }
    Ok((splices, mac.finish()))
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
        crate::shamir::split(key.expose(), groups.len(), t)?
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
    let (vtype, text) = sealed_text(resolved, &leaf.text);
    if !opts.mac_only_encrypted || v.encrypt {
        mac.update(&mac_bytes(vtype, &text).unwrap_or_default());
    }
    if !v.encrypt || text.is_empty() {
        return Ok(());
    }
    if v.aliased {
        return Err(Error::Unsupported(format!(
            "an alias at `{path}` points to a value that would be encrypted; sops expands aliases and could not decrypt it"
        )));
    }
    let ev = EncValue::seal(
        opts.cipher,
        key,
        text.as_bytes(),
        path.as_bytes(),
        vtype,
        iv(vtype, &text).as_deref(),
    )?
    .to_string();
    out.extend(enc_splices(leaf, ev));
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

/// A YAML `sops:` block (ending in a line break) placed at `at` in `src`.
/// With no final newline before it, one is added before and none after, so
/// removing the block restores the file exactly.
pub(crate) fn place_yaml_block(src: &str, at: usize, block: &str) -> String {
    if at > 0 && !src[..at].ends_with('\n') {
        format!("\n{}", block.trim_end_matches('\n'))
    } else {
        block.to_string()
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
        Format::Dotenv => place_yaml_block(src, doc.insert_at, &crate::dotenv::block(meta)),
        Format::Ini => place_yaml_block(src, doc.insert_at, &crate::ini::block(meta)),
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

fn read_metadata(enc: &Ciphertext) -> Result<(Parsed, Metadata)> {
    let parsed = parse(enc.as_str(), enc.format)?;
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
        return crate::binary::open(parsed, meta, key, opts);
    }
    let src = enc.text.as_str();
    let mut mac = MacHasher::new(meta.mac_only_encrypted);
    let mut splices = Vec::new();
    // Where the plaintext will end: before a last `sops:` block that ends the file.
    let eof = match parsed.docs.last().and_then(|d| d.sops.as_ref()) {
        Some((_, r)) if r.end == src.len() && !src.ends_with('\n') => r.start,
        _ => usize::MAX,
    };
    let crlf = src.contains("\r\n");
    for doc in &parsed.docs {
        walk(&doc.root, &parsed.anchors, &meta.selector, &mut |v| {
            let ctx = LeafCtx {
                src,
                key,
                mac_only: meta.mac_only_encrypted,
                eof,
                crlf,
            };
            decrypt_leaf(&v, &ctx, &mut mac, &mut splices, stash.as_deref_mut())
        })?;
        if let Some((_, range)) = &doc.sops {
            splices.push((range.clone(), Zeroizing::new(String::new())));
        }
    }
    if !opts.ignore_mac {
        let stored = open_mac(key, &meta.mac, &meta.lastmodified)?;
        if stored != mac.finish() {
            return Err(Error::MacMismatch);
        }
    }
    Ok(Plaintext::new(apply(src, splices), enc.format))
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
    if before.ends_with('-') {
        out.push((
            before.len() - 1..leaf.span.end,
            Zeroizing::new(format!("#{text}")),
        ));
        // A list of nothing but comments is `[]` to sops: keep it a list.
        let key_end = before[..before.len() - 1].trim_end().len();
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
                    vec![
                        (h.clone(), Zeroizing::new(head.to_string())),
                        (leaf.span.clone(), Zeroizing::new(body.to_string())),
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
            Zeroizing::new(crate::dotenv::render(text)),
        )],
        Slot::Ini { bare } => vec![(
            leaf.span.clone(),
            Zeroizing::new(crate::ini::render(text, bare)),
        )],
    }
}

/// The first document's root and the anchors, for path lookups.
pub(crate) fn first_root(plain: &Plaintext) -> Result<(Node, HashMap<usize, Node>)> {
    let mut parsed = parse(plain.expose(), plain.format)?;
    if parsed.docs.is_empty() {
        return Err(Error::Unsupported("the file has no document".into()));
    }
    Ok((parsed.docs.swap_remove(0).root, parsed.anchors))
}

/// Re-emits a plaintext file in another format (`--output-type`); comments
/// and styling are not kept across formats. Multi-document YAML converts
/// its first document only... unless every document is wanted, which JSON
/// cannot hold.
pub fn convert(plain: &Plaintext, to: Format) -> Result<Plaintext> {
    if plain.format == to {
        return Plaintext::from_bytes(plain.expose_bytes().to_vec(), to);
    }
    if plain.format == Format::Binary {
        // sops reads a binary file as one string, `data`.
        let text = std::str::from_utf8(plain.expose_bytes()).map_err(|_| {
            Error::Unsupported(
                "binary content that is not UTF-8 can only be written as binary".into(),
            )
        })?;
        let wrapped = format!("{{\"data\": {}}}", crate::scalar::json_string(text));
        return convert(&Plaintext::new(wrapped, Format::Json), to);
    }
    let parsed = parse(plain.expose(), plain.format)?;
    let mut out = String::new();
    for (i, doc) in parsed.docs.iter().enumerate() {
        match to {
            Format::Yaml | Format::Json => {}
            Format::Dotenv | Format::Ini => {
                out = crate::path::render_flat(&doc.root, &parsed.anchors, plain.format, to)?;
                break;
            }
            Format::Binary => {
                let data = match &doc.root {
                    Node::Map(items) => items.iter().find_map(|i| match (&i.key, &i.node) {
                        (Some(k), Node::Leaf(l)) if k == "data" => Some(l.text.to_string()),
                        _ => None,
                    }),
                    _ => None,
                };
                out = data.ok_or_else(|| {
                    Error::Unsupported("binary output needs a top-level `data` string".into())
                })?;
                break;
            }
        }
        if i > 0 && to == Format::Yaml {
            out.push_str("---\n");
        }
        let text = crate::path::render(&doc.root, &parsed.anchors, to);
        out.push_str(&text);
        if to == Format::Json {
            out.push('\n');
            break;
        }
    }
    Ok(Plaintext::new(out, to))
}

/// What [`audit`] found wrong in an encrypted file, without any key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditFinding {
    /// What is wrong.
    pub kind: AuditKind,
    /// The key path, as sops writes it for the AAD (`stringData:password:`).
    pub path: String,
    /// 1-based line of the value.
    pub line: usize,
    /// 1-based column (in characters) of the value.
    pub column: usize,
}

/// The kinds of [`AuditFinding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditKind {
    /// The file's own selector would encrypt this value, but it is plaintext.
    PlaintextValue,
    /// The value starts with `ENC[` but does not parse.
    MalformedValue,
    /// The `sops:` block has no MAC or no `lastmodified`.
    MissingMac,
    /// The `sops:` block lists no master key.
    NoMasterKeys,
}

/// The result of [`audit`].
#[derive(Clone, Debug)]
pub struct Audit {
    /// The file's metadata; `None` for a file without a `sops` key.
    pub metadata: Option<Metadata>,
    /// Problems, in document order.
    pub findings: Vec<AuditFinding>,
}

/// Checks a file's structure without decrypting anything: whether it is
/// encrypted, and every value its own selector says should be encrypted but
/// is not (for example a key added by hand after encryption), or is broken.
pub fn audit(text: &str, format: Format) -> Result<Audit> {
    let parsed = parse(text, format)?;
    let Some((meta_value, range)) = parsed.docs.first().and_then(|d| d.sops.as_ref()) else {
        return Ok(Audit {
            metadata: None,
            findings: Vec::new(),
        });
    };
    let meta = Metadata::from_value(meta_value)?;
    let at = |byte: usize| {
        let line_start = text[..byte].rfind('\n').map_or(0, |i| i + 1);
        (
            text[..byte].matches('\n').count() + 1,
            text[line_start..byte].chars().count() + 1,
        )
    };
    let mut findings = Vec::new();
    let mut push = |kind, path: String, byte: usize| {
        let (line, column) = at(byte);
        findings.push(AuditFinding {
            kind,
            path,
            line,
            column,
        });
    };
    if meta.mac.is_empty() || meta.lastmodified.is_empty() {
        push(AuditKind::MissingMac, "sops:".into(), range.start);
    }
    if meta.groups.iter().all(|g| g.keys.is_empty()) {
        push(AuditKind::NoMasterKeys, "sops:".into(), range.start);
    }
    for doc in &parsed.docs {
        walk(&doc.root, &parsed.anchors, &meta.selector, &mut |v| {
            let leaf = v.leaf;
            if !v.encrypt || v.aliased || leaf.is_comment() || leaf.text.is_empty() {
                return Ok(());
            }
            let kind =
                if !EncValue::looks_encrypted(&leaf.text) || leaf.resolved != Some(Resolved::Str) {
                    AuditKind::PlaintextValue
                } else if EncValue::parse(&leaf.text).is_err() {
                    AuditKind::MalformedValue
                } else {
                    return Ok(());
                };
            push(kind, aad(v.path), leaf.span.start);
            Ok(())
        })?;
    }
    Ok(Audit {
        metadata: Some(meta),
        findings,
    })
}

#[cfg(test)]
mod audit_tests {
    use super::*;

    #[test]
    fn audit_flags_a_value_added_in_plaintext_after_encryption() {
        let text = "stringData:\n  a: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\n  b: leaked\n  c: ENC[AES256_GCM,broken]\nmetadata:\n  name: x\nsops:\n  age:\n    - recipient: age1x\n      enc: e\n  encrypted_regex: ^(data|stringData)$\n  lastmodified: \"2024-01-01T00:00:00Z\"\n  mac: ENC[x]\n  version: 3.11.0\n";
        let a = audit(text, Format::Yaml).unwrap();
        assert!(a.metadata.is_some());
        let got: Vec<_> = a
            .findings
            .iter()
            .map(|f| (f.kind, f.path.as_str(), f.line, f.column))
            .collect();
        assert_eq!(
            got,
            vec![
                (AuditKind::PlaintextValue, "stringData:b:", 3, 6),
                (AuditKind::MalformedValue, "stringData:c:", 4, 6)
            ]
        );
        assert!(audit("a: 1\n", Format::Yaml).unwrap().metadata.is_none());
    }
}
