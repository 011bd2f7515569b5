//! The stores: reading and writing each file format as sops does.
//!
//! Each store parses text into the shared `tree` with the byte
//! span of every scalar, so the engine can splice ciphertext in place:
//! YAML (`yaml`, with `yaml_fast` for plain block files and
//! `yaml_guard` refusing what go-yaml reads differently), JSON, dotenv,
//! INI, binary (a JSON envelope), the flattened metadata form of the flat
//! stores (`flat`), scalar typing and rendering (`scalar`), re-emitting
//! a tree in a format (`emit`) and one-line JSON documents ([`documents`]).

pub(crate) mod binary;
pub mod documents;
pub(crate) mod dotenv;
pub(crate) mod emit;
pub(crate) mod flat;
pub(crate) mod ini;
pub(crate) mod json;
pub(crate) mod scalar;
pub(crate) mod yaml;
pub(crate) mod yaml_fast;
pub(crate) mod yaml_file;
pub(crate) mod yaml_guard;
