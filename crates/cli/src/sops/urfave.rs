//! How sops's command-line library (urfave/cli v1 over Go's `flag`) splits
//! a command line, so that clap then sees what sops saw:
//! - before the subcommand, flags end at the first positional: in
//!   `sops f.yaml -d` the `-d` is an ignored positional (sops edits f.yaml);
//! - after a subcommand, that subcommand's own flags are moved before its
//!   positionals (`sops decrypt f.yaml -i` works), while a flag it does not
//!   define is a usage error before the file (`sops encrypt --config X f`)
//!   and an ignored positional after it;
//! - `-name` and `--name` are the same flag, a value is the next word or
//!   follows `=`, and a boolean takes `=true`/`=false`.
//!
//! The result is a canonical argv (`--long=value`, positionals after `--`).

use std::ffi::{OsStr, OsString};

/// One flag: its long name, its one-letter alias ("" if none), and whether
/// it takes a value.
struct Flag(&'static str, &'static str, bool);

const KEYSERVICE: [Flag; 2] = [
    Flag("enable-local-keyservice", "", false),
    Flag("keyservice", "", true),
];

/// sops's global options (`sops --help`).
const ROOT: &[Flag] = &[
    Flag("decrypt", "d", false),
    Flag("encrypt", "e", false),
    Flag("rotate", "r", false),
    Flag("disable-version-check", "", false),
    Flag("check-for-updates", "", false),
    Flag("kms", "k", true),
    Flag("aws-profile", "", true),
    Flag("gcp-kms", "", true),
    Flag("hckms", "", true),
    Flag("azure-kv", "", true),
    Flag("hc-vault-transit", "", true),
    Flag("pgp", "p", true),
    Flag("age", "a", true),
    Flag("in-place", "i", false),
    Flag("extract", "", true),
    Flag("input-type", "", true),
    Flag("output-type", "", true),
    Flag("show-master-keys", "s", false),
    Flag("add-gcp-kms", "", true),
    Flag("rm-gcp-kms", "", true),
    Flag("add-hckms", "", true),
    Flag("rm-hckms", "", true),
    Flag("add-azure-kv", "", true),
    Flag("rm-azure-kv", "", true),
    Flag("add-kms", "", true),
    Flag("rm-kms", "", true),
    Flag("add-hc-vault-transit", "", true),
    Flag("rm-hc-vault-transit", "", true),
    Flag("add-age", "", true),
    Flag("rm-age", "", true),
    Flag("add-pgp", "", true),
    Flag("rm-pgp", "", true),
    Flag("ignore-mac", "", false),
    Flag("mac-only-encrypted", "", false),
    Flag("unencrypted-suffix", "", true),
    Flag("encrypted-suffix", "", true),
    Flag("unencrypted-regex", "", true),
    Flag("encrypted-regex", "", true),
    Flag("unencrypted-comment-regex", "", true),
    Flag("encrypted-comment-regex", "", true),
    Flag("config", "", true),
    Flag("encryption-context", "", true),
    Flag("set", "", true),
    Flag("shamir-secret-sharing-threshold", "", true),
    Flag("indent", "", true),
    Flag("verbose", "", false),
    Flag("output", "", true),
    Flag("filename-override", "", true),
    Flag("decryption-order", "", true),
    Flag("enable-local-keyservice", "", false),
    Flag("keyservice", "", true),
    Flag("help", "h", false),
    Flag("version", "v", false),
];

/// The master key flags of `encrypt` and `edit`.
const NEW_KEYS: [Flag; 16] = [
    Flag("kms", "k", true),
    Flag("aws-profile", "", true),
    Flag("gcp-kms", "", true),
    Flag("hckms", "", true),
    Flag("azure-kv", "", true),
    Flag("hc-vault-transit", "", true),
    Flag("pgp", "p", true),
    Flag("age", "a", true),
    Flag("input-type", "", true),
    Flag("output-type", "", true),
    Flag("unencrypted-suffix", "", true),
    Flag("encrypted-suffix", "", true),
    Flag("unencrypted-regex", "", true),
    Flag("encrypted-regex", "", true),
    Flag("encryption-context", "", true),
    Flag("shamir-secret-sharing-threshold", "", true),
];

