//! The example document `sops edit` opens for a file that does not exist
//! yet, per format, byte for byte as sops 3.11 writes it.

use hush_core::Format;

/// sops's example for a new file of this format.
pub fn example(format: Format) -> &'static str {
    match format {
        Format::Yaml => YAML,
        Format::Json => JSON,
        Format::Dotenv => DOTENV,
        Format::Ini => INI,
        Format::Binary => BINARY,
    }
}

const YAML: &str = "hello: Welcome to SOPS! Edit this file as you please!
example_key: example_value
# Example comment
example_array:
    - example_value1
    - example_value2
example_number: 1234.56789
example_booleans:
    - true
    - false
";

const JSON: &str = "{
\t\"hello\": \"Welcome to SOPS! Edit this file as you please!\",
\t\"example_key\": \"example_value\",
\t\"example_array\": [
\t\t\"example_value1\",
\t\t\"example_value2\"
\t],
\t\"example_number\": 1234.56789,
\t\"example_booleans\": [
\t\ttrue,
\t\tfalse
\t]
}
";

const DOTENV: &str = "# This is an example file.
hello=Welcome to SOPS! Edit this file as you please!
example_key=example_value
example_multiline=foo\\nbar\\nbaz
";

const INI: &str = "; This is an example file.
[Welcome!]
hello       = Welcome to SOPS! Edit this file as you please!
example_key = example_value
";

const BINARY: &str = "Welcome to SOPS! Edit this file as you please!";
