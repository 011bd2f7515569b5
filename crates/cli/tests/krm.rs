//! `hush krm` / `ksops`: the KRM exec function, on files written by the
//! real sops, through the stdin/stdout protocol and through real kpt.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const SECRET: &str =
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2-krm\n";
const ENV: &str = "USER=admin\nPASS=p4ss-krm\n";
const JSON: &str = "{\"token\": \"t0ken-krm\"}";
const BINARY: &[u8] = b"cert\x00\x01-krm";

const GENERATOR: &str = "apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: gen
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ksops
files:
- ./secret.enc.yaml
secretFrom:
- metadata:
    name: app
    namespace: ns
  type: Opaque
  files:
  - config.json=cfg.enc.json
  binaryFiles:
  - cert.enc.bin
  envs:
  - db.enc.env
";

/// Encrypts the fixtures with the real sops, as a KSOPS user has them.
fn fixtures(c: &Ctx) {
    for (plain, enc, extra) in [
        ("s.yaml", "secret.enc.yaml", vec![]),
        ("e.env", "db.enc.env", vec![]),
        ("c.json", "cfg.enc.json", vec![]),
        (
            "c.bin",
            "cert.enc.bin",
            vec!["--input-type", "binary", "--output-type", "binary"],
        ),
    ] {
        match plain {
            "s.yaml" => c.write(plain, SECRET),
            "e.env" => c.write(plain, ENV),
            "c.json" => c.write(plain, JSON),
            _ => {
                std::fs::write(c.path(plain), BINARY).unwrap();
                c.path(plain)
            }
        };
        let out = c.sops_encrypt(plain, &extra);
        c.write(enc, &out);
        std::fs::remove_file(c.path(plain)).unwrap();
    }
}

fn resource_list(generator: &str) -> String {
    let indented: String = generator.lines().map(|l| format!("  {l}\n")).collect();
    format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: kept\n  data:\n    x: \"1\"\nfunctionConfig:\n{indented}"
    )
}

#[test]
fn golden_resource_list_protocol() {
    let c = Ctx::new();
    fixtures(&c);
    // Input items are read as yaml.v3 reads them: 0644 is octal, `on` a string.
    let input = resource_list(GENERATOR).replace(
        "    x: \"1\"\n",
        "    x: \"1\"\n    mode: 0644\n    flag: on\n",
    );
    let out = c.hush_stdin(&["krm"], &input);
    let got = expect_ok("hush krm", &out);
    let config = r#"{"apiVersion":"viaduct.ai/v1","files":["./secret.enc.yaml"],"kind":"ksops","metadata":{"annotations":{"config.kubernetes.io/function":"exec:\n  path: ksops\n"},"name":"gen"},"secretFrom":[{"binaryFiles":["cert.enc.bin"],"envs":["db.enc.env"],"files":["config.json=cfg.enc.json"],"metadata":{"name":"app","namespace":"ns"},"type":"Opaque"}]}"#;
    let want = format!(
        concat!(
            r#"{{"apiVersion": "config.kubernetes.io/v1","functionConfig": {config},"kind": "ResourceList","items": ["#,
            r#"{{"apiVersion":"v1","data":{{"flag":"on","mode":420,"x":"1"}},"kind":"ConfigMap","metadata":{{"name":"kept"}}}},"#,
            r#"{{"apiVersion": "v1","kind": "Secret","metadata": {{"name": "db"}},"stringData": {{"password": "hunter2-krm"}}}},"#,
            r#"{{"apiVersion": "v1","kind": "Secret","metadata": {{"name":"app","namespace":"ns"}},"type": "Opaque","stringData": {{"PASS": "p4ss-krm","USER": "admin","config.json": {config_json}}},"data": {{"cert.enc.bin": "Y2VydAABLWtybQ=="}}}}"#,
            "]}}\n"
        ),
        config = config,
        config_json = serde_json::to_string(&c.sops_decrypt("cfg.enc.json", &[])).unwrap(),
    );
    assert_eq!(got, want);
    // And what a YAML reader makes of it.
    let v = yaml(&got);
    let items = v["items"].as_sequence().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(
        items[2]["data"]["cert.enc.bin"].as_str(),
        Some("Y2VydAABLWtybQ==")
    );
}

