//! dotenv, INI and binary stores against the real sops binary, both ways,
//! and many files per call (`-r`, `--output-dir`, `-i`).

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Runs hush and asserts success.
fn hush_ok(c: &Ctx, args: &[&str]) -> String {
    expect_ok(&format!("hush {args:?}"), &c.hush(args))
}

fn sops_ok(c: &Ctx, args: &[&str]) -> String {
    expect_ok(&format!("sops {args:?}"), &c.sops(args))
}

/// The `sops_…` metadata key names of a dotenv file, sorted.
fn dotenv_meta_keys(text: &str) -> Vec<String> {
    let mut keys: Vec<String> = text
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k))
        .filter(|k| k.starts_with("sops_") && *k != "sops_lastmodified" && *k != "sops_mac")
        .map(str::to_string)
        .collect();
    keys.sort();
    keys
}

const ENV: &str = "# database settings\nDB_USER=admin\nDB_PASSWORD=hunter2=x\nMULTI=line one\\nline two\nQUOTED=\"a quoted value\"\nEMPTY=\nexport TOKEN=abc\nPORT_unencrypted=5432\n#trailing comment\n";

#[test]
fn dotenv_hush_encrypts_and_sops_decrypts_to_the_same_bytes() {
    let c = Ctx::new();
    c.write("app.env", ENV);
    let enc = c.hush_encrypt("app.env", &[]);
    c.write("app.enc.env", &enc);
    assert!(enc.contains("DB_USER=ENC[AES256_GCM,"), "{enc}");
    assert!(enc.contains("PORT_unencrypted=5432\n"), "{enc}");
    assert!(enc.contains("EMPTY=\n"));
    assert!(
        enc.starts_with("#ENC[AES256_GCM,"),
        "comments are encrypted: {enc}"
    );
    assert!(!enc.contains("hunter2") && !enc.contains("database"));
    assert_eq!(sops_ok(&c, &["--decrypt", "app.enc.env"]), ENV);
    assert_eq!(hush_ok(&c, &["decrypt", "app.enc.env"]), ENV);
}

#[test]
fn dotenv_sops_encrypts_and_hush_decrypts_like_sops() {
    let c = Ctx::new();
    c.write("app.env", ENV);
    let enc = c.sops_encrypt("app.env", &[]);
    c.write("s.env", &enc);
    assert_eq!(
        hush_ok(&c, &["decrypt", "s.env"]),
        sops_ok(&c, &["--decrypt", "s.env"])
    );
    assert_eq!(hush_ok(&c, &["decrypt", "s.env"]), ENV);
    // Same metadata keys as sops writes (values differ: keys, dates).
    let ours = c.hush_encrypt("app.env", &[]);
    assert_eq!(dotenv_meta_keys(&ours), dotenv_meta_keys(&enc));
}

#[test]
fn dotenv_formatting_is_kept_byte_for_byte() {
    let c = Ctx::new();
    for (i, src) in [
        "A=1\n\n\n# spaced\r\nB=two\r\n",
        "A=1\nB=no final line break",
        "ONLY=x",
    ]
    .iter()
    .enumerate()
    {
        let name = format!("f{i}.env");
        c.write(&name, src);
        let enc = c.hush_encrypt(&name, &[]);
        let encname = format!("f{i}.enc.env");
        c.write(&encname, &enc);
        assert_eq!(hush_ok(&c, &["decrypt", &encname]), *src, "from {enc}");
        // sops reads it too; it drops blank lines, as it does for its own files.
        let want: String = src
            .split('\n')
            .filter(|l| !l.is_empty())
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(sops_ok(&c, &["--decrypt", &encname]), want);
    }
}

/// Sections of an INI text as go-ini reads them, simply: key = value.
fn ini_values(text: &str) -> BTreeMap<String, String> {
    let mut section = "DEFAULT".to_string();
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with([';', '#']) {
            continue;
        }
        if let Some(s) = line.strip_prefix('[') {
            section = s.trim_end_matches(']').to_string();
            continue;
        }
        let (k, v) = line.split_once(['=', ':']).expect("key = value");
        out.insert(
            format!("{section}.{}", k.trim()),
            v.trim().trim_matches('"').to_string(),
        );
    }
    out
}

