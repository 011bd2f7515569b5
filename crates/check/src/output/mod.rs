//! The three ways a report is written: text for people, JSON for scripts,
//! SARIF 2.1.0 for code-scanning services.

mod json;
mod sarif;
mod text;

pub use json::json;
pub use sarif::sarif;
pub use text::text;
