//! The three ways a report is written: text for people, JSON for scripts,
//! SARIF 2.1.0 for code-scanning services.

mod json;
mod sarif;
mod text;

pub use json::json;
pub use sarif::sarif;
pub use text::text;

/// Percent-encodes a relative path as a URI reference (SARIF
/// `artifactLocation.uri`), with `/` separators.
pub(crate) fn uri_path(p: &std::path::Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