const INI: &str = "top = 1\n; about the database\n[database]\nuser = admin\n; the password\npassword: \"hunter2 with spaces\"\nport_unencrypted = 5432\n\n[cache]\nurl = redis://x\n";

#[test]
fn ini_hush_encrypts_and_sops_decrypts() {
    let c = Ctx::new();
    c.write("app.ini", INI);
    let enc = c.hush_encrypt("app.ini", &[]);
    c.write("app.enc.ini", &enc);
    assert!(enc.contains("\n[sops]\n"), "{enc}");
    assert!(enc.contains("port_unencrypted = 5432"));
    assert!(!enc.contains("hunter2") && !enc.contains("about the database"));
    assert!(
        enc.contains("password: \"ENC[AES256_GCM,"),
        "quotes kept: {enc}"
    );
    assert_eq!(hush_ok(&c, &["decrypt", "app.enc.ini"]), INI);
    let by_sops = sops_ok(&c, &["--decrypt", "app.enc.ini"]);
    assert_eq!(ini_values(&by_sops), ini_values(INI), "{by_sops}");
    for comment in ["about the database", "the password"] {
        assert!(
            by_sops.contains(comment),
            "sops decrypts comment {comment:?}: {by_sops}"
        );
    }
}

#[test]
fn ini_sops_encrypts_and_hush_decrypts_like_sops() {
    let c = Ctx::new();
    c.write("app.ini", INI);
    let enc = c.sops_encrypt("app.ini", &[]);
    c.write("s.ini", &enc);
    let ours = hush_ok(&c, &["decrypt", "s.ini"]);
    let theirs = sops_ok(&c, &["--decrypt", "s.ini"]);
    assert_eq!(ini_values(&ours), ini_values(INI));
    assert_eq!(
        ours.trim_end(),
        theirs.trim_end(),
        "same text as sops, but for the trailing blank line"
    );
}

#[test]
fn ini_round_trip_keeps_every_byte() {
    let c = Ctx::new();
    for (i, src) in [
        "[s]\r\nk=v\r\n# c1\r\n# c2\r\nq = 'single' ; inline\r\n",
        "[s]\nk = v",
        "[a]\nx = \"\"\"multi\nline\"\"\"\ny = `b#c`\n",
    ]
    .iter()
    .enumerate()
    {
        let name = format!("f{i}.ini");
        c.write(&name, src);
        let enc = c.hush_encrypt(&name, &[]);
        let encname = format!("f{i}.enc.ini");
        c.write(&encname, &enc);
        assert_eq!(hush_ok(&c, &["decrypt", &encname]), *src, "from {enc}");
        sops_ok(&c, &["--decrypt", &encname]);
    }
}

fn binary_content() -> Vec<u8> {
    let mut v = b"\x00\xff\xfe not UTF-8 \x80\n".to_vec();
    v.extend((0..=255u8).rev());
    v
}

#[test]
fn binary_round_trips_arbitrary_bytes_with_sops_both_ways() {
    let c = Ctx::new();
    std::fs::write(c.path("blob.bin"), binary_content()).unwrap();
    let enc = c.hush_encrypt("blob.bin", &[]);
    c.write("blob.hush.bin", &enc);
    sops_ok(&c, &["--decrypt", "--output", "by-sops", "blob.hush.bin"]);
    assert_eq!(std::fs::read(c.path("by-sops")).unwrap(), binary_content());
    hush_ok(&c, &["decrypt", "--output", "by-hush", "blob.hush.bin"]);
    assert_eq!(std::fs::read(c.path("by-hush")).unwrap(), binary_content());

    let senc = c.sops_encrypt("blob.bin", &[]);
    c.write("blob.sops.bin", &senc);
    hush_ok(&c, &["decrypt", "--output", "from-sops", "blob.sops.bin"]);
    assert_eq!(
        std::fs::read(c.path("from-sops")).unwrap(),
        binary_content()
    );
}

