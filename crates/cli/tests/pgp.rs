//! PGP keys against the real sops and the real gpg, both directions:
//! PGP only, PGP + age, Shamir with a PGP member, rotate --rm-pgp, creation
//! rules and updatekeys, decryption order, and the failure cases (gpg
//! missing, no secret key, a locked key, revoked and expired keys, short
//! key IDs), each with sops's exit code and nothing written.
//!
//! Every keyring is a throwaway GNUPGHOME under /tmp (short, for the agent
//! socket), generated at test time; its agent is killed on drop. The
//! user's ~/.gnupg is never used: HOME is the test's own directory too.

mod common;

use common::*;
use hush_test_support::gpg::Keyring;
use std::path::{Path, PathBuf};

const PLAIN: &str = "a: secret\nb:\n    c: 1\nlist:\n    - x\n";

/// Runs hush or sops with this keyring and, optionally, an age key file.
fn run(
    ctx: &Ctx,
    bin: &Path,
    args: &[&str],
    ring: &Keyring,
    age_key: Option<&Path>,
    extra: &[(&str, &str)],
) -> Out {
    let mut env = vec![ring.env()];
    env.extend_from_slice(extra);
    ctx.run_with(bin, args, age_key, &env, None)
}

fn ok(what: &str, out: Out) -> String {
    expect_ok(what, &out)
}

/// Both tools decrypt `file` to PLAIN with `ring` (and the age key, if any).
fn both_decrypt(ctx: &Ctx, file: &str, ring: &Keyring, age_key: Option<&Path>) {
    for (name, bin, cmd) in [("hush", hush_bin(), "decrypt"), ("sops", sops_bin(), "-d")] {
        let out = ok(
            &format!("{name} decrypt {file}"),
            run(ctx, &bin, &[cmd, file], ring, age_key, &[]),
        );
        assert_same_yaml(&format!("{name} decrypt {file}"), &yaml(&out), &yaml(PLAIN));
    }
}

/// Both tools fail to decrypt `file` with 128; returns hush's stderr.
fn both_refuse(ctx: &Ctx, file: &str, ring: &Keyring, age_key: Option<&Path>) -> String {
    let h = run(ctx, &hush_bin(), &["decrypt", file], ring, age_key, &[]);
    let s = run(ctx, &sops_bin(), &["-d", file], ring, age_key, &[]);
    assert_eq!(
        (h.code, s.code),
        (128, 128),
        "{file}: hush {} / sops {}",
        h.stderr,
        s.stderr
    );
    h.stderr
}

/// `plain.yaml` encrypted for `pgp` (fingerprints, comma-separated) by
/// hush and by sops, with `ring`: `(by_hush, by_sops)`.
fn encrypt_both_pgp(ctx: &Ctx, ring: &Keyring, pgp: &str) -> (String, String) {
    let by = |what: &str, bin: &Path, cmd: &str| {
        ok(
            what,
            run(
                ctx,
                bin,
                &[cmd, "--pgp", pgp, "plain.yaml"],
                ring,
                None,
                &[],
            ),
        )
    };
    (
        by("hush encrypt --pgp", &hush_bin(), "encrypt"),
        by("sops -e --pgp", &sops_bin(), "-e"),
    )
}

/// The `pgp` entries of a file's metadata, by group.
fn pgp_fps(text: &str) -> Vec<String> {
    let (_, meta) = split_sops(yaml(text));
    let meta = meta.expect("sops metadata");
    let mut groups = vec![meta.clone()];
    if let Some(kg) = meta.get("key_groups").and_then(|v| v.as_sequence()) {
        groups = kg.clone();
    }
    groups
        .iter()
        .filter_map(|g| g.get("pgp").and_then(|v| v.as_sequence()).cloned())
        .flatten()
        .map(|e| e.get("fp").and_then(|v| v.as_str()).unwrap().to_string())
        .collect()
}

