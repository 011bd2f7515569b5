//! Changing an encrypted file without churn: an edit keeps the ciphertext of
//! every untouched value (same data key, same IV), a no-op keeps every byte
//! (`lastmodified` and `mac` included), and the `sops:` block keeps its own
//! layout. Also key rotation and recipient changes.

use crate::crypto::cipher::{Cipher, DataKey};
use crate::crypto::mac::seal_mac;
use crate::engine::decrypt::decrypt_with_key;
use crate::engine::document::{Ciphertext, DecryptOptions, EncryptOptions, KeyGroups, Plaintext};
use crate::engine::encrypt::{encrypt, seal_body, sops_block, wrap_data_key};
use crate::engine::format::Format;
use crate::engine::parsed::{parse, parse_exact, Parsed, ParsedDoc};
use crate::engine::splice::apply;
use crate::engine::stash::Stash;
use crate::error::{Error, Result};
use crate::keys::{MasterKey, Unwrapper};
use crate::metadata::{KeyEntry, Metadata};
use crate::stores::scalar::{json_string, yaml_render};
use crate::tree::{Slot, Value};
use std::sync::Arc;
use zeroize::Zeroizing;

/// A decrypted file that remembers how it was encrypted.
pub struct Opened {
    original: Ciphertext,
    plain: Plaintext,
    meta: Metadata,
    key: DataKey,
    stash: Stash,
    cipher: Cipher,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Opened({:?}, [REDACTED])", self.plain.format)
    }
}

/// Decrypts `enc` and keeps what an edit needs to re-encrypt it in place.
pub async fn open(
    enc: &Ciphertext,
    unwrappers: &[&dyn Unwrapper],
    opts: &DecryptOptions,
) -> Result<Opened> {
    let (parsed, meta, key) = crate::engine::decrypt::unlock(enc, unwrappers, opts).await?;
    let mut stash = Stash::default();
    let plain = decrypt_with_key(enc, &parsed, &meta, &key, opts, Some(&mut stash))?;
    // The MAC is always sealed with the file's cipher; values may be absent.
    let cipher =
        crate::crypto::cipher::EncValue::parse(&meta.mac).map_or(Cipher::Aes256Gcm, |v| v.cipher);
    Ok(Opened {
        original: enc.clone(),
        plain,
        meta,
        key,
        stash,
        cipher,
    })
}

impl Opened {
    /// The decrypted file.
    pub fn plaintext(&self) -> &Plaintext {
        &self.plain
    }