/// A JSON text with every string value replaced by its JSON type, so two
/// envelopes compare by layout only.
fn layout(text: &str) -> String {
    let re = regex::Regex::new(r#": "[^"]*""#).unwrap();
    re.replace_all(text, ": S").into_owned()
}

#[test]
fn binary_envelope_is_laid_out_exactly_as_sops_writes_it() {
    let c = Ctx::new();
    c.write("notes.txt", "some notes\n");
    let ours = c.hush_encrypt("notes.txt", &[]);
    let theirs = c.sops_encrypt("notes.txt", &[]);
    assert_eq!(layout(&ours), layout(&theirs));
    // --input-type binary on a YAML name gives the same envelope.
    c.write("x.yaml", "a: b\n");
    let forced = c.hush_encrypt("x.yaml", &["--input-type", "binary"]);
    assert_eq!(layout(&forced), layout(&theirs));
    c.write("x.enc", &forced);
    assert_eq!(
        sops_ok(&c, &["--decrypt", "--input-type", "binary", "x.enc"]),
        "a: b\n"
    );
}

#[test]
fn an_empty_binary_file_round_trips() {
    let c = Ctx::new();
    c.write("empty.txt", "");
    let enc = c.hush_encrypt("empty.txt", &[]);
    assert!(enc.contains("\"data\": \"\""), "{enc}");
    c.write("empty.enc.txt", &enc);
    assert_eq!(sops_ok(&c, &["--decrypt", "empty.enc.txt"]), "");
    assert_eq!(hush_ok(&c, &["decrypt", "empty.enc.txt"]), "");
}

// ---- many files per call --------------------------------------------------

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// A tree of encrypted files of every kind, encrypted by sops, plus
/// plaintext files that must be left alone. Returns (relative path, plaintext).
fn encrypted_tree(c: &Ctx) -> Vec<(String, Vec<u8>)> {
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("a/secret.yaml", b"password: one\n".to_vec()),
        ("a/b/deep.json", b"{\n\t\"k\": \"two\"\n}\n".to_vec()),
        ("c/app.env", b"TOKEN=three\n".to_vec()),
        ("c/app.ini", b"[s]\nk = four\n".to_vec()),
        ("blob.txt", binary_content()),
    ];
    for (name, content) in &files {
        std::fs::create_dir_all(c.path(name).parent().unwrap()).unwrap();
        std::fs::write(c.path(&format!("{name}.plain")), content).unwrap();
        let ext = name.rsplit('.').next().unwrap();
        let ty = match ext {
            "yaml" => "yaml",
            "json" => "json",
            "env" => "dotenv",
            "ini" => "ini",
            _ => "binary",
        };
        let plain = format!("{name}.plain");
        let out = c.sops(&[
            "--encrypt",
            "--age",
            &c.recipient,
            "--input-type",
            ty,
            "--output-type",
            ty,
            "--output",
            name,
            &plain,
        ]);
        expect_ok("sops encrypt", &out);
        std::fs::remove_file(c.path(&plain)).unwrap();
    }
    c.write("a/not-encrypted.yaml", "plain: yes\n");
    files.into_iter().map(|(n, b)| (n.to_string(), b)).collect()
}

#[test]
fn decrypt_r_writes_every_encrypted_file_under_the_output_dir() {
    let c = Ctx::new();
    let tree = encrypted_tree(&c);
    c.write("src/.keep", "");
    std::fs::create_dir_all(c.path("src")).unwrap();
    for (name, _) in &tree {
        let to = c.path(&format!("src/{name}"));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::rename(c.path(name), to).unwrap();
    }
    std::fs::rename(
        c.path("a/not-encrypted.yaml"),
        c.path("src/a/not-encrypted.yaml"),
    )
    .unwrap();
    hush_ok(&c, &["decrypt", "-r", "src", "--output-dir", "out"]);
    for (name, plain) in &tree {
        let out = c.path(&format!("out/{name}"));
        assert_eq!(std::fs::read(&out).unwrap(), *plain, "{name}");
        assert_eq!(mode(&out), 0o600, "{name}");
    }
    assert!(
        !c.path("out/a/not-encrypted.yaml").exists(),
        "only encrypted files"
    );
}

