//! Reproductions from the outside review (issue 13 §2): plaintext Secrets
//! that `hush check` passed. Each test fails without its fix.

use hush_check::{check, Options, Report, Rule};
use std::path::Path;
use std::process::Command;

const SECRET: &str =
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: hunter2\n";

fn write(root: &Path, rel: &str, text: impl AsRef<[u8]>) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Checks `root` with an empty config, so none is picked up from above.
fn run(root: &Path) -> Report {
    write(root, ".hush-check.yaml", "disable: []\n");
    let opts = Options {
        paths: vec![root.to_path_buf()],
        config: Some(root.join(".hush-check.yaml")),
        ..Default::default()
    };
    check(&opts).unwrap()
}

/// (file, line) of each active finding of `rule`, sorted.
fn found(root: &Path, report: &Report, rule: Rule) -> Vec<(String, usize)> {
    let mut v: Vec<_> = report
        .active()
        .filter(|f| f.rule == rule)
        .map(|f| {
            let p = f.path.strip_prefix(root).unwrap_or(&f.path);
            (p.to_string_lossy().replace('\\', "/"), f.line)
        })
        .collect();
    v.sort();
    v
}

fn git(root: &Path, args: &[&str]) {
    let st = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&st.stderr)
    );
}

#[test]
fn tracked_files_are_checked_even_when_gitignore_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(root, "secret.yaml", SECRET);
    write(root, "sub/deep.yaml", SECRET);
    git(root, &["add", "secret.yaml", "sub/deep.yaml"]);
    git(root, &["commit", "-q", "-m", "s"]);
    write(root, ".gitignore", "secret.yaml\nuntracked.yaml\n");
    write(root, "sub/.gitignore", "*\n");
    // Untracked and ignored: CI may write it at deploy time; still skipped.
    write(root, "untracked.yaml", SECRET);
    let report = run(root);
    assert_eq!(
        found(root, &report, Rule::PlaintextSecret),
        vec![("secret.yaml".into(), 5), ("sub/deep.yaml".into(), 5)]
    );
}

#[test]
fn lines_broken_by_nel_or_unicode_separators_are_read_as_go_yaml_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (name, brk) in [("ps", '\u{2029}'), ("ls", '\u{2028}'), ("nel", '\u{85}')] {
        let text = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:{brk}  password: hunter2\n"
        );
        write(root, &format!("{name}.yaml"), text);
        // Every line joined by the odd break, and a template.
        let all = SECRET.replace('\n', &brk.to_string());
        write(root, &format!("{name}-all.yaml"), all);
        let tpl = format!(
            "# {{{{ .Values.x }}}}{brk}{}",
            SECRET.replace('\n', &brk.to_string())
        );
        write(root, &format!("{name}-tpl.yaml"), tpl);
    }
    let report = run(root);
    let got = found(root, &report, Rule::PlaintextSecret);
    let mut want = Vec::new();
    for name in ["ls", "nel", "ps"] {
        want.push((format!("{name}-all.yaml"), 5));
        want.push((format!("{name}-tpl.yaml"), 6));
        want.push((format!("{name}.yaml"), 5));
    }
    want.sort();
    assert_eq!(got, want);
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn every_file_kustomize_or_helm_reads_as_manifests_is_checked_whatever_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "k/kustomization.yaml",
        "resources:\n- s.txt\n- s2.YAML\n- sub\ngenerators:\n- gen.yaml\npatches:\n- path: p.patch\nsecretGenerator:\n- name: lit\n  literals:\n  - password=hunter2\n",
    );
    // Over --max-filesize, which skips only files that are not manifests.
    write(
        root,
        "k/s.txt",
        format!("{SECRET}{}", "# padding\n".repeat(120_000)),
    );
    write(root, "k/s2.YAML", SECRET);
    write(root, "k/p.patch", SECRET);
    write(root, "k/sub/kustomization.yaml", "resources: []\n");
    write(
        root,
        "k/gen.yaml",
        "apiVersion: builtin\nkind: SecretGenerator\nmetadata:\n  name: gen\nliterals:\n- password=hunter2\n",
    );
    // Not referenced: a text file is not a manifest.
    write(root, "notes.txt", SECRET);
    write(
        root,
        "chart/templates/_helpers.tpl",
        "{{- define \"chart.secret\" -}}\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: hunter2\n{{- end }}\n",
    );
    let report = run(root);
    assert_eq!(
        found(root, &report, Rule::PlaintextSecret),
        vec![
            ("chart/templates/_helpers.tpl".into(), 6),
            ("k/gen.yaml".into(), 6),
            ("k/kustomization.yaml".into(), 12),
            ("k/p.patch".into(), 5),
            ("k/s.txt".into(), 5),
            ("k/s2.YAML".into(), 5),
        ]
    );
}