/// Each subcommand's own flags (`sops CMD --help`), keyservice flags aside.
fn own_flags(cmd: &str) -> Option<Vec<&'static Flag>> {
    const ENCRYPT: &[Flag] = &[
        Flag("in-place", "i", false),
        Flag("output", "", true),
        Flag("filename-override", "", true),
    ];
    const DECRYPT: &[Flag] = &[
        Flag("in-place", "i", false),
        Flag("extract", "", true),
        Flag("output", "", true),
        Flag("input-type", "", true),
        Flag("output-type", "", true),
        Flag("ignore-mac", "", false),
        Flag("filename-override", "", true),
        Flag("decryption-order", "", true),
    ];
    const EDIT: &[Flag] = &[
        Flag("show-master-keys", "s", false),
        Flag("ignore-mac", "", false),
        Flag("decryption-order", "", true),
    ];
    const ROTATE: &[Flag] = &[
        Flag("in-place", "i", false),
        Flag("output", "", true),
        Flag("input-type", "", true),
        Flag("output-type", "", true),
        Flag("encryption-context", "", true),
        Flag("add-gcp-kms", "", true),
        Flag("rm-gcp-kms", "", true),
        Flag("add-hckms", "", true),
        Flag("rm-hckms", "", true),
        Flag("add-azure-kv", "", true),
        Flag("rm-azure-kv", "", true),
        Flag("add-kms", "", true),
        Flag("rm-kms", "", true),
        Flag("add-hc-vault-transit", "", true),
        Flag("rm-hc-vault-transit", "", true),
        Flag("add-age", "", true),
        Flag("rm-age", "", true),
        Flag("add-pgp", "", true),
        Flag("rm-pgp", "", true),
        Flag("filename-override", "", true),
        Flag("decryption-order", "", true),
    ];
    const SET: &[Flag] = &[
        Flag("input-type", "", true),
        Flag("output-type", "", true),
        Flag("value-file", "", false),
        Flag("value-stdin", "", false),
        Flag("shamir-secret-sharing-threshold", "", true),
        Flag("ignore-mac", "", false),
        Flag("decryption-order", "", true),
        Flag("idempotent", "", false),
    ];
    const UNSET: &[Flag] = &[
        Flag("input-type", "", true),
        Flag("output-type", "", true),
        Flag("shamir-secret-sharing-threshold", "", true),
        Flag("ignore-mac", "", false),
        Flag("decryption-order", "", true),
        Flag("idempotent", "", false),
    ];
    const UPDATEKEYS: &[Flag] = &[Flag("yes", "y", false), Flag("input-type", "", true)];
    const EXEC_ENV: &[Flag] = &[
        Flag("background", "", false),
        Flag("pristine", "", false),
        Flag("user", "", true),
        Flag("same-process", "", false),
        Flag("decryption-order", "", true),
    ];
    const EXEC_FILE: &[Flag] = &[
        Flag("background", "", false),
        Flag("no-fifo", "", false),
        Flag("user", "", true),
        Flag("input-type", "", true),
        Flag("output-type", "", true),
        Flag("filename", "", true),
        Flag("decryption-order", "", true),
    ];
    const FILESTATUS: &[Flag] = &[Flag("input-type", "", true)];
    const GROUPS_ADD: &[Flag] = &[
        Flag("file", "f", true),
        Flag("pgp", "", true),
        Flag("kms", "", true),
        Flag("aws-profile", "", true),
        Flag("gcp-kms", "", true),
        Flag("hckms", "", true),
        Flag("azure-kv", "", true),
        Flag("hc-vault-transit", "", true),
        Flag("age", "", true),
        Flag("in-place", "i", false),
        Flag("shamir-secret-sharing-threshold", "", true),
        Flag("encryption-context", "", true),
    ];
    const GROUPS_DELETE: &[Flag] = &[
        Flag("file", "f", true),
        Flag("in-place", "i", false),
        Flag("shamir-secret-sharing-threshold", "", true),
    ];
    let (own, new_keys): (&'static [Flag], bool) = match cmd {
        "encrypt" => (ENCRYPT, true),
        "decrypt" => (DECRYPT, false),
        "edit" => (EDIT, true),
        "rotate" => (ROTATE, false),
        "set" => (SET, false),
        "unset" => (UNSET, false),
        "updatekeys" => (UPDATEKEYS, false),
        "exec-env" => (EXEC_ENV, false),
        "exec-file" => (EXEC_FILE, false),
        "filestatus" => (FILESTATUS, false),
        "groups add" => (GROUPS_ADD, false),
        "groups delete" => (GROUPS_DELETE, false),
        _ => return None,
    };
    let new_keys: &'static [Flag] = if new_keys { &NEW_KEYS } else { &[] };
    let keyservice: &'static [Flag] = if cmd == "filestatus" {
        &[]
    } else {
        &KEYSERVICE
    };
    Some(own.iter().chain(new_keys).chain(keyservice).collect())
}

/// Subcommands that read one file and ignore further positionals (sops
/// warns about them).
const ONE_FILE: &[&str] = &["encrypt", "decrypt", "edit", "rotate", "filestatus"];

