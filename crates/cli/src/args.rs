//! The command line: clap definitions only. Each command's behaviour is
//! in `cmd/`, named after it.

use crate::deferred::Deferred;
use clap::{Args, Parser, Subcommand, ValueEnum};
use hush_core::Format;
use std::path::PathBuf;

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

#[derive(Parser)]
#[command(
    name = "hush",
    version,
    about = "Keep Kubernetes secrets encrypted in Git, compatible with sops"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub(crate) enum Cmd {
    /// Encrypt files: YAML, JSON, dotenv, INI, or any other as binary (stdin if no file)
    Encrypt(Deferred<EncryptArgs>),
    /// Decrypt files (stdin if no file); several in parallel with -i or --output-dir
    Decrypt(Deferred<DecryptArgs>),
    /// Run a command with the decrypted top-level values as environment variables
    ExecEnv(Deferred<ExecEnvArgs>),
    /// Run a command with `{}` replaced by the path of the decrypted file
    ExecFile(Deferred<ExecFileArgs>),
    /// Generate an age identity and append it to the age key file
    Keygen(Deferred<KeygenArgs>),
    /// Print whether a file is encrypted, as sops's JSON
    Filestatus(Deferred<FilestatusArgs>),
    /// Print a file decrypted if a key is at hand (git textconv driver)
    #[command(alias = "textconv")]
    Diff(Deferred<DiffArgs>),
    /// Find plaintext secrets, unencrypted files and private keys (for CI and pre-commit)
    Check(Deferred<CheckArgs>),
    /// Edit an encrypted file in $EDITOR; only changed values get new ciphertext
    Edit(Deferred<EditArgs>),
    /// Set one value by path, e.g. '["data"]["password"]' '"s3cret"'
    Set(Deferred<SetArgs>),
    /// Remove one value by path
    Unset(Deferred<UnsetArgs>),
    /// Generate a new data key and re-encrypt every value; add or remove keys
    Rotate(Deferred<RotateArgs>),
    /// Make a file's keys match its .sops.yaml creation rule
    Updatekeys(Deferred<UpdateKeysArgs>),
    /// Turn a plaintext Secret manifest into an EncryptedSecret for hush-controller
    Seal(Deferred<SealArgs>),
    /// KRM exec function, KSOPS-compatible: decrypt at render time (also run as `ksops`)
    Krm(Deferred<KrmArgs>),
    /// git merge driver: three-way merge of encrypted files (`hush merge %O %A %B %P`)
    Merge(Deferred<MergeArgs>),
    /// Set up the git merge and diff drivers and .gitattributes in this clone
    InitGit(Deferred<InitGitArgs>),
    /// Print a shell completion script
    Completions(Deferred<CompletionsArgs>),
    /// Print the man page (roff)
    Man(Deferred<ManArgs>),
    /// Run a sops command line (as when this binary is named `sops`)
    Sops(Deferred<SopsArgs>),
}

/// hush's command line as clap sees it (completions, man page).
pub(crate) fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command()
}

#[derive(Args)]
pub(crate) struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell
    pub shell: clap_complete::Shell,
    /// Complete the sops command line instead (for hush installed as `sops`)
    #[arg(long)]
    pub sops: bool,
}

#[derive(Args)]
pub(crate) struct ManArgs {}

#[derive(Args)]
pub(crate) struct SopsArgs {
    /// The sops arguments
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<std::ffi::OsString>,
}

/// A file format named on the command line.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FileType {
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
pub(crate) enum CipherArg {
    #[value(name = "aes256-gcm")]
    Aes256Gcm,
    #[value(name = "chacha20-poly1305")]
    ChaCha20Poly1305,
}