/// The metadata's `pgp:` block with armor bodies and times masked, for
/// comparing the layout byte for byte.
fn pgp_layout(text: &str) -> String {
    let start = text.find("    pgp:\n").expect("a pgp block");
    let mut out = String::new();
    let mut in_armor = false;
    for line in text[start..].lines() {
        let t = line.trim_start();
        if t.starts_with("-----END") {
            in_armor = false;
        }
        let masked = if in_armor && !t.is_empty() {
            format!("{}<armor>", &line[..line.len() - t.len()])
        } else if let Some(i) = line.find("created_at: ") {
            format!("{}<time>", &line[..i + 12])
        } else {
            line.to_string()
        };
        if t.starts_with("-----BEGIN") {
            in_armor = true;
        }
        out.push_str(&masked);
        out.push('\n');
        if t.starts_with("fp: ") {
            break;
        }
    }
    out
}

#[test]
fn pgp_only_both_directions_with_the_sops_layout() {
    let ctx = Ctx::new();
    let ring = Keyring::new();
    let fp = ring.generate("only@example.com", &[]);
    ctx.write("plain.yaml", PLAIN);
    let (by_hush, by_sops) = encrypt_both_pgp(&ctx, &ring, &fp);
    ctx.write("h.enc.yaml", &by_hush);
    ctx.write("s.enc.yaml", &by_sops);
    both_decrypt(&ctx, "h.enc.yaml", &ring, None);
    both_decrypt(&ctx, "s.enc.yaml", &ring, None);
    assert_eq!(pgp_fps(&by_hush), vec![fp.clone()]);
    assert_eq!(pgp_layout(&by_hush), pgp_layout(&by_sops));
    assert!(by_hush.contains("      enc: |-\n            -----BEGIN PGP MESSAGE-----\n\n"));
    // SOPS_PGP_FP, as sops, and JSON.
    let json = ok(
        "hush encrypt SOPS_PGP_FP",
        run(
            &ctx,
            &hush_bin(),
            &["encrypt", "--output-type", "json", "plain.yaml"],
            &ring,
            None,
            &[("SOPS_PGP_FP", &fp)],
        ),
    );
    ctx.write("h.enc.json", &json);
    let out = ok(
        "sops -d json",
        run(
            &ctx,
            &sops_bin(),
            &["-d", "--output-type", "yaml", "h.enc.json"],
            &ring,
            None,
            &[],
        ),
    );
    assert_same_yaml("sops decrypts hush JSON", &yaml(&out), &yaml(PLAIN));
}

#[test]
fn pgp_and_age_in_one_group_each_key_alone_decrypts() {
    let ctx = Ctx::new();
    let ring = Keyring::new();
    let empty = Keyring::new();
    let fp = ring.generate("mixed@example.com", &[]);
    ctx.write("plain.yaml", PLAIN);
    let args = [
        "--pgp",
        fp.as_str(),
        "--age",
        ctx.recipient.as_str(),
        "plain.yaml",
    ];
    let by_hush = ok(
        "hush encrypt",
        run(
            &ctx,
            &hush_bin(),
            &[&["encrypt"][..], &args].concat(),
            &ring,
            None,
            &[],
        ),
    );
    let by_sops = ok(
        "sops -e",
        run(
            &ctx,
            &sops_bin(),
            &[&["-e"][..], &args].concat(),
            &ring,
            None,
            &[],
        ),
    );
    for (name, text) in [("h.enc.yaml", by_hush), ("s.enc.yaml", by_sops)] {
        ctx.write(name, &text);
        // gpg alone, age alone, and neither.
        both_decrypt(&ctx, name, &ring, None);
        both_decrypt(&ctx, name, &empty, Some(&ctx.key_file));
        let err = both_refuse(&ctx, name, &empty, None);
        assert!(err.contains(&format!("pgp {fp}: no secret key")), "{err}");
        assert!(err.contains(&format!("age {}", ctx.recipient)), "{err}");
    }
}