/// A directory holding hush under the name `ksops`.
fn ksops_link(c: &Ctx) -> PathBuf {
    let dir = c.path("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("ksops");
    std::os::unix::fs::symlink(hush_bin(), &link).unwrap();
    link
}

#[test]
fn kpt_fn_eval_runs_hush_as_ksops() {
    let c = Ctx::new();
    fixtures(&c);
    c.write("gen.yaml", GENERATOR);
    c.write(
        "pkg/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\ndata:\n  x: \"1\"\n",
    );
    let ksops = ksops_link(&c);
    let out = c.run_with(
        Path::new("kpt"),
        [
            "fn",
            "eval",
            "pkg",
            "--exec",
            ksops.to_str().unwrap(),
            "--fn-config",
            "gen.yaml",
            "-o",
            "unwrap",
        ],
        Some(&c.key_file),
        &[],
        None,
    );
    let got = expect_ok("kpt fn eval", &out);
    let docs = yaml_docs(&got);
    assert_eq!(docs.len(), 3, "{got}");
    assert_eq!(docs[0]["metadata"]["name"].as_str(), Some("kept"));
    assert_eq!(
        docs[1]["stringData"]["password"].as_str(),
        Some("hunter2-krm")
    );
    assert_eq!(docs[2]["stringData"]["PASS"].as_str(), Some("p4ss-krm"));
    assert!(docs[1].get("sops").is_none());
    // kpt left the package alone: no plaintext was written into it.
    let cm = c.read("pkg/cm.yaml");
    assert!(!cm.contains("hunter2"));
    assert_eq!(std::fs::read_dir(c.path("pkg")).unwrap().count(), 1);
}

#[test]
fn legacy_exec_plugin_mode_prints_the_generated_resources() {
    let c = Ctx::new();
    fixtures(&c);
    c.write("gen.yaml", GENERATOR);
    let ksops = ksops_link(&c);
    let out = c.run_with(&ksops, ["gen.yaml"], Some(&c.key_file), &[], None);
    let docs = yaml_docs(&expect_ok("ksops gen.yaml", &out));
    assert_eq!(docs.len(), 2);
    assert_eq!(
        docs[0]["stringData"]["password"].as_str(),
        Some("hunter2-krm")
    );
}

#[test]
fn one_file_without_a_key_fails_the_run_with_no_output_and_no_plaintext() {
    let c = Ctx::new();
    fixtures(&c);
    // A file for another key, listed after files that decrypt.
    let (_, other) = c.other_key("other.txt");
    c.write(
        "o.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: o\nstringData:\n  k: other-krm\n",
    );
    let enc = expect_ok("sops", &c.sops(&["--encrypt", "--age", &other, "o.yaml"]));
    c.write("other.enc.yaml", &enc);
    let generator = GENERATOR.replace(
        "- ./secret.enc.yaml\n",
        "- ./secret.enc.yaml\n- other.enc.yaml\n",
    );
    let out = c.hush_stdin(&["krm"], &resource_list(&generator));
    assert!(!out.ok());
    assert_eq!(out.stdout, "", "no partial ResourceList");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("other.enc.yaml"), "{}", out.stderr);
    for secret in ["hunter2-krm", "p4ss-krm", "t0ken-krm"] {
        assert!(!out.stderr.contains(secret));
    }
}