#[derive(Args)]
pub(crate) struct Common {
    /// The files; stdin when none or `-`. Several files need -i or --output-dir
    pub files: Vec<PathBuf>,
    /// Also the files under this directory: encrypted ones to decrypt, or
    /// YAML/JSON/dotenv/INI ones not yet encrypted to encrypt
    #[arg(short = 'r', long = "recursive")]
    pub dirs: Vec<PathBuf>,
    /// Write each result back to its file
    #[arg(short = 'i', long)]
    pub in_place: bool,
    /// Write the result to this path (one file)
    #[arg(long, conflicts_with = "in_place")]
    pub output: Option<PathBuf>,
    /// Write each result under this directory, by its path below the -r
    /// directory (or as named); decrypted files are written 0600
    #[arg(long, conflicts_with_all = ["in_place", "output"])]
    pub output_dir: Option<PathBuf>,
    /// Input format (default: from the file extension)
    #[arg(long, value_enum)]
    pub input_type: Option<FileType>,
    /// Output format (default: the input format)
    #[arg(long, value_enum)]
    pub output_type: Option<FileType>,
    /// Use this name to pick the format and creation rule (for stdin)
    #[arg(long)]
    pub filename_override: Option<PathBuf>,
    /// The .sops.yaml to use instead of searching upwards from the working directory
    #[arg(long, env = "SOPS_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct EncryptArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub keys: KeyFlags,
    /// Encrypt only values under keys matching this regex
    #[arg(long, group = "selector")]
    pub encrypted_regex: Option<String>,
    /// Leave values under keys matching this regex in plaintext
    #[arg(long, group = "selector")]
    pub unencrypted_regex: Option<String>,
    /// Encrypt only values under keys ending with this suffix
    #[arg(long, group = "selector")]
    pub encrypted_suffix: Option<String>,
    /// Leave values under keys ending with this suffix in plaintext [default: _unencrypted]
    #[arg(long, group = "selector")]
    pub unencrypted_suffix: Option<String>,
    /// Encrypt only values after a comment matching this regex
    #[arg(long, group = "selector")]
    pub encrypted_comment_regex: Option<String>,
    /// Leave values after a comment matching this regex in plaintext
    #[arg(long, group = "selector")]
    pub unencrypted_comment_regex: Option<String>,
    /// Compute the MAC over encrypted values only
    #[arg(long)]
    pub mac_only_encrypted: bool,
    /// The value cipher; chacha20-poly1305 is hush-only and sops cannot read it
    #[arg(long, value_enum, default_value = "aes256-gcm")]
    pub cipher: CipherArg,
    /// With several key groups, how many must join to decrypt [default: all]
    #[arg(long = "shamir-secret-sharing-threshold")]
    pub shamir_threshold: Option<u32>,
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

#[derive(Args)]
pub(crate) struct DecryptArgs {
    #[command(flatten)]
    pub common: Common,
    /// Print only this value or subtree, e.g. '["data"]["password"]'
    #[arg(long)]
    pub extract: Option<String>,
    /// Do not verify the MAC
    #[arg(long)]
    pub ignore_mac: bool,
    /// An age identity file (repeatable); added to the sops key sources
    #[arg(long)]
    pub identity: Vec<PathBuf>,
    /// Spaces per level for JSON output, as sops's --indent (0: none)
    #[arg(long)]
    pub indent: Option<usize>,
    #[command(flatten)]
    pub order: DecryptionOrder,
}

#[derive(Args)]
pub(crate) struct SetArgs {
    /// The encrypted file, changed in place
    pub file: PathBuf,
    /// The path, e.g. '["data"]["password"]'
    pub path: String,
    /// The new value as JSON, e.g. '"s3cret"' or '{"a": 1}'
    pub value: Option<String>,
    /// Read the value (JSON) from this file
    #[arg(long, conflicts_with_all = ["value", "value_stdin"])]
    pub value_file: Option<PathBuf>,
    /// Read the value (JSON) from stdin
    #[arg(long, conflicts_with = "value")]
    pub value_stdin: bool,
    /// Accepted for sops compatibility: hush never rewrites a file whose value is unchanged
    #[arg(long)]
    pub idempotent: bool,
    /// Do not verify the MAC of the existing file
    #[arg(long)]
    pub ignore_mac: bool,
    /// Which document of a multi-document file (0-based)
    #[arg(long, default_value_t = 0)]
    pub document: usize,
}

#[derive(Args)]
pub(crate) struct UnsetArgs {
    /// The encrypted file, changed in place
    pub file: PathBuf,
    /// The path, e.g. '["data"]["password"]'
    pub path: String,
    /// Do nothing (exit 0) if the path does not exist
    #[arg(long)]
    pub idempotent: bool,
    /// Do not verify the MAC of the existing file
    #[arg(long)]
    pub ignore_mac: bool,
    /// Which document of a multi-document file (0-based)
    #[arg(long, default_value_t = 0)]
    pub document: usize,
}

#[derive(Args)]
pub(crate) struct RotateArgs {
    /// The encrypted files
    pub files: Vec<PathBuf>,
    /// Also every encrypted file under this directory
    #[arg(short = 'r', long = "recursive")]
    pub dirs: Vec<PathBuf>,
    /// Write the results back to the files (default for several files: required)
    #[arg(short = 'i', long)]
    pub in_place: bool,
    /// Write the result to this file (one file)
    #[arg(long, conflicts_with = "in_place")]
    pub output: Option<PathBuf>,
    /// Output format of the result on stdout or --output (default: the file's)
    #[arg(long, value_enum, conflicts_with = "in_place")]
    pub output_type: Option<FileType>,
    /// Do not verify the MAC of the existing file
    #[arg(long)]
    pub ignore_mac: bool,
    /// Add age recipients (to the first key group)
    #[arg(long, value_delimiter = ',')]
    pub add_age: Vec<String>,
    /// Remove age recipients
    #[arg(long, value_delimiter = ',')]
    pub rm_age: Vec<String>,
    /// Add KMS keys (ARN or ARN+ROLE) to the first key group
    #[arg(long, value_delimiter = ',')]
    pub add_kms: Vec<String>,
    /// Remove KMS keys by ARN
    #[arg(long, value_delimiter = ',')]
    pub rm_kms: Vec<String>,
    /// Add PGP keys (fingerprints) to the first key group
    #[arg(long, value_delimiter = ',')]
    pub add_pgp: Vec<String>,
    /// Remove PGP keys by fingerprint
    #[arg(long, value_delimiter = ',')]
    pub rm_pgp: Vec<String>,
}

#[derive(Args)]
pub(crate) struct UpdateKeysArgs {
    /// The encrypted files
    pub files: Vec<PathBuf>,
    /// Also every encrypted file under this directory
    #[arg(short = 'r', long = "recursive")]
    pub dirs: Vec<PathBuf>,
    /// Apply without asking
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Also rotate the data key (re-encrypt every value)
    #[arg(long)]
    pub rotate: bool,
    /// The .sops.yaml to use instead of searching upwards
    #[arg(long, env = "SOPS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print the changes to stdout in sops's words (the `sops` front end)
    #[arg(long, hide = true)]
    pub sops_report: bool,
}

#[derive(Args)]
pub(crate) struct EditArgs {
    /// The encrypted file; a missing one is created from the matching .sops.yaml rule
    pub file: PathBuf,
    /// Continue an edit saved in FILE.hush-rescue
    #[arg(long)]
    pub rescue: bool,
    /// Keys for a new file
    #[command(flatten)]
    pub keys: KeyFlags,
    /// Do not verify the MAC of the existing file
    #[arg(long)]
    pub ignore_mac: bool,
    /// The .sops.yaml to use instead of searching upwards
    #[arg(long, env = "SOPS_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub order: DecryptionOrder,
    /// Answer as sops (the `sops` front end): a new file starts from sops's
    /// example, and an unchanged edit exits 200
    #[arg(long, hide = true)]
    pub sops: bool,
}

/// How to read and decrypt the input file.
#[derive(Args)]
pub(crate) struct Source {
    /// The encrypted file
    pub file: PathBuf,
    /// Input format (default: from the file extension)
    #[arg(long, value_enum)]
    pub input_type: Option<FileType>,
    #[command(flatten)]
    pub order: DecryptionOrder,
}

/// `hush exec-env`.
#[derive(Args)]
pub(crate) struct ExecEnvArgs {
    #[command(flatten)]
    pub source: Source,
    /// The command (a /bin/sh string) and extra arguments, appended quoted
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
    /// Give the command only the decrypted values, not hush's environment
    #[arg(long)]
    pub pristine: bool,
    /// Replace hush by the command instead of running it as a child
    #[arg(long)]
    pub same_process: bool,
}

/// `hush exec-file`.
#[derive(Args)]
pub(crate) struct ExecFileArgs {
    #[command(flatten)]
    pub source: Source,
    /// The command (a /bin/sh string; `{}` becomes the path) and extra arguments
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
    /// Use a regular 0600 file instead of a FIFO
    #[arg(long)]
    pub no_fifo: bool,
    /// The file's name inside the private temporary directory
    #[arg(long, default_value = "tmp-file", value_parser = plain_name)]
    pub filename: String,
    /// Format handed to the command (default: the input format)
    #[arg(long, value_enum)]
    pub output_type: Option<FileType>,
}

/// A plain file name for `--filename`.
fn plain_name(s: &str) -> std::result::Result<String, String> {
    if s.is_empty() || s == "." || s == ".." || s.contains(['/', '\0']) {
        return Err("a plain file name is needed (no `/`)".into());
    }
    Ok(s.to_string())
}

/// `hush filestatus`.
#[derive(Args)]
pub(crate) struct FilestatusArgs {
    /// The file to check
    pub file: PathBuf,
    /// Input format (default: from the file extension)
    #[arg(long, value_enum)]
    pub input_type: Option<FileType>,
}

/// `hush diff` / `hush textconv`.
#[derive(Args)]
pub(crate) struct DiffArgs {
    /// The file git hands to the textconv driver
    pub file: PathBuf,
}

/// `hush keygen`.
#[derive(Args)]
#[command(
    after_help = "PGP keys are made with gpg, which hush and sops both run: \
`gpg --quick-gen-key 'Name <mail>' future-default default 2y`, then \
`gpg --fingerprint mail` for the 40-hex-digit fingerprint to pass to --pgp \
or list under `pgp:` in .sops.yaml. Short key IDs are refused. \
To move from PGP to age: `hush rotate -i --add-age age1… FILE`."
)]
pub(crate) struct KeygenArgs {
    /// The key file to append to [default: $SOPS_AGE_KEY_FILE if set, else
    /// the sops age key file, $XDG_CONFIG_HOME/sops/age/keys.txt]
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
}