#[test]
fn helm_template_tricks_do_not_hide_a_literal_secret() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let head = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n";
    let cases = [
        ("comment-key", format!("{head}{{{{/* x */}}}}stringData:\n  password: hunter2\n"), 5),
        ("empty-key", format!("{head}{{{{ \"\" }}}}stringData:\n  password: hunter2\n"), 5),
        ("kind-concat", "apiVersion: v1\nkind: Sec{{ \"ret\" }}\nstringData:\n  password: hunter2\n".into(), 3),
        ("kind-concat2", "apiVersion: v1\nkind: {{ \"Sec\" }}ret\nstringData:\n  password: hunter2\n".into(), 3),
        ("key-concat", format!("{head}string{{{{ \"Data\" }}}}:\n  password: hunter2\n"), 5),
        (
            "whole-doc",
            "# chart\n{{ \"apiVersion: v1\\nkind: Secret\\nmetadata:\\n  name: s\\nstringData:\\n  password: hunter2\\n\" }}\n".into(),
            2,
        ),
        (
            "if-else",
            format!("{head}{{{{- if .Values.external }}}}\nstringData: {{}}\n{{{{- else }}}}\nstringData:\n  password: hunter2\n{{{{- end }}}}\n"),
            8,
        ),
        ("comment-quote", format!("{head}stringData:\n  password: hunter2 {{{{/* \"}}}}\" */}}}}\n"), 5),
        ("comment-apostrophe", format!("{{{{/* it's */}}}}\n{head}stringData:\n  password: hunter2\n"), 6),
        ("print-kind", "apiVersion: v1\nkind: {{ print \"Secret\" }}\nstringData:\n  password: hunter2\n".into(), 3),
        ("b64enc", format!("{head}data:\n  password: {{{{ b64enc \"hunter2\" }}}}\n"), 5),
        ("variable", format!("{{{{- $p := \"hunter2\" }}}}\n{head}stringData:\n  password: {{{{ $p }}}}\n"), 6),
        ("with", format!("{head}stringData:\n  password: {{{{ with \"hunter2\" }}}}{{{{ . }}}}{{{{ end }}}}\n"), 5),
        ("range", format!("{head}stringData:\n{{{{- range list \"hunter2\" }}}}\n  password: {{{{ . }}}}\n{{{{- end }}}}\n"), 5),
        ("default", format!("{head}stringData:\n  password: {{{{ .Values.p | default \"hunter2\" }}}}\n"), 5),
    ];
    let mut want = Vec::new();
    for (name, text, line) in &cases {
        write(root, &format!("chart/templates/{name}.yaml"), text);
        want.push((format!("chart/templates/{name}.yaml"), *line));
    }
    // Look-alikes: computed values are not plaintext.
    write(
        root,
        "chart/templates/ok.yaml",
        format!("{head}stringData:\n  password: {{{{ .Values.password | quote }}}}\n  {{{{- /* a comment */}}}}\n"),
    );
    want.sort();
    let report = run(root);
    assert_eq!(found(root, &report, Rule::PlaintextSecret), want);
}

#[test]
fn a_duplicate_kind_counts_as_a_secret_if_any_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "dup.yaml",
        "apiVersion: v1\nkind: ConfigMap\nkind: Secret\nstringData:\n  password: hunter2\n",
    );
    write(
        root,
        "dup.json",
        r#"{"apiVersion": "v1", "kind": "ConfigMap", "kind": "Secret", "stringData": {"password": "hunter2"}}"#,
    );
    write(
        root,
        "dupdata.yaml",
        "apiVersion: v1\nkind: Secret\nstringData: {}\nstringData:\n  password: hunter2\n",
    );
    let report = run(root);
    assert_eq!(
        found(root, &report, Rule::PlaintextSecret),
        vec![
            ("dup.json".into(), 1),
            ("dup.yaml".into(), 4),
            ("dupdata.yaml".into(), 4)
        ]
    );
}

#[test]
fn every_object_of_a_json_stream_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let cm = r#"{"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}}"#;
    let s = r#"{"apiVersion": "v1", "kind": "Secret", "stringData": {"password": "hunter2"}}"#;
    write(root, "one-line.json", format!("{cm}{s}"));
    write(root, "lines.json", format!("{cm}\n{s}\n"));
    let report = run(root);
    assert_eq!(
        found(root, &report, Rule::PlaintextSecret),
        vec![("lines.json".into(), 2), ("one-line.json".into(), 1)]
    );
    assert!(report.errors.is_empty());
}

#[test]
fn a_suppression_inside_a_value_is_not_a_comment() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let m = "hush:allow-file plaintext-secret";
    write(
        root,
        "block.yaml",
        format!("apiVersion: v1\nkind: Secret\nstringData:\n  note: |\n    # {m} hidden in a value\n  password: hunter2\n"),
    );
    write(
        root,
        "quoted.yaml",
        format!("apiVersion: v1\nkind: Secret\nstringData:\n  note: \"x # {m} hidden in a value\"\n  password: hunter2\n"),
    );
    write(
        root,
        "comment.yaml",
        format!("# {m} a real comment, demo values\napiVersion: v1\nkind: Secret\nstringData:\n  password: hunter2\n"),
    );
    let report = run(root);
    assert_eq!(
        found(root, &report, Rule::PlaintextSecret),
        vec![("block.yaml".into(), 3), ("quoted.yaml".into(), 3)]
    );
}