    /// The file's metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.meta
    }

    /// The encrypted file as it was read.
    pub fn original(&self) -> &Ciphertext {
        &self.original
    }

    fn options(&self) -> EncryptOptions {
        EncryptOptions {
            selector: self.meta.selector.clone(),
            mac_only_encrypted: self.meta.mac_only_encrypted,
            cipher: self.cipher,
            shamir_threshold: self.meta.shamir_threshold,
        }
    }

    /// Whether `edited` is the file exactly as it was decrypted.
    pub fn is_unchanged(&self, edited: &Plaintext) -> bool {
        edited.format == self.plain.format
            && edited.expose_bytes() == self.plain.expose_bytes()
            && (edited.exact().is_empty() || edited.exact() == self.plain.exact())
    }

    /// Re-encrypts an edited plaintext with the same data key. Unchanged
    /// values keep byte-identical ciphertext; a no-op returns the original
    /// bytes. The `sops:` block keeps its text, with new `lastmodified` and
    /// `mac` values.
    pub fn reseal(&self, edited: &Plaintext) -> Result<Ciphertext> {
        if self.is_unchanged(edited) {
            return Ok(self.original.clone());
        }
        self.seal(edited, &self.meta.selector)
    }

    /// Seals another document (a rescue copy) with the same data key and
    /// keys, every value encrypted whatever the file's own selector.
    pub fn seal_everything(&self, other: &Plaintext) -> Result<Ciphertext> {
        self.seal(other, &crate::Selector::default())
    }

    fn seal(&self, edited: &Plaintext, selector: &crate::Selector) -> Result<Ciphertext> {
        if edited.format == Format::Binary {
            let (data, mac) =
                crate::stores::binary::seal_data(edited.expose_bytes(), &self.key, self.cipher)?;
            let mut meta = self.meta.clone();
            meta.lastmodified = crate::time::now_rfc3339();
            meta.mac = seal_mac(&self.key, self.cipher, &mac, &meta.lastmodified)?;
            return Ok(crate::stores::binary::envelope(&data, &meta));
        }
        let src = edited.expose();
        // Lines that read as they did keep the values they held.
        let parsed = parse_exact(edited, self.plain.exact())?;
        if parsed.docs.iter().any(|d| d.sops.is_some()) {
            return Err(Error::Unsupported(
                "the edited file has a top-level `sops` key".into(),
            ));
        }
        let opts = EncryptOptions {
            selector: selector.clone(),
            ..self.options()
        };
        let mut stash = self.stash.clone();
        let (mut splices, mac) = seal_body(&parsed, &self.key, &opts, Some(&mut stash))?;
        let mut meta = self.meta.clone();
        meta.selector = selector.clone();
        meta.lastmodified = crate::time::now_rfc3339();
        meta.mac = seal_mac(&self.key, self.cipher, &mac, &meta.lastmodified)?;
        let old = parse(self.original.as_str(), self.original.format)?;
        let value = meta.to_value();
        for (i, doc) in parsed.docs.iter().enumerate() {
            let same_format = edited.format == self.original.format;
            let block = old
                .docs
                .get(i)
                // A block-style `sops:` cannot go into a flow root (an empty
                // leading document decrypts as `{}`), nor a flow one out.
                .filter(|d| same_format && d.flow == doc.flow)
                .and_then(|d| patched_block(self.original.as_str(), d, &meta))
                .map(|b| crate::engine::splice::place_yaml_block(src, doc.insert_at, &b))
                .unwrap_or_else(|| sops_block(src, doc, &value, edited.format));
            splices.push((doc.insert_at..doc.insert_at, Zeroizing::new(block)));
        }
        crate::engine::encrypt::read_back(Ciphertext::new(apply(src, splices), edited.format))
    }

    /// The master keys the file is encrypted to, as key objects, by group.
    pub fn master_keys(&self) -> Result<KeyGroups> {
        self.meta
            .groups
            .iter()
            .map(|g| g.keys.iter().map(master_key).collect::<Result<Vec<_>>>())
            .collect()
    }

    /// A new data key: every value is re-encrypted (fresh IVs) for `groups`.
    pub async fn rotate(&self, groups: &KeyGroups, threshold: Option<u32>) -> Result<Ciphertext> {
        self.seal_fresh(&self.plain, groups, threshold).await
    }

    /// Encrypts `plain` with this file's options under a new data key
    /// wrapped for `groups`: nothing of this file's data key survives.
    pub async fn seal_fresh(
        &self,
        plain: &Plaintext,
        groups: &KeyGroups,
        threshold: Option<u32>,
    ) -> Result<Ciphertext> {
        let opts = EncryptOptions {
            shamir_threshold: threshold,
            ..self.options()
        };
        encrypt(plain, groups, &opts).await
    }

    /// Whether both files were opened with the same data key (compared in
    /// constant time).
    pub fn same_data_key(&self, other: &Opened) -> bool {
        let (a, b) = (self.key.expose(), other.key.expose());
        a.iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }

    /// The same data key wrapped for `groups` instead: values, `lastmodified`
    /// and `mac` stay; only the `sops:` block's keys change.
    pub async fn update_keys(
        &self,
        groups: &KeyGroups,
        threshold: Option<u32>,
    ) -> Result<Ciphertext> {
        let mut meta = self.meta.clone();
        meta.groups = wrap_data_key(&self.key, groups, threshold).await?;
        meta.shamir_threshold = threshold.filter(|_| groups.len() > 1);
        let src = self.original.as_str();
        let parsed = parse(src, self.original.format)?;
        crate::engine::encrypt::read_back(Ciphertext::new(
            replace_blocks(src, &parsed, &meta, self.original.format),
            self.original.format,
        ))
    }
}