/// Output formats.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum OutputFormat {
    /// `path:line:col: rule-id: message`, one per line
    Text,
    /// One JSON object with every finding
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and GitLab
    Sarif,
}

/// When to colour text output.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Color {
    /// On a terminal, unless NO_COLOR is set
    Auto,
    Always,
    Never,
}

#[derive(Args)]
pub(crate) struct CheckArgs {
    /// Files or directories to check (default: the current directory,
    /// walked honouring .gitignore). Files are checked as given, as
    /// pre-commit passes them.
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
    /// Turn on rules that are off by default (e.g. likely-secret); comma-separated or repeated
    #[arg(long, value_delimiter = ',')]
    pub enable: Vec<String>,
    /// Turn off rules; comma-separated or repeated
    #[arg(long, value_delimiter = ',')]
    pub disable: Vec<String>,
    /// Also decrypt with the keys sops would use and verify each MAC
    #[arg(long)]
    pub verify: bool,
    /// The .hush-check.yaml to use (default: searched from the current directory upwards)
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// When to colour text output
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// Skip larger files that can hold no Secret (YAML, JSON, env files and files a creation rule covers are always checked)
    #[arg(long, default_value_t = hush_check::DEFAULT_MAX_FILESIZE)]
    pub max_filesize: u64,
    /// Worker threads (0: one per CPU)
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Do not print notes (files checked leniently or skipped)
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the rules and exit
    #[arg(long)]
    pub list_rules: bool,
}

