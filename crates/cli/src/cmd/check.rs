//! `hush check`: flags for hush-check, and its exit codes (0 clean,
//! 1 findings, 2 usage or internal error).

use crate::args::{CheckArgs, Color, OutputFormat};
use crate::failure::Failure;
use hush_check::{output, Options, Rule};
use std::io::{IsTerminal, Write};

fn usage(message: String) -> Failure {
    Failure { message, code: 2 }
}

fn rules(ids: &[String]) -> Result<Vec<Rule>, Failure> {
    ids.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<Rule>().map_err(|e| usage(e.to_string())))
        .collect()
}

fn list_rules() -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    for r in Rule::ALL {
        let default = if r.default_enabled() { "" } else { " (opt-in)" };
        let _ = writeln!(out, "{:<20} {}{default}", r.id(), r.summary());
    }
    Ok(())
}

pub(crate) fn run(a: CheckArgs) -> Result<(), Failure> {
    if a.list_rules {
        return list_rules();
    }
    let opts = Options {
        paths: a.paths.clone(),
        enable: rules(&a.enable)?,
        disable: rules(&a.disable)?,
        verify: a.verify,
        config: a.config.clone(),
        max_filesize: a.max_filesize,
        threads: a.threads,
    };
    let report = hush_check::check(&opts).map_err(|e| usage(e.to_string()))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = match a.format {
        OutputFormat::Text => {
            let color = match a.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => {
                    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
                }
            };
            output::text(&report, color, &mut out)
        }
        OutputFormat::Json => {
            writeln!(out, "{:#}", output::json(&report))
        }
        OutputFormat::Sarif => {
            let root = std::env::current_dir().ok();
            writeln!(out, "{:#}", output::sarif(&report, root.as_deref()))
        }
    };
    match written.and_then(|_| out.flush()) {
        Ok(()) => {}
        // A closed pipe (`hush check | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(usage(format!("stdout: {e}"))),
    }
    if matches!(a.format, OutputFormat::Text) {
        for e in &report.errors {
            eprintln!("hush: {}: {}", e.path.display(), e.message);
        }
        if !a.quiet {
            for n in &report.notes {
                eprintln!("note: {}: {}", n.path.display(), n.message);
            }
        }
    }
    let active = report.active().count();
    let suppressed = report.findings.len() - active;
    let code = report.exit_code();
    if code == 0 {
        return Ok(());
    }
    let s = |n: usize| if n == 1 { "" } else { "s" };
    let message = if code == 2 {
        format!(
            "check: {} file{} could not be checked; the result is incomplete",
            report.errors.len(),
            s(report.errors.len())
        )
    } else {
        format!(
            "check: {active} finding{} ({suppressed} suppressed) in {} file{} checked",
            s(active),
            report.files_checked,
            s(report.files_checked)
        )
    };
    Err(Failure { message, code })
}
