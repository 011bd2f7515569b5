//! The sops 3.11 command line as clap sees it: every global flag (accepted
//! before or after the subcommand), the subcommands with their own flags,
//! and the legacy form `sops [flags] FILE`.

use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "sops",
    about = "hush answering as sops 3.11: every sops command and flag, hush underneath",
    disable_version_flag = true,
    args_override_self = true
)]
pub struct SopsCli {
    #[command(flatten)]
    pub g: Global,
    #[command(subcommand)]
    pub cmd: Option<SopsCmd>,
    /// The file (legacy form: edit, or -e/-d/-r/--set on it)
    pub files: Vec<PathBuf>,
    /// `--ignore-mac` after the subcommand: sops's `set` and `unset` honour
    /// it only there (before it, only the legacy -r and --set do).
    #[arg(skip)]
    pub sub_ignore_mac: bool,
}

/// sops's global options; `global = true` also accepts them after the
/// subcommand, where sops defines most of them again.
#[derive(Args, Default)]
pub struct Global {
    /// Decrypt a file and print the result
    #[arg(short = 'd', long, global = true)]
    pub decrypt: bool,
    /// Encrypt a file and print the result
    #[arg(short = 'e', long, global = true)]
    pub encrypt: bool,
    /// Generate a new data key and re-encrypt every value
    #[arg(short = 'r', long, global = true)]
    pub rotate: bool,
    /// Print the version
    #[arg(short = 'v', long, global = true)]
    pub version: bool,
    /// Accepted; hush never checks for updates
    #[arg(long, global = true)]
    pub disable_version_check: bool,
    /// Accepted; hush never checks for updates
    #[arg(long, global = true)]
    pub check_for_updates: bool,
    /// AWS KMS key ARNs, comma-separated
    #[arg(short = 'k', long, global = true)]
    pub kms: Option<String>,
    /// The AWS profile for KMS
    #[arg(long, global = true)]
    pub aws_profile: Option<String>,
    /// GCP KMS resource IDs (not supported by hush)
    #[arg(long, global = true)]
    pub gcp_kms: Option<String>,
    /// HuaweiCloud KMS key IDs (not supported by hush)
    #[arg(long, global = true)]
    pub hckms: Option<String>,
    /// Azure Key Vault URLs (not supported by hush)
    #[arg(long, global = true)]
    pub azure_kv: Option<String>,
    /// Vault transit key URIs (not supported by hush)
    #[arg(long, global = true)]
    pub hc_vault_transit: Option<String>,
    /// PGP fingerprints, comma-separated
    #[arg(short = 'p', long, global = true)]
    pub pgp: Option<String>,
    /// age recipients, comma-separated
    #[arg(short = 'a', long, global = true)]
    pub age: Option<String>,
    /// Write the result back to the file
    #[arg(short = 'i', long, global = true)]
    pub in_place: bool,
    /// Print only this key or branch, e.g. '["a"][0]'
    #[arg(long, global = true)]
    pub extract: Option<String>,
    /// yaml, json, dotenv, ini or binary
    #[arg(long, global = true)]
    pub input_type: Option<String>,
    /// yaml, json, dotenv, ini or binary
    #[arg(long, global = true)]
    pub output_type: Option<String>,
    /// Show the sops metadata while editing (not supported by hush)
    #[arg(short = 's', long, global = true)]
    pub show_master_keys: bool,
    #[arg(long, global = true)]
    pub add_gcp_kms: Option<String>,
    #[arg(long, global = true)]
    pub rm_gcp_kms: Option<String>,
    #[arg(long, global = true)]
    pub add_hckms: Option<String>,
    #[arg(long, global = true)]
    pub rm_hckms: Option<String>,
    #[arg(long, global = true)]
    pub add_azure_kv: Option<String>,
    #[arg(long, global = true)]
    pub rm_azure_kv: Option<String>,
    #[arg(long, global = true)]
    pub add_hc_vault_transit: Option<String>,
    #[arg(long, global = true)]
    pub rm_hc_vault_transit: Option<String>,
    /// Add KMS ARNs to the first key group (with -r/rotate)
    #[arg(long, global = true)]
    pub add_kms: Option<String>,
    #[arg(long, global = true)]
    pub rm_kms: Option<String>,
    /// Add age recipients to the first key group (with -r/rotate)
    #[arg(long, global = true)]
    pub add_age: Option<String>,
    #[arg(long, global = true)]
    pub rm_age: Option<String>,
    /// Add PGP fingerprints to the first key group (with -r/rotate)
    #[arg(long, global = true)]
    pub add_pgp: Option<String>,
    #[arg(long, global = true)]
    pub rm_pgp: Option<String>,
    /// Do not verify the MAC
    #[arg(long, global = true)]
    pub ignore_mac: bool,
    /// Compute the MAC over encrypted values only
    #[arg(long, global = true)]
    pub mac_only_encrypted: bool,
    #[arg(long, global = true)]
    pub unencrypted_suffix: Option<String>,
    #[arg(long, global = true)]
    pub encrypted_suffix: Option<String>,
    #[arg(long, global = true)]
    pub unencrypted_regex: Option<String>,
    #[arg(long, global = true)]
    pub encrypted_regex: Option<String>,
    #[arg(long, global = true)]
    pub unencrypted_comment_regex: Option<String>,
    #[arg(long, global = true)]
    pub encrypted_comment_regex: Option<String>,
    /// The .sops.yaml to use
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// KMS encryption context, key:value,...
    #[arg(long, global = true)]
    pub encryption_context: Option<String>,
    /// Set a value: '["key"][0] JSON' (legacy form)
    #[arg(long, global = true)]
    pub set: Option<String>,
    /// With several key groups, how many must join to decrypt
    #[arg(long, global = true)]
    pub shamir_secret_sharing_threshold: Option<u32>,
    /// Spaces of indentation for YAML or JSON output (legacy form only, as
    /// in sops; -1 is a tab in JSON)
    #[arg(long, global = true, allow_negative_numbers = true)]
    pub indent: Option<i32>,
    /// Accepted; hush has no verbose log
    #[arg(long, global = true)]
    pub verbose: bool,
    /// Write the result to this file
    #[arg(long, global = true)]
    pub output: Option<PathBuf>,
    /// Pick the format and creation rule by this name
    #[arg(long, global = true)]
    pub filename_override: Option<PathBuf>,
    /// Key types to try first, comma-separated
    #[arg(long, global = true)]
    pub decryption_order: Option<String>,
    /// Accepted: hush always uses its local keys (`=false` is refused)
    #[arg(
        long,
        global = true,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub enable_local_keyservice: Option<bool>,
    /// Remote key services (not supported by hush: warned and ignored)
    #[arg(long, global = true)]
    pub keyservice: Vec<String>,
}

