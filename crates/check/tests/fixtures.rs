//! The fixture repository: every rule planted at a known place, next to
//! look-alikes that must not be flagged. Encrypted files and keys are made
//! here, at test time, with fresh age keys; the plaintext fixtures live in
//! `tests/check-fixtures/` at the repository root.

use hush_check::{check, Options, Report, Rule, SuppressionKind};
use hush_core::keys::age::Recipient;
use hush_core::keys::MasterKey;
use hush_core::{EncryptOptions, Format, Plaintext, Selector};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/check-fixtures")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn write(root: &Path, rel: &str, text: impl AsRef<[u8]>) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn encrypt(text: &str, recipient: &str) -> String {
    let r: Recipient = recipient.parse().unwrap();
    let groups = vec![vec![Arc::new(r) as Arc<dyn MasterKey>]];
    let opts = EncryptOptions {
        selector: Selector::from_key("encrypted_regex", "^(data|stringData)$").unwrap(),
        ..Default::default()
    };
    let plain = Plaintext::new(text.to_string(), Format::Yaml);
    hush_core::block_on(hush_core::encrypt(&plain, &groups, &opts))
        .unwrap()
        .as_str()
        .to_string()
}

/// 1-based number of the first line starting with `prefix`.
fn line_of(text: &str, prefix: &str) -> usize {
    text.lines().position(|l| l.starts_with(prefix)).unwrap() + 1
}

const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\nstringData:\n  username: admin\n  password: hunter2\n";

/// Builds the fixture repository; returns it and the generated findings
/// expected in it (file, line, rule).
fn build() -> (tempfile::TempDir, Vec<(String, usize, Rule)>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&fixtures(), root);
    let a = age::x25519::Identity::generate();
    let b = age::x25519::Identity::generate();
    let (ra, rb) = (a.to_public().to_string(), b.to_public().to_string());
    let mut expected = Vec::new();

    write(
        root,
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: {ra}\n"),
    );
    // Look-alike: a properly encrypted Secret.
    write(root, "secrets/db.yaml", encrypt(SECRET, &ra));
    // unencrypted-file: covered by the rule, no sops metadata, a value the
    // rule would encrypt in a plain config document.
    write(root, "secrets/plain.yaml", "data:\n  token: abc\n");
    expected.push(("secrets/plain.yaml".into(), 1, Rule::UnencryptedFile));
    // Look-alikes: covered, but a ConfigMap and an empty Secret hold nothing to encrypt.
    write(
        root,
        "secrets/configmap.yaml",
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  a: b\n",
    );
    write(
        root,
        "secrets/empty.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: e\ndata: {}\n",
    );
    // plaintext-value: a key added by hand after encryption.
    let added = encrypt(SECRET, &ra).replacen("stringData:\n", "stringData:\n  extra: leaked\n", 1);
    expected.push((
        "secrets/added.yaml".into(),
        line_of(&added, "  extra:"),
        Rule::PlaintextValue,
    ));
    write(root, "secrets/added.yaml", &added);
    // broken-encryption: a damaged ENC value.
    let broken = encrypt(SECRET, &ra).replacen(
        "  username: ENC[AES256_GCM,data:",
        "  username: ENC[AES256_GCM,dta:",
        1,
    );
    expected.push((
        "secrets/broken.yaml".into(),
        line_of(&broken, "  username:"),
        Rule::BrokenEncryption,
    ));
    write(root, "secrets/broken.yaml", &broken);
    // broken-encryption: a MAC that is not an ENC value can never verify.
    let enc = encrypt(SECRET, &ra);
    let mac_line = enc
        .lines()
        .find(|l| l.trim_start().starts_with("mac: ENC["))
        .unwrap();
    let indent = &mac_line[..mac_line.len() - mac_line.trim_start().len()];
    let bad_mac = enc.replacen(mac_line, &format!("{indent}mac: garbage"), 1);
    expected.push((
        "secrets/bad-mac.yaml".into(),
        line_of(&bad_mac, "sops:"),
        Rule::BrokenEncryption,
    ));
    write(root, "secrets/bad-mac.yaml", &bad_mac);
    // stale-recipients: encrypted for b, the rule says a.
    let stale = encrypt(SECRET, &rb);
    expected.push((
        "secrets/stale.yaml".into(),
        line_of(&stale, "sops:"),
        Rule::StaleRecipients,
    ));
    write(root, "secrets/stale.yaml", &stale);
    // private-key: an age identity file and an OpenSSH key.
    use age::secrecy::ExposeSecret;
    let key_file = format!(
        "# created: 2026-01-01T00:00:00Z\n# public key: {ra}\n{}\n",
        a.to_string().expose_secret()
    );
    write(root, "keys/keys.txt", key_file);
    expected.push(("keys/keys.txt".into(), 3, Rule::PrivateKey));
    let body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW";
    write(
        root,
        "deploy/id_ed25519",
        format!(
            "-----BEGIN OPENSSH {}-----\n{body}\n-----END OPENSSH PRIVATE KEY-----\n",
            "PRIVATE KEY"
        ),
    );
    expected.push(("deploy/id_ed25519".into(), 1, Rule::PrivateKey));
    // Look-alikes the walk must skip: gitignored, binary.
    write(root, ".gitignore", "ignored/\n");
    write(root, "ignored/secret.yaml", SECRET);
    let mut blob = b"\x00\x01binary".to_vec();
    blob.extend_from_slice(SECRET.as_bytes());
    write(root, "assets/blob.bin", blob);
    // Over --max-filesize, and still checked.
    let mut huge = SECRET.to_string();
    huge.push_str(&"# padding\n".repeat(120_000));
    write(root, "manifests/huge.yaml", huge);
    expected.push(("manifests/huge.yaml".into(), 6, Rule::PlaintextSecret));

    for (file, line, rule) in [
        ("manifests/app.yaml", 14, Rule::PlaintextSecret),
        ("manifests/list.yaml", 14, Rule::PlaintextSecret),
        ("manifests/secret.json", 7, Rule::PlaintextSecret),
        ("charts/app/templates/leak.yaml", 5, Rule::PlaintextSecret),
        ("kustomize/kustomization.yaml", 7, Rule::PlaintextSecret),
        ("kustomize/db.env", 3, Rule::PlaintextSecret),
        // A `sops_mac=` line or a first line `sops:` is not encryption.
        ("kustomize/fake.env", 1, Rule::PlaintextSecret),
        ("kustomize/fake.key", 1, Rule::PlaintextSecret),
        // Templates get the full detector; the line reader is the fallback.
        ("holes/quoted.yaml", 4, Rule::PlaintextSecret),
        ("holes/indented.yaml", 4, Rule::PlaintextSecret),
        ("holes/flow.yaml", 2, Rule::PlaintextSecret),
        ("holes/list.yaml", 11, Rule::PlaintextSecret),
        ("holes/broken.yaml", 4, Rule::PlaintextSecret),
        // Helm literals render as written.
        ("holes/literal.yaml", 5, Rule::PlaintextSecret),
        ("holes/literal.yaml", 11, Rule::PlaintextSecret),
        // Aliases are followed.
        ("holes/alias.yaml", 6, Rule::PlaintextSecret),
        // An escape spells `Secret` without writing it.
        ("holes/escaped.yaml", 3, Rule::PlaintextSecret),
        ("suppressed/no-reason.yaml", 5, Rule::PlaintextSecret),
        ("suppressed/no-reason.yaml", 5, Rule::InvalidSuppression),
        (".hush-check.yaml", 6, Rule::InvalidSuppression),
    ] {
        expected.push((file.into(), line, rule));
    }
    expected.sort();
    (dir, expected)
}

