//! Damaged encrypted files exit as the real sops exits: cut anywhere (at
//! each line and in its middle), or with a `sops:` block missing
//! `lastmodified`, an `enc`, or holding a MAC that is not `ENC[…]`.

mod common;

use common::*;

const PLAIN: &str = "a: 1\nb: two\nc:\n  - x\n  - 1.5\n";

/// The exit codes of `sops -d` and `hush sops -d` on `text`.
fn codes(ctx: &Ctx, name: &str, text: &str) -> (i32, i32) {
    ctx.write(name, text);
    let s = ctx.sops(&["-d", name]);
    let h = ctx.hush(&["sops", "-d", name]);
    // Cutting only the last line break leaves a whole file.
    assert!(
        s.code == 0 || h.stdout.is_empty(),
        "{name}: printed {}",
        h.stdout
    );
    (h.code, s.code)
}

fn encrypted(ctx: &Ctx) -> Vec<(String, String)> {
    ctx.write("p.yaml", PLAIN);
    ctx.write("p.json", r#"{"a": 1, "b": "two", "c": ["x", 1.5]}"#);
    let mut out = Vec::new();
    for ext in ["yaml", "json"] {
        let file = format!("p.{ext}");
        out.push((format!("sops.{ext}"), ctx.sops_encrypt(&file, &[])));
        out.push((format!("hush.{ext}"), ctx.hush_encrypt(&file, &[])));
    }
    out
}

#[test]
fn a_file_cut_anywhere_exits_as_sops_does() {
    let ctx = Ctx::new();
    for (name, text) in encrypted(&ctx) {
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            for cut in [at, at + line.len() / 2] {
                let (h, s) = codes(&ctx, &format!("cut.{name}"), &text[..cut]);
                assert_eq!(
                    h,
                    s,
                    "{name} cut after {:?}",
                    &text[cut.saturating_sub(40)..cut]
                );
            }
            at += line.len();
        }
    }
}

#[test]
fn damaged_metadata_exits_as_sops_does() {
    let ctx = Ctx::new();
    let text = encrypted(&ctx).swap_remove(0).1;
    let (body, block) = text.split_once("\nsops:").unwrap();
    let without = |what: &str| -> String {
        text.lines()
            .filter(|l| !l.trim_start().starts_with(what))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let armor = block[..block.find("enc: |").unwrap()].rfind('\n').unwrap();
    let armor_end = block.find("-----END AGE ENCRYPTED FILE-----\n").unwrap() + 32;
    let mac_start = text.find("mac: ENC[").unwrap() + 20;
    let mac_end = mac_start + text[mac_start..].find('\n').unwrap();
    let shapes = [
        // sops: `parsing time ""`, exit 1 (hush said 25).
        ("no lastmodified", without("lastmodified:"), 1),
        (
            "lastmodified not a time",
            text.replace("lastmodified: \"", "lastmodified: \"then "),
            1,
        ),
        ("no version", without("version:"), 1),
        // sops: "sops metadata not found" or cannot unmarshal, exit 1.
        ("an empty sops block", format!("{body}\nsops:\n"), 1),
        ("a scalar sops block", format!("{body}\nsops: 5\n"), 1),
        // sops cannot unwrap the data key: exit 128 (hush said 25).
        (
            "an age entry without enc",
            format!("{body}\nsops:{}{}", &block[..armor], &block[armor_end..]),
            128,
        ),
        // sops: "Cannot decrypt MAC", exit 51 (hush said 25).
        (
            "a cut MAC",
            format!("{}{}", &text[..mac_start], &text[mac_end..]),
            51,
        ),
    ];
    for (what, damaged, want) in shapes {
        assert_ne!(damaged, text, "{what}");
        let (h, s) = codes(&ctx, "damaged.yaml", &damaged);
        assert_eq!((h, s), (want, want), "{what}");
    }
}