/// A command line as sops splits it: the canonical argv for clap, and
/// sops's warnings about ignored positionals.
pub struct Split {
    pub argv: Vec<OsString>,
    pub warnings: Vec<String>,
}

/// Splits `args` (program name excluded) as sops does; `Err` is the text
/// of a usage error (sops: "Incorrect Usage", exit 1).
pub fn split(args: &[OsString]) -> Result<Split, String> {
    let mut out = Split {
        argv: Vec::new(),
        warnings: Vec::new(),
    };
    let (flags, rest) = parse(ROOT.iter().collect::<Vec<_>>().as_slice(), args)?;
    let Some(first) = rest.first().and_then(|a| a.to_str()) else {
        out.argv.extend(flags);
        return Ok(out);
    };
    // A subcommand reads only its own flags: the global ones before it are
    // ignored, but for those sops reads globally (`--config`).
    let sub = own_flags(first).is_some() || is_subcommand(first);
    out.argv
        .extend(flags.into_iter().filter(|f| !sub || read_globally(f)));
    let nested = (first == "groups")
        .then(|| rest.get(1).and_then(|a| a.to_str()))
        .flatten()
        .filter(|s| matches!(*s, "add" | "delete"));
    let (name, after) = match nested {
        Some(sub) => (format!("groups {sub}"), &rest[2..]),
        None => (first.to_string(), &rest[1..]),
    };
    let Some(own) = own_flags(&name) else {
        if is_subcommand(first) {
            // help, completion, publish, keyservice: clap reads the rest.
            out.argv.extend(rest.iter().cloned());
        } else {
            // The legacy form: one file, the rest ignored.
            push_positionals(&mut out, &rest, 1);
        }
        return Ok(out);
    };
    out.argv.extend(name.split(' ').map(OsString::from));
    let (flags, positionals) = parse(&own, &reorder(&own, after))?;
    out.argv.extend(flags);
    let keep = if ONE_FILE.contains(&name.as_str()) {
        1
    } else {
        usize::MAX
    };
    push_positionals(&mut out, &positionals, keep);
    Ok(out)
}

/// The global flags a subcommand still honours (a canonical `--name[=v]`).
fn read_globally(flag: &OsStr) -> bool {
    let name = flag.to_string_lossy();
    let name = name.trim_start_matches('-').split('=').next().unwrap_or("");
    matches!(
        name,
        "config" | "verbose" | "disable-version-check" | "check-for-updates" | "help" | "version"
    )
}

/// sops's subcommands that are not in the flag tables.
fn is_subcommand(name: &str) -> bool {
    matches!(
        name,
        "help" | "h" | "completion" | "publish" | "keyservice" | "groups"
    )
}

/// Appends the first `keep` positionals after `--`, with sops's warnings
/// for the ones it ignores.
fn push_positionals(out: &mut Split, positionals: &[OsString], keep: usize) {
    if positionals.len() > keep {
        out.warnings.push(
            "More than one positional argument provided. Only the first one will be used!".into(),
        );
        for p in &positionals[keep..] {
            let p = p.to_string_lossy();
            if p.starts_with('-') {
                out.warnings.push(format!(
                    "Note that one of the ignored positional argument is \"{p}\", which looks like a flag. Flags must always be provided before the first positional argument!"
                ));
            }
        }
    }
    if !positionals.is_empty() {
        out.argv.push("--".into());
        out.argv.extend(positionals.iter().take(keep).cloned());
    }
}

fn find<'a>(flags: &[&'a Flag], name: &str) -> Option<&'a Flag> {
    flags
        .iter()
        .copied()
        .find(|f| f.0 == name || (!f.1.is_empty() && f.1 == name))
}

/// The flag name in `arg` (`-x`, `--name`, `--name=v`), if it is one of `flags`.
fn known_flag<'a>(flags: &[&'a Flag], arg: &OsStr) -> Option<&'a Flag> {
    let arg = arg.to_str()?;
    let name = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-'))?;
    find(flags, name.split('=').next()?)
}

/// urfave/cli's `reorderArgs`: the command's own flags (and the word after
/// each) move before the other arguments; everything after `--` stays.
fn reorder(flags: &[&Flag], args: &[OsString]) -> Vec<OsString> {
    let (mut moved, mut rest) = (Vec::new(), Vec::new());
    let mut value_may_follow = false;
    for (i, arg) in args.iter().enumerate() {
        let is_flag = arg != "-" && arg != "--" && known_flag(flags, arg).is_some();
        if value_may_follow && !is_flag {
            value_may_follow = false;
            moved.push(arg.clone());
        } else if arg == "--" {
            rest.insert(0, arg.clone());
            rest.extend(args[i + 1..].iter().cloned());
            break;
        } else if is_flag {
            moved.push(arg.clone());
            value_may_follow = !arg.to_string_lossy().contains('=');
        } else {
            rest.push(arg.clone());
        }
    }
    moved.extend(rest);
    moved
}

