//! The file formats hush reads and writes (sops's stores).

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
