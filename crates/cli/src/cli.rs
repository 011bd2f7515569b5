//! Argument parsing and the `encrypt`/`decrypt` commands.

use crate::io::{read_input, write_atomic, write_stdout};
use clap::{Args, Parser, Subcommand, ValueEnum};
use hush_core::error::exit;
use hush_core::keys::age::{Identities, Recipient};
use hush_core::keys::kms::{parse_context, KmsKey, KmsUnwrapper};
use hush_core::keys::MasterKey;
use hush_core::rules::{find_config, Config, CreationRule};
use hush_core::{
    Cipher, Ciphertext, DecryptOptions, EncryptOptions, Error, Format, Plaintext, Selector,
};
use std::path::PathBuf;
use std::sync::Arc;

/// `--decryption-order` / `SOPS_DECRYPTION_ORDER`, shared by every
/// command that decrypts.
#[derive(Args)]
pub(crate) struct DecryptionOrder {
    /// Key types to try first, in order
    #[arg(
        long,
        env = "SOPS_DECRYPTION_ORDER",
        value_delimiter = ',',
        default_value = "age,pgp"
    )]
    pub decryption_order: Vec<String>,
}

/// A failure to report: one line and an exit code.
pub struct Failure {
    pub message: String,
    pub code: u8,
}

type Result<T> = std::result::Result<T, Failure>;

pub(crate) fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code,
    }
}

/// Names the file in a core error.
pub(crate) fn core(file: &str) -> impl Fn(Error) -> Failure + '_ {
    move |e| fail(e.exit_code(), format!("{file}: {e}"))
}