/// An empty `.hush-check.yaml`, so the run does not pick one up from above.
fn write_config(root: &Path) -> PathBuf {
    write(root, ".hush-check.yaml", "disable: []\n");
    root.join(".hush-check.yaml")
}

fn run(root: &Path, enable: Vec<Rule>) -> Report {
    let opts = Options {
        paths: vec![root.to_path_buf()],
        enable,
        config: Some(root.join(".hush-check.yaml")),
        ..Default::default()
    };
    check(&opts).unwrap()
}

fn relative(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

fn active(root: &Path, report: &Report) -> Vec<(String, usize, Rule)> {
    let mut got: Vec<_> = report
        .active()
        .map(|f| (relative(root, &f.path), f.line, f.rule))
        .collect();
    got.sort();
    got
}

#[test]
fn the_fixture_repo_yields_exactly_the_planted_findings() {
    let (dir, expected) = build();
    let report = run(dir.path(), Vec::new());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        active(dir.path(), &report),
        expected,
        "{:#?}",
        report.findings
    );
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn likely_secret_is_reported_only_when_enabled() {
    let (dir, mut expected) = build();
    let report = run(dir.path(), vec![Rule::LikelySecret]);
    expected.push(("likely/values.yaml".into(), 4, Rule::LikelySecret));
    expected.sort();
    assert_eq!(active(dir.path(), &report), expected);
}

#[test]
fn reviewed_suppressions_hide_findings_but_keep_their_reason() {
    let (dir, _) = build();
    let report = run(dir.path(), Vec::new());
    let mut suppressed: Vec<_> = report
        .findings
        .iter()
        .filter_map(|f| {
            let s = f.suppressed.as_ref()?;
            Some((
                relative(dir.path(), &f.path),
                f.line,
                f.rule,
                s.kind,
                s.reason.clone(),
            ))
        })
        .collect();
    suppressed.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        suppressed,
        vec![
            (
                "examples/demo-secret.yaml".to_string(),
                5,
                Rule::PlaintextSecret,
                SuppressionKind::Config,
                "documentation examples with made-up values".to_string()
            ),
            (
                "suppressed/reviewed.yaml".to_string(),
                6,
                Rule::PlaintextSecret,
                SuppressionKind::InSource,
                "published demo credentials, see docs/demo.md".to_string()
            ),
        ]
    );
}

