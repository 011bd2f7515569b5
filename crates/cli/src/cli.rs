//! Argument parsing and the `encrypt`/`decrypt` commands.

use crate::batch::{collect_files, for_each_file, is_encrypted_file, Target};
use crate::io::{read_input, write_atomic, write_atomic_mode, write_stdout};
use clap::{Args, Parser, Subcommand, ValueEnum};
use hush_core::error::exit;
use hush_core::keys::age::{Identities, Recipient};
use hush_core::keys::cache::DataKeyCache;
use hush_core::keys::kms::{parse_context, KmsKey, KmsUnwrapper};
use hush_core::keys::pgp::{PgpKey, PgpUnwrapper};
use hush_core::keys::MasterKey;
use hush_core::rules::{find_config, Config, CreationRule};
use hush_core::{
    Cipher, Ciphertext, DecryptOptions, EncryptOptions, Error, Format, Plaintext, Selector,
};
use std::path::{Path, PathBuf};
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

/// Names the file in an error from reading an encrypted file: sops exits 1
/// for one it cannot parse (2 only when it encrypts).
pub(crate) fn core_read(file: &str) -> impl Fn(Error) -> Failure + '_ {
    move |e| {
        let code = match e {
            Error::Syntax { .. } => exit::ERROR_GENERIC,
            _ => e.exit_code(),
        };
        fail(code, format!("{file}: {e}"))
    }
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
    /// Encrypt files: YAML, JSON, dotenv, INI, or any other as binary (stdin if no file)
    Encrypt(EncryptArgs),
    /// Decrypt files (stdin if no file); several in parallel with -i or --output-dir
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
    /// Turn a plaintext Secret manifest into an EncryptedSecret for hush-controller
    Seal(crate::seal::SealArgs),
    /// KRM exec function, KSOPS-compatible: decrypt at render time (also run as `ksops`)
    Krm(crate::krm::KrmArgs),
    /// git merge driver: three-way merge of encrypted files (`hush merge %O %A %B %P`)
    Merge(crate::merge::MergeArgs),
    /// Set up the git merge and diff drivers and .gitattributes in this clone
    InitGit(crate::merge::InitGitArgs),
    /// Print a shell completion script
    Completions(crate::completions::CompletionsArgs),
    /// Print the man page (roff)
    Man(crate::completions::ManArgs),
    /// Run a sops command line (as when this binary is named `sops`)
    Sops {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FileType {
    Yaml,
    Json,
    Dotenv,
    Ini,
    Binary,
}

impl From<FileType> for Format {
    fn from(t: FileType) -> Self {
        match t {
            FileType::Yaml => Format::Yaml,
            FileType::Json => Format::Json,
            FileType::Dotenv => Format::Dotenv,
            FileType::Ini => Format::Ini,
            FileType::Binary => Format::Binary,
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
    /// The files; stdin when none or `-`. Several files need -i or --output-dir
    files: Vec<PathBuf>,
    /// Also the files under this directory: encrypted ones to decrypt, or
    /// YAML/JSON/dotenv/INI ones not yet encrypted to encrypt
    #[arg(short = 'r', long = "recursive")]
    dirs: Vec<PathBuf>,
    /// Write each result back to its file
    #[arg(short = 'i', long)]
    in_place: bool,
    /// Write the result to this path (one file)
    #[arg(long, conflicts_with = "in_place")]
    output: Option<PathBuf>,
    /// Write each result under this directory, by its path below the -r
    /// directory (or as named); decrypted files are written 0600
    #[arg(long, conflicts_with_all = ["in_place", "output"])]
    output_dir: Option<PathBuf>,
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
    #[command(flatten)]
    keys: KeyFlags,
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
    /// With several key groups, how many must join to decrypt [default: all]
    #[arg(long = "shamir-secret-sharing-threshold")]
    shamir_threshold: Option<u32>,
}

/// `--age`, `--kms`, `--aws-profile` and `--encryption-context`, shared by
/// the commands that encrypt.
#[derive(Args)]
pub(crate) struct KeyFlags {
    /// age recipients, comma-separated or repeated
    #[arg(
        short = 'a',
        long = "age",
        env = "SOPS_AGE_RECIPIENTS",
        value_delimiter = ','
    )]
    pub age: Vec<String>,
    /// PGP fingerprints (40 hex digits), comma-separated or repeated; gpg wraps the data key
    #[arg(short = 'p', long = "pgp", env = "SOPS_PGP_FP", value_delimiter = ',')]
    pub pgp: Vec<String>,
    /// AWS KMS key ARNs, comma-separated or repeated; `ARN+ROLE_ARN` assumes a role
    #[arg(short = 'k', long = "kms", env = "SOPS_KMS_ARN", value_delimiter = ',')]
    pub kms: Vec<String>,
    /// The AWS profile for --kms keys
    #[arg(long)]
    pub aws_profile: Option<String>,
    /// KMS encryption context for --kms keys, as key:value,key2:value2
    #[arg(long)]
    pub encryption_context: Option<String>,
}

impl KeyFlags {
    /// The keys given on the command line, as one group; `None` when none.
    pub fn group(&self) -> Result<Option<Vec<Arc<dyn MasterKey>>>> {
        if self.age.is_empty() && self.kms.is_empty() && self.pgp.is_empty() {
            return Ok(None);
        }
        let mut keys = recipients(&self.age)?;
        keys.extend(kms_keys(self)?);
        keys.extend(pgp_keys(&self.pgp)?);
        Ok(Some(keys))
    }
}

/// The `.sops.yaml` at `explicit`, or found upwards from the working directory.
pub(crate) fn load_config(explicit: Option<&Path>) -> Result<Option<Config>> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => std::env::current_dir().ok().and_then(|d| find_config(&d)),
    };
    path.map(|p| Config::load(&p).map_err(|e| fail(e.exit_code(), e.to_string())))
        .transpose()
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
    /// Spaces per level for JSON output, as sops's --indent (0: a tab)
    #[arg(long)]
    indent: Option<usize>,
    #[command(flatten)]
    order: crate::cli::DecryptionOrder,
}

