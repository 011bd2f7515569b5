//! Block scalars whose text starts with a space need an indentation
//! indicator, which yaml.v3 counts from the enclosing block's indentation.
//! Decrypted output must read back as the same data, at any nesting, for
//! files written by hush and by sops.

mod common;

use common::*;

const CASES: &[&str] = &[
    "a: |2\n   x\n",
    "k:\n  a: |2\n     x\n",
    "k:\n  a: |2\n     x\n    y\n",
    "k:\n    a: |1\n      x\n",
    "l:\n- |2\n   x\n",
    "l:\n  - |3\n      x\n",
    "l:\n- a: |2\n     x\n",
    "k:\n  a: >2\n     x\n",
    "k:\n  a: |2-\n     x\n",
];

#[test]
fn indentation_indicators_read_back_as_the_same_data() {
    let ctx = Ctx::new();
    for (i, src) in CASES.iter().enumerate() {
        let plain = format!("p{i}.yaml");
        ctx.write(&plain, src);
        let want = yaml(src);
        for (who, enc) in [
            ("hush", ctx.hush_encrypt(&plain, &[])),
            ("sops", ctx.sops_encrypt(&plain, &[])),
        ] {
            let file = format!("e{i}-{who}.yaml");
            ctx.write(&file, &enc);
            let out = ctx.hush_decrypt(&file, &[]);
            assert_eq!(
                yaml(&out),
                want,
                "{who}-encrypted {src:?} decrypted to:\n{out}"
            );
            // sops's YAML emitter mis-indents some of these (`- |4`), so
            // its data is compared as JSON.
            let sops = json(&ctx.sops_decrypt(&file, &["--output-type", "json"]));
            assert_eq!(
                sops,
                serde_json::to_value(&want).unwrap(),
                "{who} {src:?}: sops"
            );
        }
        // hush's own round trip keeps the bytes.
        let file = format!("e{i}-hush.yaml");
        assert_eq!(ctx.hush_decrypt(&file, &[]), *src, "{src:?}");
    }
}

/// A last line of only spaces, deeper than the block's indentation, is
/// content: it is encrypted with the block (no plaintext line left beside
/// the ciphertext) and reads back once, as PyYAML and sops read it.
#[test]
fn a_whitespace_line_deeper_than_the_block_is_content() {
    let ctx = Ctx::new();
    let cases = [
        "a: |\n  x\n   \n",
        "a: |\n  x\n   \n    \n",
        "a: |\n  x\n   ",
        "k:\n  a: |+\n    x\n      \nb: 1\n",
        "l:\n- >\n  x\n   \n",
    ];
    for (i, src) in cases.iter().enumerate() {
        let plain = format!("w{i}.yaml");
        ctx.write(&plain, src);
        let py = std::process::Command::new("python3")
            .args([
                "-c",
                "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
            ])
            .arg(ctx.path(&plain))
            .output()
            .unwrap();
        assert!(
            py.status.success(),
            "PyYAML: {}",
            String::from_utf8_lossy(&py.stderr)
        );
        let want = json(&String::from_utf8(py.stdout).unwrap());
        let enc = ctx.hush_encrypt(&plain, &[]);
        let file = format!("w{i}.enc.yaml");
        ctx.write(&file, &enc);
        let by_hush = json(&ctx.hush_decrypt(&file, &["--output-type", "json"]));
        let by_sops = json(&ctx.sops_decrypt(&file, &["--output-type", "json"]));
        assert_eq!(by_hush, want, "hush {src:?}");
        assert_eq!(by_sops, want, "sops {src:?}");
    }
}