#[test]
fn shamir_two_of_three_with_one_pgp_member() {
    let ctx = Ctx::new();
    let ring = Keyring::new();
    let empty = Keyring::new();
    let fp = ring.generate("shamir@example.com", &[]);
    let (key2, r2) = ctx.other_key("keys2.txt");
    ctx.write(
        ".sops.yaml",
        &format!(
            "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - pgp:\n          - {fp}\n      - age:\n          - {}\n      - age:\n          - {r2}\n",
            ctx.recipient
        ),
    );
    ctx.write("plain.yaml", PLAIN);
    let by_hush = ok(
        "hush encrypt",
        run(
            &ctx,
            &hush_bin(),
            &["encrypt", "plain.yaml"],
            &ring,
            None,
            &[],
        ),
    );
    let by_sops = ok(
        "sops -e",
        run(&ctx, &sops_bin(), &["-e", "plain.yaml"], &ring, None, &[]),
    );
    for (name, text) in [("h.enc.yaml", by_hush), ("s.enc.yaml", by_sops)] {
        ctx.write(name, &text);
        assert_eq!(pgp_fps(&text), vec![fp.clone()], "{name}");
        both_decrypt(&ctx, name, &ring, Some(&ctx.key_file));
        both_decrypt(&ctx, name, &ring, Some(&key2));
        let err = both_refuse(&ctx, name, &empty, Some(&key2));
        assert!(
            err.contains("recovered 1 of the 2 key groups needed"),
            "{err}"
        );
        assert!(
            err.contains(&format!("group 1: pgp {fp}: no secret key")),
            "{err}"
        );
    }
}

#[test]
fn rotate_rm_pgp_and_add_pgp_both_directions() {
    let ctx = Ctx::new();
    let (alice, bob) = (Keyring::new(), Keyring::new());
    let a = alice.generate("alice@example.com", &[]);
    let b = bob.generate("bob@example.com", &[]);
    alice.import_public(&bob, &b);
    bob.import_public(&alice, &a);
    ctx.write("plain.yaml", PLAIN);
    let both = format!("{a},{b}");
    // hush removes bob from a sops file; sops removes bob from a hush file.
    let (by_hush, by_sops) = encrypt_both_pgp(&ctx, &alice, &both);
    ctx.write("s.enc.yaml", &by_sops);
    ctx.write("h.enc.yaml", &by_hush);
    both_decrypt(&ctx, "s.enc.yaml", &bob, None);
    both_decrypt(&ctx, "h.enc.yaml", &bob, None);
    ok(
        "hush rotate --rm-pgp",
        run(
            &ctx,
            &hush_bin(),
            &["rotate", "-i", "--rm-pgp", &b.to_lowercase(), "s.enc.yaml"],
            &alice,
            None,
            &[],
        ),
    );
    ok(
        "sops rotate --rm-pgp",
        run(
            &ctx,
            &sops_bin(),
            &["rotate", "-i", "--rm-pgp", &b, "h.enc.yaml"],
            &alice,
            None,
            &[],
        ),
    );
    for name in ["s.enc.yaml", "h.enc.yaml"] {
        assert_eq!(pgp_fps(&ctx.read(name)), vec![a.clone()], "{name}");
        both_decrypt(&ctx, name, &alice, None);
        let err = both_refuse(&ctx, name, &bob, None);
        assert!(err.contains("no secret key"), "{err}");
    }
    // And back: hush adds bob, sops (as bob) reads it.
    ok(
        "hush rotate --add-pgp",
        run(
            &ctx,
            &hush_bin(),
            &["rotate", "-i", "--add-pgp", &b, "s.enc.yaml"],
            &alice,
            None,
            &[],
        ),
    );
    assert_eq!(pgp_fps(&ctx.read("s.enc.yaml")), vec![a.clone(), b.clone()]);
    both_decrypt(&ctx, "s.enc.yaml", &bob, None);
}