#[derive(Subcommand)]
pub enum SopsCmd {
    /// Encrypt a file (stdin if none)
    Encrypt { file: Option<PathBuf> },
    /// Decrypt a file (stdin if none)
    Decrypt { file: Option<PathBuf> },
    /// Edit an encrypted file
    Edit { file: PathBuf },
    /// New data key; every value re-encrypted
    Rotate { file: PathBuf },
    /// Set one key or branch
    Set(SetArgs),
    /// Remove one key or branch
    Unset {
        /// Do nothing if the key is absent
        #[arg(long)]
        idempotent: bool,
        file: PathBuf,
        index: String,
    },
    /// Sync a file's keys with .sops.yaml
    Updatekeys {
        /// Apply without asking
        #[arg(short = 'y', long)]
        yes: bool,
        files: Vec<PathBuf>,
    },
    /// Run a command with the decrypted values in its environment
    ExecEnv(ExecArgs),
    /// Run a command on the decrypted file
    ExecFile(ExecArgs),
    /// Print {"encrypted":bool}
    Filestatus { file: PathBuf },
    /// Add or delete key groups
    Groups {
        #[command(subcommand)]
        cmd: GroupsCmd,
    },
    /// Shell completions (hush's own)
    Completion { shell: Option<String> },
    /// Not supported by hush
    Publish {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        rest: Vec<OsString>,
    },
    /// Not supported by hush
    Keyservice {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        rest: Vec<OsString>,
    },
}

#[derive(Args)]
pub struct SetArgs {
    /// VALUE is the path of a file holding the JSON value
    #[arg(long)]
    pub value_file: bool,
    /// Read the JSON value from stdin
    #[arg(long)]
    pub value_stdin: bool,
    /// Do nothing if the key already has this value
    #[arg(long)]
    pub idempotent: bool,
    pub file: PathBuf,
    pub index: String,
    pub value: Option<String>,
}

#[derive(Args)]
pub struct ExecArgs {
    /// Not supported by hush
    #[arg(long)]
    pub background: bool,
    /// Only the decrypted values in the environment (exec-env)
    #[arg(long)]
    pub pristine: bool,
    /// Run as this user (not supported by hush)
    #[arg(long)]
    pub user: Option<String>,
    /// Replace this process (exec-env)
    #[arg(long)]
    pub same_process: bool,
    /// A regular 0600 file instead of a FIFO (exec-file)
    #[arg(long)]
    pub no_fifo: bool,
    /// The temporary file's name (exec-file)
    #[arg(long)]
    pub filename: Option<String>,
    pub file: PathBuf,
    pub command: String,
}

#[derive(Subcommand)]
pub enum GroupsCmd {
    /// Add a key group
    Add {
        #[arg(short = 'f', long)]
        file: PathBuf,
    },
    /// Delete the key group at INDEX
    Delete {
        #[arg(short = 'f', long)]
        file: PathBuf,
        index: usize,
    },
}
