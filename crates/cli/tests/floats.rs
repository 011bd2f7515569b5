//! Floats print as the real sops prints them: yaml.v3's form in YAML
//! (`1e-07`), Go's encoding/json form in JSON (`1e-7`), sops's `ValToString`
//! in the environment, and an infinity or NaN has no JSON form. A whole float
//! keeps its point in YAML (`1000.0`, where sops writes the int-looking
//! `1000`). A file hush encrypted decrypts to its own bytes.

mod common;

use common::*;

/// Floats whose printed forms differ from their stored and source forms.
const KEYS: [&str; 10] = ["a", "b", "c", "e", "f", "g", "h", "i", "k", "l"];
const YAML: &str = "a: 1e-7\nb: 0.000001\nc: 1.5e300\nd: 1000.0\ne: 0.0001\nf: 1.0e+10\n\
    g: 123456789.5\nh: 1e21\ni: -2.5e-10\nj: -0.0\nk: 1234567.5\nl: 0.1\nm: 100000.0\n\
    nest:\n  x: 1e-7\n  l: [1e-7, 2.5e-300]\n";
const JSON: &str = "{\"a\": 1e-7, \"b\": 0.000001, \"c\": 1.5e300, \"d\": 1000.0, \"e\": 0.0001,\
    \"f\": 1.0e+10, \"g\": 123456789.5, \"h\": 1e21, \"i\": -2.5e-10, \"j\": -0.0,\
    \"k\": 1234567.5, \"l\": 0.1, \"m\": 100000.0, \"nest\": {\"x\": 1e-7, \"l\": [1e-7, 2.5e-300]}}\n";

/// `YAML` and `JSON` encrypted by sops (`s.*`) and by hush (`h.*`).
fn files(ctx: &Ctx) -> [&'static str; 4] {
    ctx.write("p.yaml", YAML);
    ctx.write("p.json", JSON);
    ctx.write("s.yaml", &ctx.sops_encrypt("p.yaml", &[]));
    ctx.write("s.json", &ctx.sops_encrypt("p.json", &[]));
    ctx.write("h.yaml", &ctx.hush_encrypt("p.yaml", &[]));
    ctx.write("h.json", &ctx.hush_encrypt("p.json", &[]));
    ["s.yaml", "s.json", "h.yaml", "h.json"]
}

/// Both tools' stdout and exit code for the same arguments.
fn both(ctx: &Ctx, args: &[&str]) -> (Out, Out) {
    let mut h = vec!["sops"];
    h.extend_from_slice(args);
    (ctx.hush(&h), ctx.sops(args))
}

/// sops's YAML with the deliberate difference applied: a whole float
/// without an exponent gets a point (`d: 1000` → `d: 1000.0`).
fn with_points(sops_yaml: &str) -> String {
    sops_yaml
        .lines()
        .map(|l| match l.split_once(": ") {
            Some((k, v))
                if v.trim_start_matches('-')
                    .bytes()
                    .all(|b| b.is_ascii_digit()) =>
            {
                format!("{k}: {v}.0\n")
            }
            _ => format!("{l}\n"),
        })
        .collect()
}

#[test]
fn a_sops_yaml_file_decrypts_with_the_floats_sops_prints() {
    let ctx = Ctx::new();
    files(&ctx);
    let (h, s) = both(&ctx, &["-d", "s.yaml"]);
    assert_eq!(expect_ok("hush", &h), with_points(&expect_ok("sops", &s)));
    assert!(h.stdout.contains("a: 1e-07\n"), "{}", h.stdout);
    let (h, s) = both(&ctx, &["-d", "--output-type", "json", "s.yaml"]);
    assert_eq!(expect_ok("hush", &h), expect_ok("sops", &s));
}

#[test]
fn a_sops_json_file_decrypts_with_the_floats_sops_prints() {
    let ctx = Ctx::new();
    files(&ctx);
    let (h, s) = both(&ctx, &["-d", "s.json"]);
    assert_eq!(expect_ok("hush", &h), expect_ok("sops", &s));
    // sops reads every JSON number as a float64 and writes it as yaml.v3
    // does, a whole one without a point (as JSON wrote it).
    let (h, s) = both(&ctx, &["-d", "--output-type", "yaml", "s.json"]);
    assert_eq!(expect_ok("hush", &h), expect_ok("sops", &s));
}