#[test]
fn updatekeys_follows_a_pgp_creation_rule() {
    let ctx = Ctx::new();
    let ring = Keyring::new();
    let fp = ring.generate("rule@example.com", &[]);
    ctx.write("plain.yaml", PLAIN);
    let enc = ctx.hush_encrypt("plain.yaml", &[]);
    ctx.write("s.enc.yaml", &enc);
    ctx.write(".sops.yaml", &format!("creation_rules:\n  - pgp: '{fp}'\n"));
    ok(
        "hush updatekeys",
        run(
            &ctx,
            &hush_bin(),
            &["updatekeys", "-y", "s.enc.yaml"],
            &ring,
            Some(&ctx.key_file),
            &[],
        ),
    );
    assert_eq!(pgp_fps(&ctx.read("s.enc.yaml")), vec![fp.clone()]);
    both_decrypt(&ctx, "s.enc.yaml", &ring, None);
    // The same key in lower case with spaces is no change.
    let spaced: String = fp
        .to_lowercase()
        .chars()
        .enumerate()
        .flat_map(|(i, c)| (i % 4 == 0 && i > 0).then_some(' ').into_iter().chain([c]))
        .collect();
    ctx.write(
        ".sops.yaml",
        &format!("creation_rules:\n  - pgp: '{spaced}'\n"),
    );
    let again = run(
        &ctx,
        &hush_bin(),
        &["updatekeys", "-y", "s.enc.yaml"],
        &ring,
        None,
        &[],
    );
    assert!(
        again.ok() && again.stderr.contains("already match"),
        "{}",
        again.stderr
    );
}

#[test]
fn decryption_order_decides_whether_gpg_runs() {
    let ctx = Ctx::new();
    let ring = Keyring::new();
    let fp = ring.generate("order@example.com", &[]);
    ctx.write("plain.yaml", PLAIN);
    let args = [
        "encrypt",
        "--age",
        &ctx.recipient,
        "--pgp",
        &fp,
        "plain.yaml",
    ];
    let enc = ok(
        "hush encrypt",
        run(&ctx, &hush_bin(), &args, &ring, None, &[]),
    );
    ctx.write("e.enc.yaml", &enc);
    let log = ctx.path("gpg.log");
    let wrapper = ctx.write(
        "gpg-wrap.sh",
        &format!(
            "#!/bin/sh\necho run >> '{}'\nexec gpg \"$@\"\n",
            log.display()
        ),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let exec = ("SOPS_GPG_EXEC", wrapper.to_str().unwrap());
    for (name, bin, cmd) in [("hush", hush_bin(), "decrypt"), ("sops", sops_bin(), "-d")] {
        let _ = std::fs::remove_file(&log);
        ok(
            name,
            run(
                &ctx,
                &bin,
                &[cmd, "e.enc.yaml"],
                &ring,
                Some(&ctx.key_file),
                &[exec],
            ),
        );
        assert!(!log.exists(), "{name}: age comes first by default, gpg ran");
        ok(
            name,
            run(
                &ctx,
                &bin,
                &[cmd, "--decryption-order", "pgp,age", "e.enc.yaml"],
                &ring,
                Some(&ctx.key_file),
                &[exec],
            ),
        );
        assert!(log.exists(), "{name}: pgp first, but gpg did not run");
    }
}

/// Encrypting `plain.yaml` in place fails in both tools with the same
/// code, and the file is untouched; returns hush's stderr.
fn encrypt_refused(ctx: &Ctx, ring: &Keyring, fp: &str, env: &[(&str, &str)]) -> String {
    let before = ctx.write("plain.yaml", PLAIN);
    let h = run(
        ctx,
        &hush_bin(),
        &["encrypt", "-i", "--pgp", fp, "plain.yaml"],
        ring,
        None,
        env,
    );
    assert_eq!(
        std::fs::read_to_string(&before).unwrap(),
        PLAIN,
        "hush wrote"
    );
    let s = run(
        ctx,
        &sops_bin(),
        &["-e", "-i", "--pgp", fp, "plain.yaml"],
        ring,
        None,
        env,
    );
    assert_eq!(
        std::fs::read_to_string(&before).unwrap(),
        PLAIN,
        "sops wrote"
    );
    assert_eq!(
        (h.code, s.code),
        (1, 1),
        "hush {} / sops {}",
        h.stderr,
        s.stderr
    );
    assert_eq!(
        h.stderr.lines().count(),
        2,
        "one line per key:\n{}",
        h.stderr
    );
    h.stderr
}

#[test]
fn gpg_missing_is_named_and_nothing_is_written() {
    let ctx = Ctx::new();
    let ring = Keyring::new();
    let fp = ring.generate("missing@example.com", &[]);
    let exec = [("SOPS_GPG_EXEC", "/nonexistent/gpg")];
    let err = encrypt_refused(&ctx, &ring, &fp, &exec);
    assert!(err.contains("gpg not found (`/nonexistent/gpg`)"), "{err}");
    let enc = ok(
        "hush encrypt",
        run(
            &ctx,
            &hush_bin(),
            &["encrypt", "--pgp", &fp, "plain.yaml"],
            &ring,
            None,
            &[],
        ),
    );
    let file = ctx.write("e.enc.yaml", &enc);
    for (bin, cmd) in [(hush_bin(), "decrypt"), (sops_bin(), "-d")] {
        let out = run(&ctx, &bin, &[cmd, "-i", "e.enc.yaml"], &ring, None, &exec);
        assert_eq!(out.code, 128, "{}", out.stderr);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), enc);
    }
    let out = run(
        &ctx,
        &hush_bin(),
        &["decrypt", "e.enc.yaml"],
        &ring,
        None,
        &exec,
    );
    assert!(out.stderr.contains("gpg not found"), "{}", out.stderr);
}

