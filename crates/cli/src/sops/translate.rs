//! From a parsed sops command line to the hush command that does the
//! same, or a clear refusal for what hush cannot do.

use super::args::{ExecArgs, Global, SetArgs, SopsCli, SopsCmd};
use crate::failure::{fail, Failure};
use hush_core::error::exit;
use hush_core::Format;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

type Result<T> = std::result::Result<T, Failure>;

/// What to run for one sops invocation.
pub enum Plan {
    /// hush's own command line, program name first.
    Hush(Vec<OsString>),
    GroupsAdd(Global, PathBuf),
    GroupsDelete(Global, PathBuf, usize),
}

/// A hush argv under construction.
struct Argv(Vec<OsString>);

impl Argv {
    fn new(cmd: &str) -> Self {
        Argv(vec!["hush".into(), cmd.into()])
    }
    fn arg(&mut self, a: impl Into<OsString>) -> &mut Self {
        self.0.push(a.into());
        self
    }
    fn flag(&mut self, name: &str, on: bool) -> &mut Self {
        if on {
            self.arg(name);
        }
        self
    }
    fn opt<T: Into<OsString> + Clone>(&mut self, name: &str, v: &Option<T>) -> &mut Self {
        if let Some(v) = v {
            self.arg(name).arg(v.clone());
        }
        self
    }
    fn done(&mut self) -> Plan {
        Plan::Hush(std::mem::take(&mut self.0))
    }
}

fn unsupported(what: &str) -> Failure {
    fail(
        exit::ERROR_GENERIC,
        format!("hush does not support {what}; use the sops binary for it"),
    )
}

/// Refuses the key types and features hush does not implement.
pub fn refuse_unsupported(g: &Global) -> Result<()> {
    let keys = [
        (&g.gcp_kms, "GCP KMS keys (--gcp-kms)"),
        (&g.add_gcp_kms, "GCP KMS keys (--add-gcp-kms)"),
        (&g.rm_gcp_kms, "GCP KMS keys (--rm-gcp-kms)"),
        (&g.hckms, "HuaweiCloud KMS keys (--hckms)"),
        (&g.add_hckms, "HuaweiCloud KMS keys (--add-hckms)"),
        (&g.rm_hckms, "HuaweiCloud KMS keys (--rm-hckms)"),
        (&g.azure_kv, "Azure Key Vault keys (--azure-kv)"),
        (&g.add_azure_kv, "Azure Key Vault keys (--add-azure-kv)"),
        (&g.rm_azure_kv, "Azure Key Vault keys (--rm-azure-kv)"),
        (
            &g.hc_vault_transit,
            "Vault transit keys (--hc-vault-transit)",
        ),
        (
            &g.add_hc_vault_transit,
            "Vault transit keys (--add-hc-vault-transit)",
        ),
        (
            &g.rm_hc_vault_transit,
            "Vault transit keys (--rm-hc-vault-transit)",
        ),
    ];
    if let Some((_, what)) = keys.iter().find(|(v, _)| v.is_some()) {
        return Err(unsupported(what));
    }
    if g.enable_local_keyservice == Some(false) {
        return Err(unsupported(
            "--enable-local-keyservice=false (hush has no key service but the local keys)",
        ));
    }
    Ok(())
}

/// The kind of command, for sops's exit codes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Extract,
    Unset,
    Groups,
    Edit,
    Other,
}

pub fn kind(cli: &SopsCli) -> Kind {
    match &cli.cmd {
        Some(SopsCmd::Decrypt { .. }) if cli.g.extract.is_some() => Kind::Extract,
        None if cli.g.decrypt && cli.g.extract.is_some() => Kind::Extract,
        Some(SopsCmd::Unset { .. }) => Kind::Unset,
        Some(SopsCmd::Groups { .. }) => Kind::Groups,
        Some(SopsCmd::Edit { .. }) => Kind::Edit,
        None if !(cli.g.encrypt || cli.g.decrypt || cli.g.rotate || cli.g.set.is_some()) => {
            Kind::Edit
        }
        _ => Kind::Other,
    }
}