#[test]
fn converted_and_extracted_floats_print_as_sops_prints_them() {
    let ctx = Ctx::new();
    for file in files(&ctx) {
        let to = if file.ends_with(".yaml") {
            "json"
        } else {
            "yaml"
        };
        let (h, s) = both(&ctx, &["-d", "--output-type", to, file]);
        let want = expect_ok("sops", &s);
        assert_eq!(expect_ok("hush", &h), want, "{file} as {to}");
        for ty in ["yaml", "json"] {
            let path = r#"["nest"]"#;
            let (h, s) = both(&ctx, &["-d", "--output-type", ty, "--extract", path, file]);
            assert_eq!(h.stdout, expect_ok("sops", &s), "{file} {path} as {ty}");
            for k in KEYS {
                let path = format!(r#"["{k}"]"#);
                let (h, s) = both(&ctx, &["-d", "--output-type", ty, "--extract", &path, file]);
                assert_eq!(h.stdout, expect_ok("sops", &s), "{file} {path} as {ty}");
            }
        }
    }
}

#[test]
fn exec_env_floats_are_what_sops_exports() {
    let ctx = Ctx::new();
    let cmd = "echo $a $b $c $d $e $f $g $h $i $j $k $l $m";
    let flat = YAML.split("nest:").next().unwrap();
    ctx.write("p.yaml", flat);
    ctx.write("p.json", &serde_json::to_string(&yaml(flat)).unwrap());
    ctx.write("s.yaml", &ctx.sops_encrypt("p.yaml", &[]));
    ctx.write("s.json", &ctx.sops_encrypt("p.json", &[]));
    ctx.write("h.yaml", &ctx.hush_encrypt("p.yaml", &[]));
    ctx.write("h.json", &ctx.hush_encrypt("p.json", &[]));
    for file in ["s.yaml", "s.json", "h.yaml", "h.json"] {
        let (h, s) = both(&ctx, &["exec-env", file, cmd]);
        assert_eq!(expect_ok("hush", &h), expect_ok("sops", &s), "{file}");
    }
}

/// sops prints each float of hush's files as it prints its own; hush gives
/// back the bytes it encrypted, the spelling of every float included.
#[test]
fn a_hush_file_keeps_its_spelling_and_reads_the_same_in_sops() {
    let ctx = Ctx::new();
    files(&ctx);
    for (mine, theirs, plain) in [("h.yaml", "s.yaml", YAML), ("h.json", "s.json", JSON)] {
        assert_eq!(ctx.hush_decrypt(mine, &[]), plain, "{mine}");
        assert_eq!(
            ctx.sops_decrypt(mine, &[]),
            ctx.sops_decrypt(theirs, &[]),
            "{mine}"
        );
    }
    // An edit keeps the ciphertext of every float it did not touch, in
    // sops's files too (which decrypt to another spelling).
    for file in ["s.yaml", "h.yaml"] {
        let before = ctx.read(file);
        let out = ctx.run_with(
            &hush_bin(),
            ["edit", file],
            Some(&ctx.key_file),
            &[("EDITOR", "sed -i s/^l:.*/l:\\ 0.2/")],
            None,
        );
        expect_ok("hush edit", &out);
        let after = ctx.read(file);
        let data = |t: &str| t.split("\nsops:").next().unwrap().to_string();
        let (before, after) = (data(&before), data(&after));
        let changed: Vec<&str> = before
            .lines()
            .filter(|l| !after.lines().any(|m| m == *l))
            .map(|l| l.split(':').next().unwrap_or(""))
            .collect();
        assert_eq!(changed, ["l"], "{file}");
    }
}

#[test]
fn an_infinite_float_has_no_json_form_as_with_sops() {
    let ctx = Ctx::new();
    ctx.write("p.yaml", "a: 1.5\nb:\n  - x\n  - .inf\nc: .nan\nd: -.inf\n");
    ctx.write("s.yaml", &ctx.sops_encrypt("p.yaml", &[]));
    ctx.write("h.yaml", &ctx.hush_encrypt("p.yaml", &[]));
    for file in ["s.yaml", "h.yaml"] {
        for extra in [
            &[][..],
            &["--extract", r#"["c"]"#],
            &["--extract", r#"["b"]"#],
        ] {
            let mut args = vec!["-d", "--output-type", "json"];
            args.extend_from_slice(extra);
            args.push(file);
            let (h, s) = both(&ctx, &args);
            assert_ne!(s.code, 0, "{args:?}: sops succeeded");
            assert_eq!((h.code, h.stdout.as_str()), (s.code, ""), "{args:?}");
            assert_eq!(h.stderr.lines().count(), 1, "{}", h.stderr);
            assert!(h.stderr.contains("JSON cannot hold"), "{}", h.stderr);
        }
        let args = ["-d", "--output-type", "json", "--output", "out.json", file];
        let (h, s) = both(&ctx, &args);
        assert_eq!(h.code, s.code);
        assert!(!ctx.path("out.json").exists(), "{file}: output written");
        // The native command line too, and YAML still holds them.
        let h = ctx.hush(&["decrypt", "--output-type", "json", file]);
        assert_eq!((h.code, h.stdout.as_str()), (s.code, ""));
        let (h, s) = both(&ctx, &["-d", "--extract", r#"["d"]"#, file]);
        assert_eq!(h.stdout, expect_ok("sops", &s));
    }
}