/// Go's `flag.FlagSet.Parse`: flags up to the first positional or `--`,
/// as canonical `--long[=value]` words, then the positionals.
fn parse(flags: &[&Flag], args: &[OsString]) -> Result<(Vec<OsString>, Vec<OsString>), String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].to_string_lossy();
        if arg.len() < 2 || !arg.starts_with('-') {
            break;
        }
        i += 1;
        if arg == "--" {
            break;
        }
        let body = arg.strip_prefix("--").unwrap_or(&arg[1..]);
        if body.is_empty() || body.starts_with(['-', '=']) {
            return Err(format!("bad flag syntax: {arg}"));
        }
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        let Some(flag) = find(flags, name) else {
            if matches!(name, "help" | "h") {
                out.push("--help".into());
                continue;
            }
            return Err(format!("flag provided but not defined: -{name}"));
        };
        let long = format!("--{}", flag.0);
        if !flag.2 {
            if go_bool(value.as_deref(), name)? {
                out.push(OsString::from(long));
            }
            continue;
        }
        let value = match value {
            Some(v) => OsString::from(v),
            None => {
                let v = args
                    .get(i)
                    .ok_or_else(|| format!("flag needs an argument: -{name}"))?;
                i += 1;
                v.clone()
            }
        };
        let mut word = OsString::from(format!("{long}="));
        word.push(value);
        out.push(word);
    }
    Ok((out, args[i..].to_vec()))
}

/// A boolean flag's value as Go's `strconv.ParseBool` reads it.
fn go_bool(value: Option<&str>, name: &str) -> Result<bool, String> {
    match value {
        None | Some("1" | "t" | "T" | "true" | "TRUE" | "True") => Ok(true),
        Some("0" | "f" | "F" | "false" | "FALSE" | "False") => Ok(false),
        Some(v) => Err(format!(
            "invalid boolean value \"{v}\" for -{name}: parse error"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::split;
    use std::ffi::OsString;

    fn run(args: &[&str]) -> Result<(Vec<String>, usize), String> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        split(&args).map(|s| {
            let argv = s
                .argv
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            (argv, s.warnings.len())
        })
    }

    fn argv(args: &[&str]) -> Vec<String> {
        run(args).unwrap().0
    }

    #[test]
    fn before_a_subcommand_flags_end_at_the_first_positional() {
        assert_eq!(
            run(&["f.yaml", "-d"]).unwrap(),
            (vec!["--".into(), "f.yaml".into()], 2)
        );
        assert_eq!(
            argv(&["-e", "f.yaml", "--age", "R"]),
            ["--encrypt", "--", "f.yaml"]
        );
        assert_eq!(
            argv(&["--d", "-age=R", "f"]),
            ["--decrypt", "--age=R", "--", "f"]
        );
        assert_eq!(argv(&["-d=false", "-i=1", "f"]), ["--in-place", "--", "f"]);
    }

    #[test]
    fn a_subcommand_takes_its_own_flags_anywhere_and_refuses_others_before_the_file() {
        assert_eq!(
            argv(&["decrypt", "f.yaml", "-i", "--extract", "[\"a\"]"]),
            ["decrypt", "--in-place", "--extract=[\"a\"]", "--", "f.yaml"]
        );
        assert_eq!(
            run(&["encrypt", "f.yaml", "--config", "x"]).unwrap(),
            (vec!["encrypt".into(), "--".into(), "f.yaml".into()], 2)
        );
        assert_eq!(
            run(&["encrypt", "--config", "x", "f.yaml"]).unwrap_err(),
            "flag provided but not defined: -config"
        );
        assert_eq!(
            run(&["decrypt", "--extract"]).unwrap_err(),
            "flag needs an argument: -extract"
        );
        assert_eq!(
            argv(&["--config", "c", "groups", "add", "f", "-f", "e.yaml", "--age", "R"]),
            [
                "--config=c",
                "groups",
                "add",
                "--file=e.yaml",
                "--age=R",
                "--",
                "f"
            ]
        );
        // A value that looks like a flag stays a positional.
        assert_eq!(
            argv(&["set", "f.yaml", "[\"a\"]", "-5"]),
            ["set", "--", "f.yaml", "[\"a\"]", "-5"]
        );
        // urfave moves the word after a boolean flag along with it.
        assert_eq!(
            argv(&["decrypt", "a.yaml", "-i", "b.yaml"]),
            ["decrypt", "--in-place", "--", "b.yaml"]
        );
    }
}