/// The checks sops makes before it reads keys, with its exit codes.
pub fn precheck(cli: &SopsCli) -> Result<()> {
    let legacy_set = cli.cmd.is_none() && cli.g.set.is_some();
    let changed = match &cli.cmd {
        Some(SopsCmd::Rotate { file }) => Some(file),
        Some(SopsCmd::Set(s)) => Some(&s.file),
        Some(SopsCmd::Unset { file, .. }) => Some(file),
        None if cli.g.rotate || legacy_set => cli.files.first(),
        _ => None,
    };
    if let Some(file) = changed.filter(|f| !f.exists()) {
        return Err(fail(
            exit::COULD_NOT_READ_INPUT_FILE,
            format!(
                "Error reading file: open {}: no such file or directory",
                file.display()
            ),
        ));
    }
    selectors(&cli.g)?;
    paths(cli)?;
    if let Some(SopsCmd::Set(s)) = &cli.cmd {
        let value_file = s.value.as_deref().filter(|_| s.value_file);
        if let Some(v) = value_file.filter(|v| !Path::new(v).exists()) {
            return Err(fail(
                exit::ERROR_GENERIC,
                format!("open {v}: no such file or directory"),
            ));
        }
        let inline = s
            .value
            .as_deref()
            .filter(|_| !s.value_file && !s.value_stdin);
        if inline.is_some_and(|v| serde_json::from_str::<serde_json::Value>(v).is_err()) {
            return Err(fail(
                INVALID_SET_FORMAT,
                "Value for --set is not valid JSON",
            ));
        }
    }
    let encrypt_stdin = match &cli.cmd {
        Some(SopsCmd::Encrypt { file }) => file.is_none(),
        _ => false,
    };
    if encrypt_stdin && cli.g.filename_override.is_none() {
        return Err(fail(
            exit::ERROR_CONFLICTING_PARAMETERS,
            "Error: must specify --filename-override when reading from stdin",
        ));
    }
    Ok(())
}

/// sops: `--set` or a `set` value that is not JSON.
const INVALID_SET_FORMAT: u8 = 7;

/// sops takes at most one of the six selectors of what to encrypt (exit 8).
fn selectors(g: &Global) -> Result<()> {
    let given = [
        &g.encrypted_suffix,
        &g.unencrypted_suffix,
        &g.encrypted_regex,
        &g.unencrypted_regex,
        &g.encrypted_comment_regex,
        &g.unencrypted_comment_regex,
    ];
    if given.iter().filter(|v| v.is_some()).count() > 1 {
        return Err(fail(
            exit::ERROR_CONFLICTING_PARAMETERS,
            "Error: cannot use more than one of encrypted_suffix, unencrypted_suffix, \
             encrypted_regex, unencrypted_regex, encrypted_comment_regex, or \
             unencrypted_comment_regex in the same file",
        ));
    }
    Ok(())
}

/// A malformed tree path: sops exits 91 for `--extract`, 7 for `set`,
/// `unset` and `--set` (a well-formed path that is missing fails later).
fn paths(cli: &SopsCli) -> Result<()> {
    let well_formed = |p: &str| hush_core::path::parse(p).is_ok();
    let legacy = cli.cmd.is_none();
    if let Some(p) = cli.g.extract.as_deref().filter(|p| !well_formed(p)) {
        let decrypting =
            legacy && cli.g.decrypt || matches!(cli.cmd, Some(SopsCmd::Decrypt { .. }));
        if decrypting {
            return Err(fail(
                exit::ERROR_INVALID_TREE_PATH,
                format!("error parsing --extract path: cannot parse `{p}`"),
            ));
        }
    }
    let (index, what) = match &cli.cmd {
        Some(SopsCmd::Set(s)) => (s.index.as_str(), "set"),
        Some(SopsCmd::Unset { index, .. }) => (index.as_str(), "unset"),
        _ => return Ok(()),
    };
    if !well_formed(index) {
        return Err(fail(
            INVALID_SET_FORMAT,
            format!("Invalid {what} index format"),
        ));
    }
    Ok(())
}

/// Whether `--ignore-mac` follows the `set` or `unset` subcommand.
pub fn ignore_mac_after_subcommand(cli: &SopsCli, argv: &[OsString]) -> bool {
    let name = match cli.cmd {
        Some(SopsCmd::Set(_)) => "set",
        Some(SopsCmd::Unset { .. }) => "unset",
        _ => return false,
    };
    argv.iter()
        .skip(1)
        .skip_while(|a| a.as_os_str() != name)
        .any(|a| a.as_os_str() == "--ignore-mac")
}