/// hush's command line as clap sees it (completions, man page).
pub(crate) fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command()
}

pub fn run() -> Result<()> {
    run_from(std::env::args_os())
}

/// Runs hush's command line `args` (program name first).
pub fn run_from(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<()> {
    // Usage errors exit 2, like clap and sops; --help and --version exit 0.
    let cli = Cli::try_parse_from(args).unwrap_or_else(|e| e.exit());
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
        Cmd::Seal(a) => crate::seal::run(a),
        Cmd::Krm(a) => crate::krm::run(a),
        Cmd::Merge(a) => crate::merge::merge(a),
        Cmd::InitGit(a) => crate::merge::init_git(a),
        Cmd::Completions(a) => crate::completions::completions(a),
        Cmd::Man(a) => crate::completions::man(a),
        Cmd::Sops { args } => crate::sops::run(args),
    }
}

impl Common {
    fn file(&self) -> Option<&Path> {
        self.files.first().map(PathBuf::as_path)
    }

    /// Several files (or a directory, or an output directory): the batch path.
    fn is_batch(&self) -> bool {
        self.files.len() > 1 || !self.dirs.is_empty() || self.output_dir.is_some()
    }

    /// Checks the flags of a batch and finds its files.
    fn batch_files(&self, keep: impl Fn(&Path) -> bool) -> Result<Vec<Target>> {
        if !self.in_place && self.output_dir.is_none() {
            return Err(fail(
                exit::ERROR_CONFLICTING_PARAMETERS,
                "several files need -i (in place) or --output-dir DIR; results are never mixed on stdout",
            ));
        }
        if self.output.is_some() || self.filename_override.is_some() {
            return Err(fail(
                exit::ERROR_CONFLICTING_PARAMETERS,
                "--output and --filename-override take one file; use --output-dir for several",
            ));
        }
        if self.files.iter().any(|f| f.as_os_str() == "-") {
            return Err(fail(
                exit::ERROR_CONFLICTING_PARAMETERS,
                "stdin (`-`) cannot be one of several files",
            ));
        }
        collect_files(&self.files, &self.dirs, keep)
    }

    /// The formats of one file of a batch.
    fn formats_of(&self, file: &Path) -> (Format, Format) {
        let input = self
            .input_type
            .map(Format::from)
            .unwrap_or_else(|| Format::from_path(&file.display().to_string()));
        (input, self.output_type.map(Format::from).unwrap_or(input))
    }