#[test]
fn decrypt_in_place_and_encrypt_in_place_over_several_files() {
    let c = Ctx::new();
    c.write("one.yaml", "a: 1\n");
    c.write("two.env", "B=2\n");
    c.write("three.ini", "[s]\nc = 3\n");
    hush_ok(
        &c,
        &[
            "encrypt",
            "-i",
            "--age",
            &c.recipient,
            "one.yaml",
            "two.env",
            "three.ini",
        ],
    );
    for (f, plain) in [("one.yaml", "a: 1\n"), ("two.env", "B=2\n")] {
        assert!(c.read(f).contains("ENC[AES256_GCM"), "{f}");
        assert_eq!(sops_ok(&c, &["--decrypt", f]), plain);
    }
    hush_ok(&c, &["decrypt", "-i", "one.yaml", "two.env", "three.ini"]);
    assert_eq!(c.read("one.yaml"), "a: 1\n");
    assert_eq!(c.read("two.env"), "B=2\n");
    assert_eq!(c.read("three.ini"), "[s]\nc = 3\n");
}

#[test]
fn encrypt_r_takes_only_plaintext_structured_files() {
    let c = Ctx::new();
    c.write("d/x.yaml", "a: 1\n");
    c.write("d/y.env", "B=2\n");
    c.write("d/notes.txt", "not structured\n");
    c.write("d/done.yaml", "z: 1\n");
    let done = c.hush_encrypt("d/done.yaml", &[]);
    c.write("d/done.yaml", &done);
    hush_ok(
        &c,
        &[
            "encrypt",
            "--age",
            &c.recipient,
            "-r",
            "d",
            "--output-dir",
            "e",
        ],
    );
    assert_eq!(sops_ok(&c, &["--decrypt", "e/x.yaml"]), "a: 1\n");
    assert_eq!(sops_ok(&c, &["--decrypt", "e/y.env"]), "B=2\n");
    assert!(!c.path("e/notes.txt").exists());
    assert!(!c.path("e/done.yaml").exists());
}

#[test]
fn several_files_without_a_destination_are_refused() {
    let c = Ctx::new();
    c.write("one.yaml", "a: 1\n");
    c.write("two.yaml", "b: 1\n");
    let out = c.hush(&["decrypt", "one.yaml", "two.yaml"]);
    assert_eq!(out.code, 8, "{out:?}");
    assert!(out.stderr.contains("--output-dir"), "{}", out.stderr);
}

#[test]
fn a_failing_file_is_named_the_others_are_written_and_the_exit_is_non_zero() {
    let c = Ctx::new();
    c.write("good.yaml", "a: 1\n");
    let good = c.hush_encrypt("good.yaml", &[]);
    c.write("good.yaml", &good);
    c.write("also.yaml", "b: 2\n");
    let also = c.hush_encrypt("also.yaml", &[]);
    c.write("also.yaml", &also);
    // Tampered: the MAC no longer matches.
    let bad = good.replacen("a: ENC[AES256_GCM,data:", "a: ENC[AES256_GCM,data:AA", 1);
    c.write("bad.yaml", &bad);
    let out = c.hush(&[
        "decrypt",
        "good.yaml",
        "bad.yaml",
        "also.yaml",
        "--output-dir",
        "o",
    ]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("bad.yaml"), "{}", out.stderr);
    assert!(out.stderr.contains("1 of 3 files failed"), "{}", out.stderr);
    assert_eq!(c.read("o/good.yaml"), "a: 1\n");
    assert_eq!(c.read("o/also.yaml"), "b: 2\n");
    assert!(!c.path("o/bad.yaml").exists(), "nothing half-written");
    let leftovers: Vec<_> = std::fs::read_dir(c.path("o"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".hush-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