pub fn plan(cli: SopsCli) -> Result<Plan> {
    let SopsCli {
        mut g,
        cmd,
        files,
        sub_ignore_mac,
    } = cli;
    if cmd.is_some() {
        // sops's subcommands do not read the global --indent.
        g.indent = None;
    }
    match cmd {
        Some(SopsCmd::Encrypt { file }) => Ok(encrypt(&g, file)),
        Some(SopsCmd::Decrypt { file }) => decrypt(&g, file),
        Some(SopsCmd::Edit { file }) => edit(&g, file),
        // sops's rotate subcommand checks the MAC whatever --ignore-mac says.
        Some(SopsCmd::Rotate { file }) => rotate(&g, file, false),
        Some(SopsCmd::Set(s)) => set(&g, s, sub_ignore_mac),
        Some(SopsCmd::Unset {
            idempotent,
            file,
            index,
        }) => {
            same_format(&g, &file, "unset")?;
            Ok(Argv::new("unset")
                .arg(file)
                .arg(index)
                .flag("--idempotent", idempotent)
                .flag("--ignore-mac", sub_ignore_mac)
                .done())
        }
        Some(SopsCmd::Updatekeys { yes, files }) => {
            let mut a = Argv::new("updatekeys");
            a.arg("--sops-report")
                .flag("-y", yes)
                .opt("--config", &g.config);
            for f in files {
                a.arg(f);
            }
            Ok(a.done())
        }
        Some(SopsCmd::ExecEnv(e)) => exec(&g, e, "exec-env"),
        Some(SopsCmd::ExecFile(e)) => exec(&g, e, "exec-file"),
        Some(SopsCmd::Filestatus { file }) => Ok(Argv::new("filestatus")
            .opt("--input-type", &g.input_type)
            .arg(file)
            .done()),
        Some(SopsCmd::Groups { cmd }) => Ok(match cmd {
            super::args::GroupsCmd::Add { file } => Plan::GroupsAdd(g, file),
            super::args::GroupsCmd::Delete { file, index } => Plan::GroupsDelete(g, file, index),
        }),
        Some(SopsCmd::Completion { shell }) => Ok(Argv::new("completions")
            .arg("--sops")
            .arg(shell.unwrap_or_else(|| "bash".into()))
            .done()),
        Some(SopsCmd::Publish { .. }) => Err(unsupported("sops publish")),
        Some(SopsCmd::Keyservice { .. }) => Err(unsupported("sops keyservice")),
        None => legacy(g, files),
    }
}

/// `sops [flags] FILE`: -e, -d, -r, --set, or edit.
fn legacy(g: Global, files: Vec<PathBuf>) -> Result<Plan> {
    let file = files.into_iter().next();
    let modes = [g.encrypt, g.decrypt, g.rotate, g.set.is_some()];
    if modes.iter().filter(|m| **m).count() > 1 {
        // sops runs each in turn; the output of the last (in this order:
        // encrypt, decrypt, rotate, set) is the one written.
        eprintln!("hush: warning: More than one command (--encrypt, --decrypt, --rotate, --set) has been specified. Only the changes made by the last one will be visible. Note that this behavior is deprecated and will cause an error eventually.");
    }
    let Some(file) = file else {
        return Err(fail(exit::NO_FILE_SPECIFIED, "Error: no file specified"));
    };
    if g.encrypt || g.decrypt || g.rotate || g.set.is_some() {
        indent_allowed(&g, &file)?;
    }
    if let Some(s) = &g.set {
        return legacy_set(&g, file, s);
    }
    if g.rotate {
        return rotate(&g, file, g.ignore_mac);
    }
    if g.decrypt {
        return decrypt(&g, Some(file));
    }
    if g.encrypt {
        return Ok(encrypt(&g, Some(file)));
    }
    edit(&g, file)
}

/// `sops --set '["a"] VALUE' FILE`.
fn legacy_set(g: &Global, file: PathBuf, s: &str) -> Result<Plan> {
    let (index, value) = split_set(s)?;
    let json_ok = serde_json::from_str::<serde_json::Value>(&value).is_ok();
    if !json_ok || hush_core::path::parse(&index).is_err() {
        let what = if json_ok {
            "Invalid --set format"
        } else {
            "Value for --set is not valid JSON"
        };
        return Err(fail(INVALID_SET_FORMAT, what));
    }
    same_format(g, &file, "--set")?;
    // After `--`: a value such as -5 is not a flag.
    Ok(Argv::new("set")
        .flag("--ignore-mac", g.ignore_mac)
        .arg("--")
        .arg(file)
        .arg(index)
        .arg(value)
        .done())
}

/// `--set '["a"]["b"] VALUE'`: the path ends at the first `] `.
fn split_set(s: &str) -> Result<(String, String)> {
    let s = s.trim_start_matches(' ');
    let pos = s.find("] ").ok_or_else(|| {
        fail(
            INVALID_SET_FORMAT,
            "Error: invalid --set format: expected '[\"key\"] VALUE'",
        )
    })?;
    Ok((s[..=pos].to_string(), s[pos + 2..].to_string()))
}