#[test]
fn paths_outside_the_root_are_refused_unless_the_restrictor_is_off() {
    let c = Ctx::new();
    std::fs::create_dir_all(c.path("app/sub")).unwrap();
    c.write("s.yaml", SECRET);
    let enc = c.sops_encrypt("s.yaml", &[]);
    c.write("outside.enc.yaml", &enc);
    let abs = c.path("outside.enc.yaml").display().to_string();
    for entry in [
        "../outside.enc.yaml",
        abs.as_str(),
        "sub/../../outside.enc.yaml",
    ] {
        let generator = format!("apiVersion: viaduct.ai/v1\nkind: ksops\nfiles:\n- {entry}\n");
        let run = |env: &[(&str, &str)]| {
            let mut cmd = Command::new(hush_bin());
            cmd.current_dir(c.path("app"))
                .env("SOPS_AGE_KEY_FILE", &c.key_file)
                .env_remove("HUSH_LOAD_RESTRICTOR")
                .args(["krm"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            for (k, v) in env {
                cmd.env(k, v);
            }
            let mut child = cmd.spawn().unwrap();
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(resource_list(&generator).as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        };
        let refused = run(&[]);
        assert!(!refused.status.success(), "{entry}");
        assert!(refused.stdout.is_empty());
        let err = String::from_utf8_lossy(&refused.stderr);
        assert!(err.contains("load restrictor"), "{err}");
        let allowed = run(&[("HUSH_LOAD_RESTRICTOR", "LoadRestrictionsNone")]);
        assert!(
            allowed.status.success(),
            "{entry}: {}",
            String::from_utf8_lossy(&allowed.stderr)
        );
        assert!(String::from_utf8_lossy(&allowed.stdout).contains("hunter2-krm"));
    }
}

#[test]
fn files_sharing_a_data_key_cost_one_unwrap() {
    let c = Ctx::new();
    c.write("s.yaml", SECRET);
    let enc = c.sops_encrypt("s.yaml", &[]);
    // Three copies of one file share its wrapped data key; a fourth has its own.
    for n in 0..3 {
        c.write(&format!("copy{n}.enc.yaml"), &enc);
    }
    let own = c.sops_encrypt("s.yaml", &[]);
    c.write("own.enc.yaml", &own);
    let generator = "apiVersion: viaduct.ai/v1\nkind: ksops\nfiles:\n- copy0.enc.yaml\n- copy1.enc.yaml\n- copy2.enc.yaml\n- own.enc.yaml\n";
    let out = c.hush_stdin(&["krm", "--stats"], &resource_list(generator));
    expect_ok("hush krm --stats", &out);
    assert!(
        out.stderr.contains("4 files, 2 data-key unwraps"),
        "{}",
        out.stderr
    );
}

#[test]
fn envs_are_read_as_ksops_reads_them_with_godotenv() {
    let c = Ctx::new();
    // Each line as sops stores it, and the value KSOPS (godotenv) gives.
    let table = [
        ("Q=\"quoted value\"", "Q", "quoted value"),
        ("S='single $Q'", "S", "single $Q"),
        ("export EX=1", "EX", "1"),
        ("H=a # c", "H", "a"),
        ("D=\"a\\nb\"", "D", "a\nb"),
        ("R=x-$Q", "R", "x-quoted value"),
        ("P=pa$$word", "P", "pa$$word"),
    ];
    let text: String = table.iter().map(|(l, _, _)| format!("{l}\n")).collect();
    c.write("e.env", &text);
    let enc = c.sops_encrypt("e.env", &[]);
    c.write("app.enc.env", &enc);
    c.write(
        "gen.yaml",
        "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: g\nsecretFrom:\n- metadata:\n    name: app\n  envs:\n  - app.enc.env\n",
    );
    let out = expect_ok("hush krm gen.yaml", &c.hush(&["krm", "gen.yaml"]));
    let v = yaml(&out);
    let data = v["stringData"].as_mapping().unwrap();
    assert_eq!(data.len(), table.len(), "{out}");
    for (line, key, want) in table {
        assert_eq!(v["stringData"][key].as_str(), Some(want), "{line}");
    }
}

#[test]
fn any_api_version_of_kind_ksops_and_a_generator_on_stdin_are_taken() {
    let c = Ctx::new();
    fixtures(&c);
    // KSOPS's own fixtures say viaduct.ai/v2; KSOPS checks only the kind.
    let v2 = GENERATOR.replace("viaduct.ai/v1", "viaduct.ai/v2");
    let out = c.hush_stdin(&["krm"], &resource_list(&v2));
    let v = yaml(&expect_ok("hush krm (viaduct.ai/v2)", &out));
    assert_eq!(v["items"].as_sequence().unwrap().len(), 3);
    // `cat generator.yaml | ksops`, KSOPS's standalone form.
    let out = c.hush_stdin(&["krm"], &v2);
    let docs = yaml_docs(&expect_ok("generator on stdin", &out));
    assert_eq!(docs.len(), 2);
    assert_eq!(
        docs[0]["stringData"]["password"].as_str(),
        Some("hunter2-krm")
    );
    // Other kinds are still refused, with hush's own kind kept to its version.
    for other in [
        GENERATOR.replace("kind: ksops", "kind: Other"),
        GENERATOR.replace(
            "viaduct.ai/v1\nkind: ksops",
            "hush.dev/v2\nkind: SecretGenerator",
        ),
    ] {
        let out = c.hush_stdin(&["krm"], &resource_list(&other));
        assert!(!out.ok(), "{other}");
        assert_eq!(out.stdout, "");
    }
}