#[test]
fn no_secret_key_and_a_locked_key_fail_with_128_and_write_nothing() {
    let ctx = Ctx::new();
    let (owner, other) = (Keyring::new(), Keyring::new());
    let fp = owner.generate("owner@example.com", &["--passphrase", "correct horse"]);
    other.import_public(&owner, &fp);
    ctx.write("plain.yaml", PLAIN);
    let enc = ok(
        "hush encrypt",
        run(
            &ctx,
            &hush_bin(),
            &["encrypt", "--pgp", &fp, "plain.yaml"],
            &other,
            None,
            &[],
        ),
    );
    let file = ctx.write("e.enc.yaml", &enc);
    let err = both_refuse(&ctx, "e.enc.yaml", &other, None);
    assert!(
        err.contains(&format!("pgp {fp}: no secret key for it")),
        "{err}"
    );
    owner.lock();
    let err = both_refuse(&ctx, "e.enc.yaml", &owner, None);
    assert!(
        err.contains(&format!("pgp {fp}: the secret key is locked")),
        "{err}"
    );
    assert!(!err.contains("correct horse"), "{err}");
    for ring in [&owner, &other] {
        let out = run(
            &ctx,
            &hush_bin(),
            &["decrypt", "-i", "e.enc.yaml"],
            ring,
            None,
            &[],
        );
        assert_eq!(out.code, 128, "{}", out.stderr);
        let out = run(
            &ctx,
            &hush_bin(),
            &["rotate", "-i", "e.enc.yaml"],
            ring,
            None,
            &[],
        );
        assert_eq!(out.code, 128, "{}", out.stderr);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), enc, "written");
    }
}