fn key_flags(a: &mut Argv, g: &Global) {
    a.opt("--age", &g.age)
        .opt("--pgp", &g.pgp)
        .opt("--kms", &g.kms)
        .opt("--aws-profile", &g.aws_profile)
        .opt("--encryption-context", &g.encryption_context);
}

fn io_flags(a: &mut Argv, g: &Global, output_type: Option<String>) {
    a.flag("-i", g.in_place)
        .opt("--output", &g.output)
        .opt("--input-type", &g.input_type)
        .opt("--output-type", &output_type)
        .opt("--filename-override", &g.filename_override)
        .opt("--config", &g.config);
}

/// sops takes the output type from the file's name, not from
/// `--input-type` (hush's own command line follows the input type).
fn output_type(g: &Global, file: Option<&Path>) -> Option<String> {
    if g.output_type.is_some() || g.input_type.is_none() {
        return g.output_type.clone();
    }
    let name = g.filename_override.as_deref().or(file)?;
    Some(
        Format::from_path(&name.display().to_string())
            .name()
            .to_string(),
    )
}

/// sops writes an encrypted tree as JSON when the output type is binary
/// (its binary store keeps encrypted files as JSON).
fn encrypted_output_type(g: &Global, file: Option<&Path>) -> Option<String> {
    let out = output_type(g, file)?;
    let name = g.filename_override.as_deref().or(file);
    let input = match (&g.input_type, name) {
        (Some(t), _) => t.to_ascii_lowercase(),
        (None, Some(n)) => Format::from_path(&n.display().to_string())
            .name()
            .to_string(),
        (None, None) => return Some(out),
    };
    let binary = Format::Binary.name();
    Some(if out.eq_ignore_ascii_case(binary) && input != binary {
        Format::Json.name().to_string()
    } else {
        out
    })
}

fn encrypt(g: &Global, file: Option<PathBuf>) -> Plan {
    let mut a = Argv::new("encrypt");
    io_flags(&mut a, g, encrypted_output_type(g, file.as_deref()));
    key_flags(&mut a, g);
    a.opt("--encrypted-regex", &g.encrypted_regex)
        .opt("--unencrypted-regex", &g.unencrypted_regex)
        .opt("--encrypted-suffix", &g.encrypted_suffix)
        .opt("--unencrypted-suffix", &g.unencrypted_suffix)
        .opt("--encrypted-comment-regex", &g.encrypted_comment_regex)
        .opt("--unencrypted-comment-regex", &g.unencrypted_comment_regex)
        .flag("--mac-only-encrypted", g.mac_only_encrypted)
        .opt(
            "--shamir-secret-sharing-threshold",
            &g.shamir_secret_sharing_threshold.map(|t| t.to_string()),
        );
    if g.indent.is_some() {
        eprintln!(
            "hush: warning: --indent is ignored when encrypting: hush keeps the file's layout"
        );
    }
    if let Some(f) = file {
        a.arg(f);
    }
    a.done()
}

/// sops refuses a negative `--indent` for YAML output, and one below -1
/// (a tab) for JSON, when it writes the result (exit 4).
fn indent_allowed(g: &Global, file: &Path) -> Result<()> {
    let out = if g.encrypt {
        encrypted_output_type(g, Some(file))
    } else {
        output_type(g, Some(file))
    };
    let name = g.filename_override.as_deref().unwrap_or(file);
    let out = out.unwrap_or_else(|| Format::from_path(&name.display().to_string()).name().into());
    let why = match (g.indent, out.to_ascii_lowercase().as_str()) {
        (Some(n), "yaml") if n < 0 => "YAML Negative indentation not accepted",
        (Some(n), "json") if n < -1 => {
            "Error marshaling to json: JSON Indentation parameter smaller than -1 is not accepted"
        }
        _ => return Ok(()),
    };
    Err(fail(
        exit::ERROR_DUMPING_TREE,
        format!("Error dumping file: {why}"),
    ))
}

fn decrypt(g: &Global, file: Option<PathBuf>) -> Result<Plan> {
    let mut a = Argv::new("decrypt");
    io_flags(&mut a, g, output_type(g, file.as_deref()));
    // From stdin without a name, sops takes both types as binary.
    if file.is_none() && g.filename_override.is_none() {
        if g.input_type.is_none() {
            a.arg("--input-type").arg("binary");
        }
        if g.output_type.is_none() {
            a.arg("--output-type").arg("binary");
        }
    }
    a.opt("--extract", &g.extract)
        .flag("--ignore-mac", g.ignore_mac)
        .opt("--decryption-order", &g.decryption_order)
        // -1 is sops's default, a tab.
        .opt(
            "--indent",
            &g.indent.filter(|n| *n >= 0).map(|t| t.to_string()),
        );
    if let Some(f) = file {
        a.arg(f);
    }
    Ok(a.done())
}