/// `hush merge`.
#[derive(Args)]
pub(crate) struct MergeArgs {
    /// The common ancestor (git's %O; empty when there is none)
    pub base: PathBuf,
    /// Ours (git's %A): the merged file is written here
    pub ours: PathBuf,
    /// Theirs (git's %B)
    pub theirs: PathBuf,
    /// The file's path in the repository (git's %P), for its format and messages
    pub path: Option<String>,
    /// The format (default: from the path's extension)
    #[arg(long, value_enum)]
    pub input_type: Option<FileType>,
    #[command(flatten)]
    pub order: DecryptionOrder,
}

/// `hush init-git`.
#[derive(Args)]
pub(crate) struct InitGitArgs {
    /// Patterns of encrypted files to add to .gitattributes
    #[arg(default_values = ["*.enc.yaml", "*.enc.yml", "*.enc.json", "*.enc.env", "*.enc.ini"])]
    pub patterns: Vec<String>,
    /// How git should run hush (a name on PATH, or a full path)
    #[arg(long, default_value = "hush")]
    pub command: String,
}

/// `hush krm`.
#[derive(Args)]
pub(crate) struct KrmArgs {
    /// A generator manifest: run as a legacy kustomize exec plugin and print
    /// only the generated resources (default: a ResourceList on stdin)
    pub manifest: Option<PathBuf>,
    /// Which files may be read: only below the working directory (as
    /// kustomize's default), or any
    #[arg(
        long,
        value_enum,
        env = "HUSH_LOAD_RESTRICTOR",
        default_value = "LoadRestrictionsRootOnly"
    )]
    pub load_restrictor: Restrictor,
    /// Print the number of files, data-key unwraps and the time taken to stderr
    #[arg(long, env = "HUSH_KRM_STATS")]
    pub stats: bool,
    #[command(flatten)]
    pub order: DecryptionOrder,
}