    /// Writes one result of a batch: in place, or under the output directory.
    fn write_batch(&self, t: &Target, bytes: &[u8], mode: Option<u32>) -> Result<()> {
        let target = match &self.output_dir {
            Some(dir) => t.under(dir),
            None => t.path.clone(),
        };
        let r = match target.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(parent) if self.output_dir.is_some() => std::fs::create_dir_all(parent),
            _ => Ok(()),
        };
        r.and_then(|()| write_atomic_mode(&target, bytes, mode))
            .map_err(|e| {
                fail(
                    exit::COULD_NOT_WRITE_OUTPUT_FILE,
                    format!("{}: {e}", target.display()),
                )
            })
    }

    fn name(&self) -> String {
        match (self.filename_override.as_deref(), self.file()) {
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

    fn read(&self) -> Result<Vec<u8>> {
        read_file(self.file(), &self.name())
    }

    /// Writes an encrypted file to the output.
    fn write_encrypted(&self, enc: &Ciphertext) -> Result<()> {
        self.write_bytes(enc.as_str().as_bytes())
    }

    /// Writes plaintext to the output: stdout unless the user named a file.
    fn write_plaintext(&self, plain: &Plaintext) -> Result<()> {
        self.write_bytes(plain.expose_bytes())
    }

    fn write_bytes(&self, bytes: &[u8]) -> Result<()> {
        let target = if self.in_place {
            Some(
                self.file()
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
        load_config(self.config.as_deref())
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
        // sops: "failed to parse input, unknown recipient type", exit 1.
        .map_err(|e: Error| fail(exit::ERROR_GENERIC, e.to_string()))
}

/// PGP keys by fingerprint; a short key ID is refused (exit 1, as sops's
/// failure to encrypt).
pub(crate) fn pgp_keys(list: &[String]) -> Result<Vec<Arc<dyn MasterKey>>> {
    list.iter()
        .filter(|f| !f.trim().is_empty())
        .map(|f| {
            f.parse::<PgpKey>()
                .map(|k| Arc::new(k) as Arc<dyn MasterKey>)
                .map_err(|e| fail(exit::ERROR_GENERIC, e.to_string()))
        })
        .collect()
}

pub(crate) fn kms_keys(flags: &KeyFlags) -> Result<Vec<Arc<dyn MasterKey>>> {
    let context = match &flags.encryption_context {
        Some(c) => parse_context(c).map_err(|e| fail(exit::ERROR_GENERIC, e.to_string()))?,
        None => Vec::new(),
    };
    flags
        .kms
        .iter()
        .filter(|k| !k.trim().is_empty())
        .map(|k| {
            let mut key: KmsKey = k
                .parse()
                .map_err(|e: Error| fail(exit::ERROR_GENERIC, e.to_string()))?;
            key.context = context.clone();
            key.aws_profile = flags.aws_profile.clone();
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
            keys.extend(pgp_keys(&g.pgp)?);
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

/// Reads one input file (stdin for `None`/`-`) as bytes.
fn read_file(file: Option<&Path>, name: &str) -> Result<Vec<u8>> {
    if let Some(p) = file.filter(|p| p.as_os_str() != "-" && !p.exists()) {
        return Err(fail(
            exit::NO_FILE_SPECIFIED,
            format!("{}: cannot operate on non-existent file", p.display()),
        ));
    }
    read_input(file).map_err(|e| fail(exit::COULD_NOT_READ_INPUT_FILE, format!("{name}: {e}")))
}

/// Encrypted text must be UTF-8 (every store, binary included, writes text).
fn utf8(bytes: Vec<u8>, name: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| {
        fail(
            exit::ERROR_GENERIC,
            format!("{name}: not an encrypted file (it is not UTF-8 text)"),
        )
    })
}

/// How one file is encrypted: keys and options from the flags, or from the
/// creation rule that matches `rule_path`.
fn encrypt_plan(
    a: &EncryptArgs,
    config: Option<&Config>,
    rule_path: &Path,
) -> Result<(hush_core::KeyGroups, EncryptOptions)> {
    let rule = config.and_then(|cfg| cfg.rule_for(rule_path)).cloned();
    // Keys on the command line make one group; otherwise the creation rule's.
    let groups = if let Some(keys) = a.keys.group()? {
        vec![keys]
    } else if let Some(r) = &rule {
        rule_keys(r)?
    } else {
        Vec::new()
    };
    let opts = EncryptOptions {
        selector: match selector_flag(a)? {
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
    Ok((groups, opts))
}

/// Encrypts one file's bytes.
fn encrypt_bytes(
    rt: &tokio::runtime::Runtime,
    plan: &(hush_core::KeyGroups, EncryptOptions),
    bytes: Vec<u8>,
    (from, to): (Format, Format),
    name: &str,
) -> Result<Ciphertext> {
    let mut plain = Plaintext::from_bytes(bytes, from).map_err(core(name))?;
    if to != from {
        // Like sops: `--output-type json` on a YAML file writes encrypted JSON.
        plain = hush_core::convert(&plain, to).map_err(core(name))?;
    }
    warn_ambiguous(name, &plain, &plan.1.selector);
    rt.block_on(hush_core::encrypt(&plain, &plan.0, &plan.1))
        .map_err(core(name))
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

fn encrypt(a: EncryptArgs) -> Result<()> {
    let c = &a.common;
    let config = c.config()?;
    if c.is_batch() {
        return encrypt_batch(&a, config.as_ref());
    }
    let name = c.name();
    let bytes = c.read()?;
    let rule_path = c
        .filename_override
        .clone()
        .or_else(|| c.file().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("-"));
    let plan = encrypt_plan(&a, config.as_ref(), &rule_path)?;
    let enc = encrypt_bytes(
        &runtime()?,
        &plan,
        bytes,
        (c.format_in(), c.format_out()),
        &name,
    )?;
    c.write_encrypted(&enc)
}

/// `encrypt` over several files: each with its own creation rule.
fn encrypt_batch(a: &EncryptArgs, config: Option<&Config>) -> Result<()> {
    let c = &a.common;
    let structured = |p: &Path| {
        !matches!(Format::from_path(&p.display().to_string()), Format::Binary)
            && !is_encrypted_file(p)
    };
    let files = c.batch_files(structured)?;
    for_each_file(&files, |w, t| {
        let name = t.path.display().to_string();
        let bytes = read_file(Some(&t.path), &name)?;
        let plan = encrypt_plan(a, config, &t.path)?;
        let enc = encrypt_bytes(&w.rt, &plan, bytes, c.formats_of(&t.path), &name)?;
        c.write_batch(t, enc.as_str().as_bytes(), None)
    })
}

/// The unwrappers and options of a decryption.
struct Keys {
    ids: Identities,
    opts: DecryptOptions,
}

fn decrypt_keys(a: &DecryptArgs) -> Result<Keys> {
    let mut ids = Identities::from_env().map_err(core("age"))?;
    for p in &a.identity {
        ids.add_file(p).map_err(core(&p.display().to_string()))?;
    }
    let opts = DecryptOptions {
        ignore_mac: a.ignore_mac,
        decryption_order: a.order.decryption_order.clone(),
    };
    Ok(Keys { ids, opts })
}

/// Decrypts one file's text, then applies `--extract` or `--output-type`.
fn decrypt_text(
    rt: &tokio::runtime::Runtime,
    keys: &Keys,
    kms: &KmsUnwrapper,
    cache: Option<&DataKeyCache>,
    a: &DecryptArgs,
    enc: &Ciphertext,
    to: Format,
    name: &str,
) -> Result<Plaintext> {
    let unwrappers: [&dyn hush_core::keys::Unwrapper; 3] = [&keys.ids, kms, &PgpUnwrapper];
    let plain = match cache {
        Some(cache) => rt.block_on(hush_core::decrypt_cached(
            enc,
            &unwrappers,
            &keys.opts,
            cache,
        )),
        None => rt.block_on(hush_core::decrypt(enc, &unwrappers, &keys.opts)),
    }
    .map_err(core_read(name))?;
    let out = match &a.extract {
        Some(path) => {
            let steps = hush_core::path::parse(path).map_err(core(name))?;
            let v = hush_core::path::extract(&plain, &steps, to).map_err(core(name))?;
            Plaintext::new(v, to)
        }
        None => hush_core::convert(&plain, to).map_err(core(name))?,
    };
    match a.indent.filter(|n| *n > 0) {
        Some(n) if to == Format::Json => Ok(Plaintext::new(
            crate::sops::reindent_json(out.expose(), n),
            to,
        )),
        _ => Ok(out),
    }
}

fn decrypt(a: DecryptArgs) -> Result<()> {
    let c = &a.common;
    let keys = decrypt_keys(&a)?;
    if c.is_batch() {
        return decrypt_batch(&a, &keys);
    }
    let name = c.name();
    let text = utf8(c.read()?, &name)?;
    let enc = Ciphertext::new(text, c.format_in());
    let kms = KmsUnwrapper::default();
    let out = decrypt_text(
        &runtime()?,
        &keys,
        &kms,
        None,
        &a,
        &enc,
        c.format_out(),
        &name,
    )?;
    c.write_plaintext(&out)
}

/// How many data-key unwraps (KMS calls) a batch runs at once at most.
const UNWRAPS_IN_FLIGHT: usize = 8;

/// `decrypt` over several files: one unwrap per distinct data key.
fn decrypt_batch(a: &DecryptArgs, keys: &Keys) -> Result<()> {
    let c = &a.common;
    if a.extract.is_some() {
        return Err(fail(
            exit::ERROR_CONFLICTING_PARAMETERS,
            "--extract takes one file",
        ));
    }
    let files = c.batch_files(is_encrypted_file)?;
    let cache = DataKeyCache::new(UNWRAPS_IN_FLIGHT);
    // Plaintext written beside other files is the user's own: 0600 unless in place.
    let mode = c.output_dir.as_ref().map(|_| 0o600);
    for_each_file(&files, |w, t| {
        let name = t.path.display().to_string();
        let text = utf8(read_file(Some(&t.path), &name)?, &name)?;
        let (from, to) = c.formats_of(&t.path);
        let enc = Ciphertext::new(text, from);
        let out = decrypt_text(&w.rt, keys, &w.kms, Some(&cache), a, &enc, to, &name)?;
        c.write_batch(t, out.expose_bytes(), mode)
    })
}
