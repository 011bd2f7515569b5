//! What the start-up cuts (docs/performance.md) must leave unchanged: the
//! `--version` fast path prints what clap prints, every subcommand's
//! deferred arguments still parse and show in help, and the binary is
//! linked without start-up relocations.

mod common;

use common::*;

#[test]
fn version_fast_path_prints_what_clap_prints() {
    let ctx = Ctx::new();
    let want = format!("hush {}\n", env!("CARGO_PKG_VERSION"));
    // `--version x` is not the fast path: clap answers it.
    let clap = ctx.hush(&["--version", "x"]);
    assert_eq!((clap.code, clap.stdout.as_str()), (0, want.as_str()));
    for flag in ["--version", "-V"] {
        let out = ctx.hush(&[flag]);
        assert_eq!(out.code, 0, "{flag}: {}", out.stderr);
        assert_eq!(out.stdout, clap.stdout, "{flag}");
        assert!(out.stderr.is_empty(), "{flag}: {}", out.stderr);
    }
}

#[test]
fn deferred_subcommands_show_their_flags_and_refuse_unknown_ones() {
    let ctx = Ctx::new();
    let top = ctx.hush(&["--help"]);
    assert_eq!(top.code, 0);
    // (subcommand, one of its flags)
    let cases = [
        ("encrypt", "--encrypted-regex"),
        ("decrypt", "--extract"),
        ("exec-env", "--pristine"),
        ("rotate", "--add-age"),
        ("updatekeys", "--yes"),
        ("seal", "--namespace"),
        ("check", "--format"),
    ];
    for (sub, flag) in cases {
        assert!(top.stdout.contains(sub), "`hush --help` lists {sub}");
        for args in [vec![sub, "--help"], vec!["help", sub]] {
            let out = ctx.hush(&args);
            assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
            assert!(
                out.stdout.contains(flag),
                "{args:?} shows {flag}:\n{}",
                out.stdout
            );
        }
        let bad = ctx.hush(&[sub, "--no-such-flag"]);
        assert_eq!(bad.code, 2, "{sub} --no-such-flag: {}", bad.stderr);
        assert!(bad.stderr.contains("--no-such-flag"), "{}", bad.stderr);
    }
}

/// A position-dependent executable: the loader applies no relocations to
/// the binary's own data at start-up.
#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    not(target_feature = "crt-static")
))]
#[test]
fn binary_is_not_position_independent() {
    let elf = std::fs::read(hush_bin()).expect("read the hush binary");
    assert_eq!(&elf[..4], b"\x7fELF");
    let e_type = u16::from_le_bytes([elf[16], elf[17]]);
    assert_eq!(e_type, 2, "ET_EXEC (2), not ET_DYN (3, a PIE)");
}
