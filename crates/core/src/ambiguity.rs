//! The path AAD of the sops format joins mapping keys with `:`, so a key
//! that itself contains `:` makes the AAD ambiguous: `a:b` at the root and
//! `b` under `a` both seal with `a:b:`, and GCM alone cannot tell a value
//! moved between them. hush cannot change the AAD without breaking sops
//! compatibility; instead it refuses to encrypt two different paths that
//! share an AAD, and lets callers warn about any key containing `:`.

use crate::engine::document::Plaintext;
use crate::engine::parsed::parse;
use crate::error::{Error, Result};
use crate::selector::Selector;
use crate::tree::{aad, walk};
use std::collections::HashMap;

/// The AADs seen so far in one file, with the path that produced each.
#[derive(Default)]
pub(crate) struct AadGuard(HashMap<String, Vec<String>>);

impl AadGuard {
    /// Records an encrypted value's path; two different paths with one AAD
    /// are refused.
    pub(crate) fn check(&mut self, path: &[&str], aad: &str) -> Result<()> {
        let owned: Vec<String> = path.iter().map(|k| k.to_string()).collect();
        match self.0.get(aad) {
            Some(seen) if *seen != owned => Err(Error::Unsupported(format!(
                "the key paths {} and {} have the same sops AAD `{aad}` (a key contains `:`); \
                 a value could be moved between them undetected, so hush refuses to encrypt this file",
                show(seen),
                show(&owned)
            ))),
            Some(_) => Ok(()),
            None => {
                self.0.insert(aad.to_string(), owned);
                Ok(())
            }
        }
    }
}

/// A path as `["a"]["b"]`, unambiguous whatever the keys contain.
fn show(path: &[String]) -> String {
    path.iter().map(|k| format!("[{k:?}]")).collect()
}

/// The AADs of values that would be encrypted under a path with a key
/// containing `:` (ambiguous, though not colliding in this file), in
/// document order and without duplicates.
pub fn ambiguous_paths(plain: &Plaintext, selector: &Selector) -> Result<Vec<String>> {
    let parsed = parse(plain.expose(), plain.format)?;
    let mut out: Vec<String> = Vec::new();
    for doc in &parsed.docs {
        walk(&doc.root, &parsed.anchors, selector, &mut |v| {
            if v.encrypt && !v.leaf.is_comment() && v.path.iter().any(|k| k.contains(':')) {
                let a = aad(v.path);
                if !out.contains(&a) {
                    out.push(a);
                }
            }
            Ok(())
        })?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::format::Format;

    #[test]
    fn keys_with_a_colon_are_reported() {
        let p = Plaintext::new("\"a:b\": 1\nc:\n  d: 2\n".into(), Format::Yaml);
        assert_eq!(
            ambiguous_paths(&p, &Selector::default()).unwrap(),
            vec!["a:b:"]
        );
    }

    #[test]
    fn two_paths_with_one_aad_collide() {
        let mut g = AadGuard::default();
        g.check(&["a:b"], "a:b:").unwrap();
        g.check(&["a:b"], "a:b:").unwrap();
        let e = g.check(&["a", "b"], "a:b:").unwrap_err().to_string();
        assert!(e.contains(r#"["a:b"] and ["a"]["b"]"#), "{e}");
    }
}