/// A key object for a stored entry, so it can wrap a new data key.
fn master_key(e: &KeyEntry) -> Result<Arc<dyn MasterKey>> {
    Ok(match e {
        KeyEntry::Age(a) => Arc::new(a.recipient.parse::<crate::keys::age::Recipient>()?),
        KeyEntry::Kms(k) => Arc::new(crate::keys::kms::KmsKey {
            arn: k.arn.clone(),
            role: k.role.clone(),
            context: k.context.clone(),
            aws_profile: Some(k.aws_profile.clone()).filter(|p| !p.is_empty()),
        }),
        KeyEntry::Pgp(p) => Arc::new(p.fp.parse::<crate::keys::pgp::PgpKey>()?),
        KeyEntry::Other { kind, .. } => {
            return Err(Error::Unsupported(format!(
                "hush cannot wrap a data key for {kind} keys"
            )));
        }
    })
}

/// The old document's YAML `sops:` block text with `lastmodified` and `mac`
/// replaced in their own styles; `None` for JSON or a document without one.
fn patched_block(src: &str, doc: &ParsedDoc, meta: &Metadata) -> Option<String> {
    let (_, range) = doc.sops.as_ref()?;
    if doc.sops_fields.is_empty() {
        return None;
    }
    let mut splices = Vec::new();
    for (name, leaf) in &doc.sops_fields {
        let new = match name.as_str() {
            "lastmodified" => &meta.lastmodified,
            "mac" => &meta.mac,
            _ => continue,
        };
        let text = match leaf.slot {
            Slot::Yaml(slot) => yaml_render(crate::crypto::cipher::ValueType::Str, new, slot),
            _ => json_string(new),
        };
        let at = leaf.span.start - range.start..leaf.span.end - range.start;
        splices.push((at, Zeroizing::new(text)));
    }
    let block = apply(&src[range.clone()], splices);
    let block = block.strip_prefix('\n').unwrap_or(&block);
    Some(format!("{}\n", block.trim_end_matches('\n')))
}