/// kustomize's `--load-restrictor` values.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Restrictor {
    #[value(name = "LoadRestrictionsRootOnly", alias = "root-only")]
    RootOnly,
    #[value(name = "LoadRestrictionsNone", alias = "none")]
    None,
}

/// hush installed (or linked) under the name `ksops`.
#[derive(Parser)]
#[command(
    name = "ksops",
    version,
    about = "hush as a KSOPS-compatible KRM function"
)]
pub(crate) struct Ksops {
    #[command(flatten)]
    pub args: KrmArgs,
}

/// `hush seal`.
#[derive(Args)]
pub(crate) struct SealArgs {
    /// The Secret manifest (YAML or JSON); stdin when absent or `-`
    pub file: Option<PathBuf>,
    /// Where the EncryptedSecret may be decrypted
    #[arg(long, value_enum, default_value = "strict")]
    pub scope: ScopeKind,
    /// The namespace, when the manifest has none
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    #[command(flatten)]
    pub keys: KeyFlags,
    /// Write the EncryptedSecret here instead of stdout
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
    /// Replace the Secret manifest with the EncryptedSecret
    #[arg(short = 'i', long, conflicts_with = "output")]
    pub in_place: bool,
    /// The .sops.yaml to use instead of searching upwards from the working directory
    #[arg(long, env = "SOPS_CONFIG")]
    pub config: Option<PathBuf>,
}

/// Where an EncryptedSecret may be decrypted.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ScopeKind {
    /// Only this namespace and name
    Strict,
    /// Any name in this namespace
    Namespace,
    /// Anywhere in the cluster
    Cluster,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn subcommand_arguments_are_built_on_use_and_the_tree_is_valid() {
        let cmd = Cli::command();
        for sub in cmd.get_subcommands() {
            let n = sub.get_arguments().count();
            assert_eq!(n, 0, "{} built {n} arguments before use", sub.get_name());
        }
        // Builds every subcommand and runs clap's own consistency checks.
        cmd.debug_assert();
    }

    #[test]
    fn subcommands_keep_their_own_description_once_built() {
        let about = |c: &clap::Command| c.get_about().map(|a| a.to_string());
        let lazy = Cli::command();
        let want: Vec<_> = lazy.get_subcommands().map(about).collect();
        let mut built = Cli::command();
        built.build();
        // Building adds clap's own `help` subcommand.
        let got: Vec<_> = built
            .get_subcommands()
            .filter(|c| c.get_name() != "help")
            .map(about)
            .collect();
        assert_eq!(got, want);
        assert!(want.iter().all(Option::is_some));
    }
}