#[test]
fn revoked_and_expired_keys_are_refused_like_sops() {
    let ctx = Ctx::new();
    let ring = Keyring::new();
    let revoked = ring.generate("revoked@example.com", &[]);
    ring.revoke(&revoked);
    let err = encrypt_refused(&ctx, &ring, &revoked, &[]);
    assert!(
        err.contains(&format!("pgp: {revoked}: the key is revoked")),
        "{err}"
    );
    let expired = ring.generate(
        "expired@example.com",
        &["--faked-system-time", "20200101T000000"],
    );
    let err = encrypt_refused(&ctx, &ring, &expired, &[]);
    assert!(
        err.contains(&format!(
            "pgp: {expired}: the key (or its encryption subkey) is expired"
        )),
        "{err}"
    );
    // Both failures in one run: one line each.
    let before = ctx.write("plain.yaml", PLAIN);
    let out = run(
        &ctx,
        &hush_bin(),
        &[
            "encrypt",
            "-i",
            "--pgp",
            &format!("{revoked},{expired}"),
            "plain.yaml",
        ],
        &ring,
        None,
        &[],
    );
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr.lines().count(), 3, "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(before).unwrap(), PLAIN);
}

#[test]
fn short_key_ids_are_refused_for_writing_but_read() {
    let ctx = Ctx::new();
    let ring = Keyring::new();
    let fp = ring.generate("short@example.com", &[]);
    let id = &fp[24..];
    let before: PathBuf = ctx.write("plain.yaml", PLAIN);
    let out = run(
        &ctx,
        &hush_bin(),
        &["encrypt", "-i", "--pgp", id, "plain.yaml"],
        &ring,
        None,
        &[],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("`{id}` is a short key ID")),
        "{}",
        out.stderr
    );
    ctx.write(".sops.yaml", &format!("creation_rules:\n  - pgp: {id}\n"));
    let out = run(
        &ctx,
        &hush_bin(),
        &["encrypt", "-i", "plain.yaml"],
        &ring,
        None,
        &[],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("short key ID"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&before).unwrap(), PLAIN);
    // sops accepts the key ID; hush still reads what sops wrote.
    std::fs::remove_file(ctx.path(".sops.yaml")).unwrap();
    let by_sops = ok(
        "sops -e",
        run(
            &ctx,
            &sops_bin(),
            &["-e", "--pgp", id, "plain.yaml"],
            &ring,
            None,
            &[],
        ),
    );
    ctx.write("s.enc.yaml", &by_sops);
    assert_eq!(pgp_fps(&by_sops), vec![id.to_string()]);
    both_decrypt(&ctx, "s.enc.yaml", &ring, None);
}