/// `src` with every document's `sops:` block rewritten from `meta`.
fn replace_blocks(src: &str, parsed: &Parsed, meta: &Metadata, format: Format) -> String {
    let value: Value = meta.to_value();
    let mut splices = Vec::new();
    for doc in &parsed.docs {
        let Some((_, range)) = &doc.sops else {
            continue;
        };
        let new = sops_block(src, doc, &value, format);
        let text = match format {
            // Inside a flow root: the range is the entry and its comma.
            Format::Yaml if doc.flow => new,
            // The YAML range is whole lines; keep its leading line break, if any.
            Format::Yaml if src[range.clone()].starts_with('\n') => {
                format!("\n{}", new.trim_matches('\n'))
            }
            Format::Yaml => format!("{}\n", new.trim_start_matches('\n').trim_end_matches('\n')),
            // The JSON range runs from the previous member's end: same as an insertion there.
            Format::Json | Format::Binary => new,
            // The range holds the blank line or line break the block brought.
            Format::Dotenv | Format::Ini => {
                let block = match format {
                    Format::Dotenv => crate::stores::dotenv::block(&value),
                    _ => crate::stores::ini::block(&value),
                };
                crate::engine::splice::place_yaml_block(&src[..range.start], range.start, &block)
            }
        };
        splices.push((range.clone(), Zeroizing::new(text)));
    }
    apply(src, splices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::age::{Identities, Recipient};

    fn setup() -> (Arc<dyn MasterKey>, Identities, Arc<dyn MasterKey>) {
        use secrecy::ExposeSecret;
        let id = age::x25519::Identity::generate();
        let r: Recipient = id.to_public().to_string().parse().unwrap();
        let other: Recipient = age::x25519::Identity::generate()
            .to_public()
            .to_string()
            .parse()
            .unwrap();
        let mut ids = Identities::default();
        ids.add_text(id.to_string().expose_secret().as_bytes(), "t")
            .unwrap();
        (Arc::new(r), ids, Arc::new(other))
    }

    const SRC: &str = "# creds\ndb:\n  user: admin # who\n  password: hunter2\n  port: 5432\nlist:\n  - a\n  - b\n";

    fn enc(r: &Arc<dyn MasterKey>, src: &str) -> Ciphertext {
        let p = Plaintext::new(src.into(), Format::Yaml);
        crate::block_on(encrypt(&p, &vec![vec![r.clone()]], &Default::default())).unwrap()
    }

    #[test]
    fn a_no_op_edit_returns_the_original_bytes() {
        let (r, ids, _) = setup();
        let e = enc(&r, SRC);
        let o = crate::block_on(open(&e, &[&ids], &Default::default())).unwrap();
        let same = Plaintext::new(SRC.into(), Format::Yaml);
        assert_eq!(o.reseal(&same).unwrap().as_str(), e.as_str());
    }

    #[test]
    fn an_edit_changes_only_the_edited_line_and_the_metadata_values() {
        let (r, ids, _) = setup();
        let e = enc(&r, SRC);
        let o = crate::block_on(open(&e, &[&ids], &Default::default())).unwrap();
        let edited = SRC.replace("hunter2", "correct-horse");
        let n = o
            .reseal(&Plaintext::new(edited.clone(), Format::Yaml))
            .unwrap();
        let changed: Vec<(&str, &str)> = e
            .as_str()
            .lines()
            .zip(n.as_str().lines())
            .filter(|(a, b)| a != b)
            .collect();
        let keys: Vec<&str> = changed
            .iter()
            .map(|(a, _)| a.trim_start().split(':').next().unwrap())
            .collect();
        // `lastmodified` has one-second resolution: it may not have moved yet.
        let expected: Vec<&str> = ["password", "lastmodified", "mac"]
            .into_iter()
            .filter(|k| *k != "lastmodified" || keys.contains(k))
            .collect();
        assert_eq!(keys, expected, "changed lines: {changed:#?}");
        assert_eq!(e.as_str().lines().count(), n.as_str().lines().count());
        let back = crate::block_on(crate::decrypt(&n, &[&ids], &Default::default())).unwrap();
        assert_eq!(back.expose(), edited);
    }

    #[test]
    fn equal_list_items_keep_their_distinct_ciphertext_across_an_edit() {
        let (r, ids, _) = setup();
        let src = "list:\n  - same\n  - same\nother: x\n";
        let e = enc(&r, src);
        let items = |t: &str| {
            t.lines()
                .filter(|l| l.starts_with("  - "))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let before = items(e.as_str());
        assert_ne!(before[0], before[1], "random IVs");
        let o = crate::block_on(open(&e, &[&ids], &Default::default())).unwrap();
        let n = o
            .reseal(&Plaintext::new(src.replace("x", "y"), Format::Yaml))
            .unwrap();
        assert_eq!(items(n.as_str()), before, "each item keeps its own IV");
    }

    #[test]
    fn an_empty_file_is_refused_rather_than_written_without_metadata() {
        let (r, _, _) = setup();
        let p = Plaintext::new("# only a comment\n".into(), Format::Yaml);
        assert!(crate::block_on(encrypt(&p, &vec![vec![r.clone()]], &Default::default())).is_err());
    }

    #[test]
    fn update_keys_rewraps_the_same_data_key_and_rotate_makes_a_new_one() {
        let (r, ids, other) = setup();
        let e = enc(&r, SRC);
        let o = crate::block_on(open(&e, &[&ids], &Default::default())).unwrap();
        let both = vec![vec![r.clone(), other.clone()]];
        let u = crate::block_on(o.update_keys(&both, None)).unwrap();
        let body = |t: &str| t.split("sops:").next().unwrap().to_string();
        assert_eq!(body(u.as_str()), body(e.as_str()), "values untouched");
        assert_eq!(crate::metadata(&u).unwrap().groups[0].keys.len(), 2);
        assert_eq!(
            crate::block_on(crate::decrypt(&u, &[&ids], &Default::default()))
                .unwrap()
                .expose(),
            SRC
        );
        let rot = crate::block_on(o.rotate(&o.master_keys().unwrap(), None)).unwrap();
        assert_ne!(
            body(rot.as_str()),
            body(e.as_str()),
            "new data key, new ciphertext"
        );
        assert_eq!(
            crate::block_on(crate::decrypt(&rot, &[&ids], &Default::default()))
                .unwrap()
                .expose(),
            SRC
        );
    }
}