#[derive(Parser)]
#[command(
    name = "hush",
    version,
    about = "Keep Kubernetes secrets encrypted in Git, compatible with sops"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Encrypt a YAML or JSON file (stdin if no file)
    Encrypt(EncryptArgs),
    /// Decrypt a file (stdin if no file)
    Decrypt(DecryptArgs),
    /// Run a command with the decrypted top-level values as environment variables
    ExecEnv(crate::exec::ExecEnvArgs),
    /// Run a command with `{}` replaced by the path of the decrypted file
    ExecFile(crate::exec::ExecFileArgs),
    /// Generate an age identity and append it to the age key file
    Keygen(crate::keygen::KeygenArgs),
    /// Print whether a file is encrypted, as sops's JSON
    Filestatus(crate::git::FilestatusArgs),
    /// Print a file decrypted if a key is at hand (git textconv driver)
    #[command(alias = "textconv")]
    Diff(crate::git::DiffArgs),
    /// Find plaintext secrets, unencrypted files and private keys (for CI and pre-commit)
    Check(crate::check::CheckArgs),
    /// Edit an encrypted file in $EDITOR; only changed values get new ciphertext
    Edit(crate::edit::EditArgs),
    /// Set one value by path, e.g. '["data"]["password"]' '"s3cret"'
    Set(crate::change::SetArgs),
    /// Remove one value by path
    Unset(crate::change::UnsetArgs),
    /// Generate a new data key and re-encrypt every value; add or remove keys
    Rotate(crate::change::RotateArgs),
    /// Make a file's keys match its .sops.yaml creation rule
    Updatekeys(crate::change::UpdateKeysArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum FileType {
    Yaml,
    Json,
}

impl From<FileType> for Format {
    fn from(t: FileType) -> Self {
        match t {
            FileType::Yaml => Format::Yaml,
            FileType::Json => Format::Json,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum CipherArg {
    #[value(name = "aes256-gcm")]
    Aes256Gcm,
    #[value(name = "chacha20-poly1305")]
    ChaCha20Poly1305,
}

#[derive(Args)]
struct Common {
    /// The file; stdin when absent or `-`
    file: Option<PathBuf>,
    /// Write the result back to the file
    #[arg(short = 'i', long)]
    in_place: bool,
    /// Write the result to this path
    #[arg(long, conflicts_with = "in_place")]
    output: Option<PathBuf>,
    /// Input format (default: from the file extension)
    #[arg(long, value_enum)]
    input_type: Option<FileType>,
    /// Output format (default: the input format)
    #[arg(long, value_enum)]
    output_type: Option<FileType>,
    /// Use this name to pick the format and creation rule (for stdin)
    #[arg(long)]
    filename_override: Option<PathBuf>,
    /// The .sops.yaml to use instead of searching upwards from the working directory
    #[arg(long, env = "SOPS_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Args)]
struct EncryptArgs {
    #[command(flatten)]
    common: Common,
    /// age recipients, comma-separated or repeated
    #[arg(
        short = 'a',
        long = "age",
        env = "SOPS_AGE_RECIPIENTS",
        value_delimiter = ','
    )]
    age: Vec<String>,
    /// Encrypt only values under keys matching this regex
    #[arg(long, group = "selector")]
    encrypted_regex: Option<String>,
    /// Leave values under keys matching this regex in plaintext
    #[arg(long, group = "selector")]
    unencrypted_regex: Option<String>,
    /// Encrypt only values under keys ending with this suffix
    #[arg(long, group = "selector")]
    encrypted_suffix: Option<String>,
    /// Leave values under keys ending with this suffix in plaintext [default: _unencrypted]
    #[arg(long, group = "selector")]
    unencrypted_suffix: Option<String>,
    /// Encrypt only values after a comment matching this regex
    #[arg(long, group = "selector")]
    encrypted_comment_regex: Option<String>,
    /// Leave values after a comment matching this regex in plaintext
    #[arg(long, group = "selector")]
    unencrypted_comment_regex: Option<String>,
    /// Compute the MAC over encrypted values only
    #[arg(long)]
    mac_only_encrypted: bool,
    /// The value cipher; chacha20-poly1305 is hush-only and sops cannot read it
    #[arg(long, value_enum, default_value = "aes256-gcm")]
    cipher: CipherArg,
    /// AWS KMS key ARNs, comma-separated or repeated; `ARN+ROLE_ARN` assumes a role
    #[arg(short = 'k', long = "kms", env = "SOPS_KMS_ARN", value_delimiter = ',')]
    kms: Vec<String>,
    /// The AWS profile for --kms keys
    #[arg(long)]
    aws_profile: Option<String>,
    /// KMS encryption context for --kms keys, as key:value,key2:value2
    #[arg(long)]
    encryption_context: Option<String>,
    /// With several key groups, how many must join to decrypt [default: all]
    #[arg(long = "shamir-secret-sharing-threshold")]
    shamir_threshold: Option<u32>,
}

#[derive(Args)]
struct DecryptArgs {
    #[command(flatten)]
    common: Common,
    /// Print only this value or subtree, e.g. '["data"]["password"]'
    #[arg(long)]
    extract: Option<String>,
    /// Do not verify the MAC
    #[arg(long)]
    ignore_mac: bool,
    /// An age identity file (repeatable); added to the sops key sources
    #[arg(long)]
    identity: Vec<PathBuf>,
    #[command(flatten)]
    order: crate::cli::DecryptionOrder,
}

pub fn run() -> Result<()> {
    // Usage errors exit 2, like clap and sops; --help and --version exit 0.
    let cli = Cli::try_parse().unwrap_or_else(|e| e.exit());
    match cli.cmd {
        Cmd::Encrypt(a) => encrypt(a),
        Cmd::Decrypt(a) => decrypt(a),
        Cmd::ExecEnv(a) => crate::exec::exec_env(a),
        Cmd::ExecFile(a) => crate::exec::exec_file(a),
        Cmd::Keygen(a) => crate::keygen::keygen(a),
        Cmd::Filestatus(a) => crate::git::filestatus(a),
        Cmd::Diff(a) => crate::git::diff(a),
        Cmd::Check(a) => crate::check::run(a),
        Cmd::Edit(a) => crate::edit::edit(a),
        Cmd::Set(a) => crate::change::set(a),
        Cmd::Unset(a) => crate::change::unset(a),
        Cmd::Rotate(a) => crate::change::rotate(a),
        Cmd::Updatekeys(a) => crate::change::update_keys(a),
    }
}

impl Common {
    fn name(&self) -> String {
        match (&self.filename_override, &self.file) {
            (Some(p), _) | (None, Some(p)) => p.display().to_string(),
            _ => "<stdin>".into(),
        }
    }

    fn format_in(&self) -> Format {
        self.input_type
            .map(Format::from)
            .unwrap_or_else(|| Format::from_path(&self.name()))
    }

    fn format_out(&self) -> Format {
        self.output_type
            .map(Format::from)
            .unwrap_or_else(|| self.format_in())
    }

    fn read(&self) -> Result<String> {
        if let Some(p) = self
            .file
            .as_deref()
            .filter(|p| p.as_os_str() != "-" && !p.exists())
        {
            return Err(fail(
                exit::NO_FILE_SPECIFIED,
                format!("{}: cannot operate on non-existent file", p.display()),
            ));
        }
        read_input(self.file.as_deref()).map_err(|e| {
            fail(
                exit::COULD_NOT_READ_INPUT_FILE,
                format!("{}: {e}", self.name()),
            )
        })
    }

    /// Writes an encrypted file to the output.
    fn write_encrypted(&self, enc: &Ciphertext) -> Result<()> {
        self.write_bytes(enc.as_str().as_bytes())
    }

    /// Writes plaintext to the output: stdout unless the user named a file.
    fn write_plaintext(&self, plain: &Plaintext) -> Result<()> {
        self.write_bytes(plain.expose().as_bytes())
    }

    fn write_bytes(&self, bytes: &[u8]) -> Result<()> {
        let target = if self.in_place {
            Some(
                self.file
                    .as_deref()
                    .ok_or_else(|| fail(exit::NO_FILE_SPECIFIED, "--in-place needs a file"))?,
            )
        } else {
            self.output.as_deref()
        };
        let r = match target {
            Some(t) => write_atomic(t, bytes).map_err(|e| (t.display().to_string(), e)),
            None => write_stdout(bytes).map_err(|e| ("stdout".to_string(), e)),
        };
        r.map_err(|(t, e)| fail(exit::COULD_NOT_WRITE_OUTPUT_FILE, format!("{t}: {e}")))
    }

    fn config(&self) -> Result<Option<Config>> {
        let path = match &self.config {
            Some(p) => Some(p.clone()),
            None => std::env::current_dir().ok().and_then(|d| find_config(&d)),
        };
        path.map(|p| Config::load(&p).map_err(|e| fail(e.exit_code(), e.to_string())))
            .transpose()
    }
}

fn selector_flag(a: &EncryptArgs) -> Result<Option<Selector>> {
    let pairs = [
        ("encrypted_regex", &a.encrypted_regex),
        ("unencrypted_regex", &a.unencrypted_regex),
        ("encrypted_suffix", &a.encrypted_suffix),
        ("unencrypted_suffix", &a.unencrypted_suffix),
        ("encrypted_comment_regex", &a.encrypted_comment_regex),
        ("unencrypted_comment_regex", &a.unencrypted_comment_regex),
    ];
    pairs
        .iter()
        .find_map(|(k, v)| v.as_ref().map(|v| Selector::from_key(k, v)))
        .transpose()
        .map_err(|e| fail(e.exit_code(), e.to_string()))
}

pub(crate) fn recipients(list: &[String]) -> Result<Vec<Arc<dyn MasterKey>>> {
    list.iter()
        .map(|r| r.trim())
        .filter(|r| !r.is_empty())
        .map(|r| {
            r.parse::<Recipient>()
                .map(|r| Arc::new(r) as Arc<dyn MasterKey>)
        })
        .collect::<std::result::Result<_, _>>()
        .map_err(|e: Error| fail(e.exit_code(), e.to_string()))
}

fn kms_keys(a: &EncryptArgs) -> Result<Vec<Arc<dyn MasterKey>>> {
    let context = match &a.encryption_context {
        Some(c) => parse_context(c).map_err(|e| fail(exit::ERROR_GENERIC, e.to_string()))?,
        None => Vec::new(),
    };
    a.kms
        .iter()
        .filter(|k| !k.trim().is_empty())
        .map(|k| {
            let mut key: KmsKey = k
                .parse()
                .map_err(|e: Error| fail(exit::ERROR_GENERIC, e.to_string()))?;
            key.context = context.clone();
            key.aws_profile = a.aws_profile.clone();
            Ok(Arc::new(key) as Arc<dyn MasterKey>)
        })
        .collect()
}

pub(crate) fn rule_keys(rule: &CreationRule) -> Result<hush_core::KeyGroups> {
    rule.key_groups
        .iter()
        .map(|g| {
            if let Some((kind, _)) = g.other.first() {
                return Err(fail(
                    exit::ERROR_GENERIC,
                    format!("{kind} keys in .sops.yaml are not supported by hush"),
                ));
            }
            let mut keys = recipients(&g.age)?;
            keys.extend(
                g.kms
                    .iter()
                    .map(|k| Arc::new(k.clone()) as Arc<dyn MasterKey>),
            );
            Ok(keys)
        })
        .collect()
}

/// The one runtime of the CLI; library calls run on it.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            fail(
                exit::ERROR_GENERIC,
                format!("cannot start the async runtime: {e}"),
            )
        })
}

