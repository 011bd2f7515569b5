//! `hush updatekeys`: make each file's master keys match its `.sops.yaml`
//! creation rule, showing the difference and asking first (unless -y).

use crate::args::UpdateKeysArgs;
use crate::batch::{collect_files, for_each_file, is_encrypted_file};
use crate::change::{read_open, write_back};
use crate::failure::{bare, core, fail, Result};
use crate::io::write_stdout;
use crate::runtime::runtime;
use hush_core::error::exit;
use hush_core::keys::diff::{KeyDiff, KeyId};
use hush_core::keys::ring::KeyRing;
use hush_core::plan::{Overrides, Plan};
use hush_core::rules::{find_config, Config};
use std::path::Path;

pub(crate) fn update_keys(a: UpdateKeysArgs, ring: &KeyRing) -> Result<()> {
    let path = match &a.config {
        Some(p) => p.clone(),
        None => std::env::current_dir()
            .ok()
            .and_then(|d| find_config(&d))
            .ok_or_else(|| fail(exit::CONFIG_FILE_NOT_FOUND, "no .sops.yaml found"))?,
    };
    let config = Config::load(&path).map_err(bare)?;
    let files = collect_files(&a.files, &a.dirs, is_encrypted_file)?;
    if a.yes {
        return for_each_file(&files, |t| update_one(ring, &a, &config, &t.path));
    }
    // Asking for each file: one at a time.
    for t in &files {
        update_one(ring, &a, &config, &t.path)?;
    }
    Ok(())
}

fn update_one(ring: &KeyRing, a: &UpdateKeysArgs, config: &Config, file: &Path) -> Result<()> {
    let name = file.display().to_string();
    let rule = config.rule_for(file).ok_or_else(|| {
        fail(
            exit::ERROR_GENERIC,
            format!("{name}: no creation rule matches this file"),
        )
    })?;
    let plan = Plan::with_rule(Some(rule), &Overrides::default()).map_err(bare)?;
    let o = read_open(ring, file, false)?;
    let diff = KeyDiff::new(o.metadata(), rule);
    if diff.is_empty() && !a.rotate {
        eprintln!("hush: {name}: keys already match the creation rule");
        return Ok(());
    }
    if a.sops_report {
        print_sops_diff(&diff);
    } else {
        print_diff(&name, &diff);
    }
    let go_ahead = match (a.yes, a.sops_report) {
        (true, _) => true,
        (false, true) => sops_confirm()?,
        (false, false) => confirm()?,
    };
    if !go_ahead {
        eprintln!("hush: {name}: not changed");
        return Ok(());
    }
    let threshold = plan.options.shamir_threshold;
    let rt = runtime()?;
    let enc = if a.rotate {
        rt.block_on(o.rotate(&plan.groups, threshold))
    } else {
        rt.block_on(o.update_keys(&plan.groups, threshold))
    }
    .map_err(core(&name))?;
    write_back(file, &o, &enc)?;
    if !diff.removed().is_empty() && !a.rotate {
        eprintln!(
            "hush: {name}: warning: removed keys still hold the old data key and can decrypt earlier copies of this file (they are in Git history); run `hush updatekeys --rotate` or `hush rotate -i` to change the data key"
        );
    }
    Ok(())
}

/// Per group: the rule's keys (`+` when new), then the file's keys the
/// rule drops (`-`).
fn print_diff(name: &str, diff: &KeyDiff) {
    let (have, want) = (&diff.have, &diff.want);
    eprintln!("{name}: key changes:");
    let empty: Vec<KeyId> = Vec::new();
    for i in 0..have.len().max(want.len()) {
        let (h, w) = (have.get(i).unwrap_or(&empty), want.get(i).unwrap_or(&empty));
        eprintln!("  group {}:", i + 1);
        for k in w {
            let mark = if h.contains(k) { " " } else { "+" };
            eprintln!("    {mark} {}", k.name());
        }
        for k in h.iter().filter(|k| !w.contains(k)) {
            eprintln!("    - {}", k.name());
        }
    }
}

/// The changes as `sops updatekeys` prints them on stdout.
fn print_sops_diff(diff: &KeyDiff) {
    let (have, want) = (&diff.have, &diff.want);
    let mut out = String::from("The following changes will be made to the file's groups:\n");
    let empty: Vec<KeyId> = Vec::new();
    for i in 0..have.len().max(want.len()) {
        let (h, w) = (have.get(i).unwrap_or(&empty), want.get(i).unwrap_or(&empty));
        out.push_str(&format!("Group {}\n", i + 1));
        for k in w.iter().filter(|k| h.contains(k)) {
            out.push_str(&format!("    {}\n", k.name()));
        }
        for k in w.iter().filter(|k| !h.contains(k)) {
            out.push_str(&format!("+++ {}\n", k.name()));
        }
        for k in h.iter().filter(|k| !w.contains(k)) {
            out.push_str(&format!("--- {}\n", k.name()));
        }
    }
    let _ = write_stdout(out.as_bytes());
}

fn confirm() -> Result<bool> {
    use std::io::Write;
    eprint!("Apply these changes? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| fail(exit::ERROR_GENERIC, e.to_string()))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// sops's question: `Is this okay? (y/n):` on stdout until the answer is
/// `y` or `n`. As Go's `fmt.Scanln`, an empty line, a second word or the
/// end of input is an error (exit 1) and nothing changes.
fn sops_confirm() -> Result<bool> {
    let stdin = std::io::stdin();
    loop {
        let _ = write_stdout(b"Is this okay? (y/n):");
        let mut line = String::new();
        let read = stdin
            .read_line(&mut line)
            .map_err(|e| fail(exit::ERROR_GENERIC, e.to_string()))?;
        match scan_word(&line, read == 0) {
            Ok("y") => return Ok(true),
            Ok("n") => return Ok(false),
            Ok(_) => {}
            Err(why) => return Err(fail(exit::ERROR_GENERIC, why)),
        }
    }
}

/// The one word of an answer line, or Go's `fmt.Scanln` error for it.
fn scan_word(line: &str, at_eof: bool) -> std::result::Result<&str, &'static str> {
    let ends_line = line.ends_with('\n');
    let mut words = line.split_whitespace();
    match (words.next(), words.next()) {
        (None, _) if at_eof || !ends_line => Err("EOF"),
        (None, _) => Err("unexpected newline"),
        (Some(_), Some(_)) => Err("expected newline"),
        (Some(w), None) => Ok(w),
    }
}

#[cfg(test)]
mod tests {
    use super::scan_word;

    #[test]
    fn an_answer_is_one_word_on_its_line_as_go_scanln_reads_it() {
        assert_eq!(scan_word("y\n", false), Ok("y"));
        assert_eq!(scan_word("  n \r\n", false), Ok("n"));
        assert_eq!(scan_word("yes\n", false), Ok("yes"));
        assert_eq!(scan_word("y", false), Ok("y"));
        assert_eq!(scan_word("\n", false), Err("unexpected newline"));
        assert_eq!(scan_word("", true), Err("EOF"));
        assert_eq!(scan_word("y n\n", false), Err("expected newline"));
    }
}