#[test]
fn seal_refuses_a_pgp_only_group_but_takes_pgp_beside_age() {
    let ctx = Ctx::new();
    let ring = Keyring::new();
    let fp = ring.generate("seal@example.com", &[]);
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\nstringData:\n  password: hunter2\n";
    ctx.write("secret.yaml", secret);
    let out = run(
        &ctx,
        &hush_bin(),
        &["seal", "--pgp", &fp, "secret.yaml"],
        &ring,
        None,
        &[],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("only PGP keys, which hush-controller cannot use"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
    let args = ["seal", "--pgp", &fp, "--age", &ctx.recipient, "secret.yaml"];
    let sealed = ok("hush seal", run(&ctx, &hush_bin(), &args, &ring, None, &[]));
    ctx.write("sealed.yaml", &sealed);
    let plain = ok(
        "sops -d",
        run(&ctx, &sops_bin(), &["-d", "sealed.yaml"], &ring, None, &[]),
    );
    assert!(plain.contains("hunter2"), "{plain}");
}

#[test]
fn krm_and_merge_read_pgp_files_as_decrypt_does() {
    let ctx = Ctx::new();
    let ring = Keyring::new();
    let fp = ring.generate("krm@example.com", &[]);
    ctx.write(
        "plain.yaml",
        "kind: Secret\nmetadata:\n  name: p\nstringData:\n  a: pgp-1\n  b: pgp-2\n",
    );
    let enc = ok(
        "sops -e --pgp",
        run(
            &ctx,
            &sops_bin(),
            &["-e", "--pgp", &fp, "plain.yaml"],
            &ring,
            None,
            &[],
        ),
    );
    ctx.write("base.enc.yaml", &enc);
    // The KRM function, as a legacy exec plugin and on a ResourceList.
    ctx.write(
        "gen.yaml",
        "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: g\nfiles:\n- base.enc.yaml\n",
    );
    let out = ok(
        "hush krm gen.yaml",
        run(&ctx, &hush_bin(), &["krm", "gen.yaml"], &ring, None, &[]),
    );
    assert_eq!(yaml(&out)["stringData"]["a"].as_str(), Some("pgp-1"));
    // The merge driver: each side changes one value.
    for (side, key, value) in [("ours", "a", "ours-3"), ("theirs", "b", "theirs-3")] {
        ctx.write(&format!("{side}.enc.yaml"), &enc);
        let path = format!(r#"["stringData"]["{key}"]"#);
        let json = format!("\"{value}\"");
        ok(
            "hush set",
            run(
                &ctx,
                &hush_bin(),
                &["set", &format!("{side}.enc.yaml"), &path, &json],
                &ring,
                None,
                &[],
            ),
        );
    }
    ok(
        "hush merge",
        run(
            &ctx,
            &hush_bin(),
            &[
                "merge",
                "base.enc.yaml",
                "ours.enc.yaml",
                "theirs.enc.yaml",
                "s.enc.yaml",
            ],
            &ring,
            None,
            &[],
        ),
    );
    let out = ok(
        "sops -d merged",
        run(
            &ctx,
            &sops_bin(),
            &["-d", "ours.enc.yaml"],
            &ring,
            None,
            &[],
        ),
    );
    let v = yaml(&out);
    assert_eq!(v["stringData"]["a"].as_str(), Some("ours-3"));
    assert_eq!(v["stringData"]["b"].as_str(), Some("theirs-3"));
}

/// An age key source that cannot be read fails only the age keys, as in
/// sops: a PGP-only or PGP+age file still decrypts with gpg, and a valid
/// source next to a broken one still opens an age-only file.
#[test]
fn a_broken_age_source_does_not_block_other_keys() {
    let ctx = Ctx::new();
    let ring = Keyring::new();
    let fp = ring.generate("broken-age@example.com", &[]);
    ctx.write("plain.yaml", PLAIN);
    let (pgp_only, _) = encrypt_both_pgp(&ctx, &ring, &fp);
    ctx.write("p.enc.yaml", &pgp_only);
    let mixed = ok(
        "hush encrypt pgp+age",
        run(
            &ctx,
            &hush_bin(),
            &[
                "encrypt",
                "--pgp",
                &fp,
                "--age",
                &ctx.recipient,
                "plain.yaml",
            ],
            &ring,
            None,
            &[],
        ),
    );
    ctx.write("m.enc.yaml", &mixed);
    let age_only = ctx.hush_encrypt("plain.yaml", &[]);
    ctx.write("a.enc.yaml", &age_only);
    let key_file = ctx.key_file.display().to_string();
    let dir = ctx.path("").display().to_string();
    let cases: [(&str, &[(&str, &str)]); 4] = [
        (
            "p.enc.yaml",
            &[("SOPS_AGE_KEY_FILE", "/nonexistent/keys.txt")],
        ),
        ("m.enc.yaml", &[("SOPS_AGE_KEY_FILE", &dir)]),
        ("p.enc.yaml", &[("SOPS_AGE_KEY_CMD", "false")]),
        (
            "a.enc.yaml",
            &[
                ("SOPS_AGE_KEY", "garbage"),
                ("SOPS_AGE_KEY_FILE", &key_file),
            ],
        ),
    ];
    for (file, env) in cases {
        for (name, bin, cmd) in [("hush", hush_bin(), "decrypt"), ("sops", sops_bin(), "-d")] {
            let out = run(&ctx, &bin, &[cmd, file], &ring, None, env);
            let what = format!("{name} -d {file} with {env:?}");
            assert_same_yaml(&what, &yaml(&ok(&what, out)), &yaml(PLAIN));
        }
    }
}