fn encrypt(a: EncryptArgs) -> Result<()> {
    let c = &a.common;
    let name = c.name();
    let text = c.read()?;
    let config = c.config()?;
    let rule_path = c
        .filename_override
        .clone()
        .or_else(|| c.file.clone())
        .unwrap_or_else(|| PathBuf::from("-"));
    let rule = config
        .as_ref()
        .and_then(|cfg| cfg.rule_for(&rule_path))
        .cloned();
    // Keys on the command line make one group; otherwise the creation rule's.
    let groups = if !a.age.is_empty() || !a.kms.is_empty() {
        let mut keys = recipients(&a.age)?;
        keys.extend(kms_keys(&a)?);
        vec![keys]
    } else if let Some(r) = &rule {
        rule_keys(r)?
    } else {
        Vec::new()
    };
    let opts = EncryptOptions {
        selector: match selector_flag(&a)? {
            Some(s) => s,
            None => rule
                .as_ref()
                .and_then(|r| r.selector.clone())
                .unwrap_or_default(),
        },
        mac_only_encrypted: a.mac_only_encrypted
            || rule.as_ref().is_some_and(|r| r.mac_only_encrypted),
        cipher: match a.cipher {
            CipherArg::Aes256Gcm => Cipher::Aes256Gcm,
            CipherArg::ChaCha20Poly1305 => Cipher::ChaCha20Poly1305,
        },
        shamir_threshold: a
            .shamir_threshold
            .or(rule.as_ref().and_then(|r| r.shamir_threshold)),
    };
    let mut plain = Plaintext::new(text, c.format_in());
    if c.format_out() != c.format_in() {
        // Like sops: `--output-type json` on a YAML file writes encrypted JSON.
        plain = hush_core::convert(&plain, c.format_out()).map_err(core(&name))?;
    }
    warn_ambiguous(&name, &plain, &opts.selector);
    let enc = runtime()?
        .block_on(hush_core::encrypt(&plain, &groups, &opts))
        .map_err(core(&name))?;
    c.write_encrypted(&enc)
}