fn edit(g: &Global, file: PathBuf) -> Result<Plan> {
    // sops reads -s in edit only.
    if g.show_master_keys {
        return Err(unsupported("editing the metadata (-s/--show-master-keys)"));
    }
    same_format(g, &file, "edit")?;
    let mut a = Argv::new("edit");
    a.arg("--sops");
    key_flags(&mut a, g);
    a.flag("--ignore-mac", g.ignore_mac)
        .opt("--config", &g.config)
        .opt("--decryption-order", &g.decryption_order)
        .arg(file);
    Ok(a.done())
}

fn rotate(g: &Global, file: PathBuf, ignore_mac: bool) -> Result<Plan> {
    // Converting is fine for output elsewhere, not in place.
    match g.in_place {
        true => same_format(g, &file, "rotate")?,
        false => same_type(&g.input_type, "--input-type", &file, "rotate")?,
    }
    if g.encryption_context.is_some() && g.add_kms.is_some() {
        return Err(unsupported("--encryption-context with rotate --add-kms"));
    }
    let mut a = Argv::new("rotate");
    a.flag("-i", g.in_place)
        .flag("--ignore-mac", ignore_mac)
        .opt("--output", &g.output)
        .opt("--output-type", &encrypted_output_type(g, Some(&file)))
        .opt("--add-age", &g.add_age)
        .opt("--rm-age", &g.rm_age)
        .opt("--add-kms", &g.add_kms)
        .opt("--rm-kms", &g.rm_kms)
        .opt("--add-pgp", &g.add_pgp)
        .opt("--rm-pgp", &g.rm_pgp)
        .arg(file);
    Ok(a.done())
}

/// `set`: with `--value-file` VALUE is a path, as in sops.
fn set(g: &Global, s: SetArgs, ignore_mac: bool) -> Result<Plan> {
    same_format(g, &s.file, "set")?;
    let mut a = Argv::new("set");
    a.flag("--idempotent", s.idempotent)
        .flag("--ignore-mac", ignore_mac);
    let inline = match (s.value, s.value_file, s.value_stdin) {
        (Some(v), true, _) => {
            a.arg(format!("--value-file={v}"));
            None
        }
        (Some(v), false, false) => Some(v),
        (None, _, true) => {
            a.arg("--value-stdin");
            None
        }
        (Some(_), false, true) => {
            return Err(fail(
                exit::ERROR_GENERIC,
                "Error: value must not be given with --value-stdin",
            ))
        }
        (None, _, false) => {
            return Err(fail(
                exit::NO_FILE_SPECIFIED,
                "Error: no file specified, or index and value are missing. Need precisely 3 positional arguments.",
            ))
        }
    };
    // Positionals after `--`: a value such as -5 is not a flag.
    a.arg("--").arg(s.file).arg(s.index);
    if let Some(v) = inline {
        a.arg(v);
    }
    Ok(a.done())
}

fn exec(g: &Global, e: ExecArgs, cmd: &str) -> Result<Plan> {
    if e.background {
        return Err(unsupported("--background"));
    }
    if e.user.is_some() {
        return Err(unsupported("--user"));
    }
    let mut a = Argv::new(cmd);
    a.opt("--input-type", &g.input_type)
        .opt("--decryption-order", &g.decryption_order);
    if cmd == "exec-env" {
        a.flag("--pristine", e.pristine)
            .flag("--same-process", e.same_process);
    } else {
        a.flag("--no-fifo", e.no_fifo)
            .opt("--filename", &e.filename)
            .opt("--output-type", &output_type(g, Some(&e.file)));
    }
    Ok(a.arg(e.file).arg(e.command).done())
}

/// Commands that keep the file's own format: a type flag may only name it.
fn same_format(g: &Global, file: &Path, cmd: &str) -> Result<()> {
    same_type(&g.input_type, "--input-type", file, cmd)?;
    same_type(&g.output_type, "--output-type", file, cmd)
}

fn same_type(t: &Option<String>, flag: &str, file: &Path, cmd: &str) -> Result<()> {
    let own = Format::from_path(&file.display().to_string());
    match t {
        Some(t) if !t.eq_ignore_ascii_case(own.name()) => Err(unsupported(&format!(
            "{cmd} {flag} {t} on a {} file (hush keeps the file's format)",
            own.name()
        ))),
        _ => Ok(()),
    }
}