#[test]
fn templates_parse_and_only_unreadable_ones_get_a_note() {
    let (dir, _) = build();
    let report = run(dir.path(), Vec::new());
    let notes: Vec<_> = report
        .notes
        .iter()
        .map(|n| relative(dir.path(), &n.path))
        .collect();
    assert_eq!(notes, vec!["holes/broken.yaml".to_string()]);
}

#[test]
fn a_yaml_file_with_nul_or_invalid_utf8_is_scanned_and_fails_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "nul.yaml", format!("{SECRET}# \0\n"));
    let mut bad = SECRET.as_bytes().to_vec();
    bad.extend_from_slice(b"# \xff\n");
    write(root, "bad.env", bad);
    write(root, "blob.bin", b"\0\x01binary");
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(SECRET.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    write(root, "wide.yaml", utf16);
    let opts = Options {
        paths: vec![root.to_path_buf()],
        config: Some(write_config(root)),
        ..Default::default()
    };
    let report = check(&opts).unwrap();
    let mut errors: Vec<_> = report
        .errors
        .iter()
        .map(|e| relative(root, &e.path))
        .collect();
    errors.sort();
    assert_eq!(errors, vec!["bad.env", "nul.yaml"]);
    assert_eq!(report.exit_code(), 2);
    assert_eq!(
        active(root, &report),
        vec![
            ("nul.yaml".to_string(), 6, Rule::PlaintextSecret),
            ("wide.yaml".to_string(), 6, Rule::PlaintextSecret),
        ]
    );
}

#[test]
fn with_fluxs_rule_only_secrets_and_plain_config_must_be_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        ".sops.yaml",
        "creation_rules:\n  - path_regex: .*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n",
    );
    write(
        root,
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n",
    );
    write(
        root,
        "deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: 1\n",
    );
    write(
        root,
        "kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [cm.yaml]\n",
    );
    write(
        root,
        "empty.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: e\ndata: {}\n",
    );
    write(root, "plain.yaml", "stringData:\n  token: abc\n");
    write(root, "values.yaml", "replicas: 2\n");
    write(root, "secret.yaml", SECRET);
    let opts = Options {
        paths: vec![root.to_path_buf()],
        config: Some(write_config(root)),
        ..Default::default()
    };
    let report = check(&opts).unwrap();
    let got: Vec<_> = active(root, &report)
        .into_iter()
        .filter(|f| f.2 == Rule::UnencryptedFile)
        .map(|f| f.0)
        .collect();
    assert_eq!(got, vec!["plain.yaml", "secret.yaml"]);
}

#[test]
fn files_named_explicitly_are_checked_as_given_even_when_ignored() {
    let (dir, _) = build();
    let root = dir.path();
    let opts = Options {
        paths: vec![
            root.join("ignored/secret.yaml"),
            root.join("manifests/configmap.yaml"),
            root.join("kustomize/db.env"),
        ],
        config: Some(root.join(".hush-check.yaml")),
        ..Default::default()
    };
    let report = check(&opts).unwrap();
    let got = active(root, &report);
    assert_eq!(
        got,
        vec![
            (".hush-check.yaml".to_string(), 6, Rule::InvalidSuppression),
            ("ignored/secret.yaml".to_string(), 6, Rule::PlaintextSecret),
            // Its kustomization was not named, but it is read for references.
            ("kustomize/db.env".to_string(), 3, Rule::PlaintextSecret),
        ]
    );
}

#[test]
fn a_missing_path_is_an_error_not_a_pass() {
    let (dir, _) = build();
    let opts = Options {
        paths: vec![dir.path().join("no/such/file.yaml")],
        config: Some(dir.path().join(".hush-check.yaml")),
        ..Default::default()
    };
    let report = check(&opts).unwrap();
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.exit_code(), 2);
}
