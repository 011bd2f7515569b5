//! Exit codes for bad input match the real sops, case by case.

mod common;

use common::*;

#[test]
fn exit_codes_for_bad_input_match_sops() {
    let ctx = Ctx::new();
    ctx.write("plain.yaml", "a: 1\n");
    ctx.write("broken.yaml", "a: [\n");
    ctx.write("seq.yaml", "- a\n- b\n");
    let r = ctx.recipient.clone();
    // (what, hush args, sops args)
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "decrypt a file without metadata",
            vec!["decrypt", "plain.yaml"],
            vec!["-d", "plain.yaml"],
        ),
        (
            "decrypt invalid YAML",
            vec!["decrypt", "broken.yaml"],
            vec!["-d", "broken.yaml"],
        ),
        (
            "encrypt invalid YAML",
            vec!["encrypt", "--age", &r, "broken.yaml"],
            vec!["-e", "--age", &r, "broken.yaml"],
        ),
        (
            "encrypt a list document",
            vec!["encrypt", "--age", &r, "seq.yaml"],
            vec!["-e", "--age", &r, "seq.yaml"],
        ),
        (
            "encrypt with no keys at all",
            vec!["encrypt", "plain.yaml"],
            vec!["-e", "plain.yaml"],
        ),
        (
            "decrypt a missing file",
            vec!["decrypt", "nope.yaml"],
            vec!["-d", "nope.yaml"],
        ),
    ];
    for (what, h, s) in cases {
        let (ho, so) = (ctx.hush(&h), ctx.sops(&s));
        assert_ne!(so.code, 0, "{what}: sops unexpectedly succeeded");
        assert_eq!(
            ho.code,
            so.code,
            "{what}: hush exit {} ({}), sops exit {} ({})",
            ho.code,
            ho.stderr.trim(),
            so.code,
            so.stderr.trim()
        );
        assert_eq!(
            ho.stderr.lines().count(),
            1,
            "{what}: one line: {}",
            ho.stderr
        );
        assert!(
            ho.stdout.is_empty(),
            "{what}: nothing on stdout: {}",
            ho.stdout
        );
    }
}