/// Warns about values whose key path contains `:`: their AAD is ambiguous
/// (SECURITY.md). A parse error is left to the encryption to report.
fn warn_ambiguous(name: &str, plain: &Plaintext, selector: &Selector) {
    for aad in hush_core::ambiguous_paths(plain, selector).unwrap_or_default() {
        eprintln!(
            "hush: {name}: warning: a key on the path `{aad}` contains `:`, so its sops AAD is ambiguous; \
             rename the key so that GCM binds the value to one path"
        );
    }
}

fn decrypt(a: DecryptArgs) -> Result<()> {
    let c = &a.common;
    let name = c.name();
    let text = c.read()?;
    let enc = Ciphertext::new(text, c.format_in());
    let mut ids = Identities::from_env().map_err(core(&name))?;
    for p in &a.identity {
        ids.add_file(p).map_err(core(&name))?;
    }
    let kms = KmsUnwrapper::default();
    let opts = DecryptOptions {
        ignore_mac: a.ignore_mac,
        decryption_order: a.order.decryption_order.clone(),
    };
    let plain = runtime()?
        .block_on(hush_core::decrypt(&enc, &[&ids, &kms], &opts))
        .map_err(|e| {
            // sops reports unreadable input on decrypt with exit 1 (2 on encrypt).
            let code = if matches!(e, Error::Syntax { .. }) {
                exit::ERROR_GENERIC
            } else {
                e.exit_code()
            };
            fail(code, format!("{name}: {e}"))
        })?;
    let out = match &a.extract {
        Some(path) => {
            let steps = hush_core::path::parse(path).map_err(core(&name))?;
            let v =
                hush_core::path::extract(&plain, &steps, c.format_out()).map_err(core(&name))?;
            Plaintext::new(v, c.format_out())
        }
        None => hush_core::convert(&plain, c.format_out()).map_err(core(&name))?,
    };
    c.write_plaintext(&out)
}
