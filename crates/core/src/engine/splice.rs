//! Splicing: replacing byte ranges of a file's text, every other byte kept.

use std::ops::Range;
use zeroize::Zeroizing;

/// A replacement of `range` by `text`.
/// Replacement text may be plaintext: zeroed on drop.
pub(crate) type Splice = (Range<usize>, Zeroizing<String>);

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
