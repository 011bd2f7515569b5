//! AWS KMS and Shamir key groups against the real sops and a real KMS API
//! (moto, started by ./scripts/test). A relay in front of moto counts the
//! KMS and STS calls each tool makes.

mod common;

use common::*;
use hush_test_support::kms::{aws_env, create_key, moto, Relay};

fn run(
    ctx: &Ctx,
    bin: &std::path::Path,
    args: &[&str],
    endpoint: &str,
    key_file: Option<&std::path::Path>,
) -> Out {
    let env = aws_env(endpoint);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    ctx.run_with(bin, args, key_file, &env, None)
}

const INPUT: &str = "db:\n  user: admin\n  password: hunter2\nport: 5432\n";

#[test]
fn kms_files_with_an_encryption_context_interoperate_with_sops_both_ways() {
    let ctx = Ctx::new();
    let (arn, m) = (create_key(), moto());
    ctx.write("in.yaml", INPUT);
    let h = expect_ok(
        "hush encrypt",
        &run(
            &ctx,
            &hush_bin(),
            &[
                "encrypt",
                "--kms",
                &arn,
                "--encryption-context",
                "app:web,env:prod",
                "in.yaml",
            ],
            &m,
            None,
        ),
    );
    assert!(
        h.contains("context:") && h.contains("app: web") && h.contains(&arn),
        "kms metadata written:\n{h}"
    );
    ctx.write("h.enc.yaml", &h);
    let by_sops = expect_ok(
        "sops -d",
        &run(&ctx, &sops_bin(), &["-d", "h.enc.yaml"], &m, None),
    );
    assert_same_yaml("sops -d of hush file", &yaml(&by_sops), &yaml(INPUT));

    let s = expect_ok(
        "sops -e",
        &run(
            &ctx,
            &sops_bin(),
            &[
                "-e",
                "--kms",
                &arn,
                "--encryption-context",
                "app:web",
                "in.yaml",
            ],
            &m,
            None,
        ),
    );
    ctx.write("s.enc.yaml", &s);
    let by_hush = expect_ok(
        "hush decrypt",
        &run(&ctx, &hush_bin(), &["decrypt", "s.enc.yaml"], &m, None),
    );
    assert_same_yaml("hush decrypt of sops file", &yaml(&by_hush), &yaml(INPUT));
}

#[test]
fn a_wrong_or_missing_encryption_context_fails_with_128_and_names_the_key() {
    let ctx = Ctx::new();
    let (arn, m) = (create_key(), moto());
    ctx.write("in.yaml", INPUT);
    let h = expect_ok(
        "hush encrypt",
        &run(
            &ctx,
            &hush_bin(),
            &[
                "encrypt",
                "--kms",
                &arn,
                "--encryption-context",
                "app:web",
                "in.yaml",
            ],
            &m,
            None,
        ),
    );
    let wrong = h.replace("app: web", "app: evil");
    let missing: String = h
        .lines()
        .filter(|l| !matches!(l.trim(), "context:" | "app: web"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(wrong, h);
    assert_ne!(missing, h, "context block removed:\n{h}");
    for (name, text) in [("wrong.enc.yaml", wrong), ("missing.enc.yaml", missing)] {
        ctx.write(name, &text);
        let ho = run(&ctx, &hush_bin(), &["decrypt", name], &m, None);
        let so = run(&ctx, &sops_bin(), &["-d", name], &m, None);
        assert_eq!(
            (ho.code, so.code),
            (128, 128),
            "{name}: hush {} / sops {}",
            ho.stderr,
            so.stderr
        );
        assert!(
            ho.stderr.contains(&arn),
            "{name}: message names the key: {}",
            ho.stderr
        );
        assert!(
            ho.stderr.contains("encryption context"),
            "{name}: says why: {}",
            ho.stderr
        );
        assert!(!ho.stderr.contains("hunter2") && ho.stdout.is_empty());
    }
}

#[test]
fn a_role_arn_is_assumed_through_sts_by_both_tools() {
    let ctx = Ctx::new();
    let (arn, relay) = (create_key(), Relay::start());
    let role = "arn:aws:iam::123456789012:role/hush-test";
    ctx.write("in.yaml", INPUT);
    let h = expect_ok(
        "hush encrypt",
        &run(
            &ctx,
            &hush_bin(),
            &["encrypt", "--kms", &format!("{arn}+{role}"), "in.yaml"],
            &relay.url,
            None,
        ),
    );
    assert!(h.contains(&format!("role: {role}")), "role stored:\n{h}");
    assert_eq!(
        relay.count("Action=AssumeRole"),
        1,
        "hush assumed the role once to encrypt"
    );
    ctx.write("h.enc.yaml", &h);
    let by_sops = expect_ok(
        "sops -d",
        &run(&ctx, &sops_bin(), &["-d", "h.enc.yaml"], &relay.url, None),
    );
    assert_same_yaml("sops -d of hush file", &yaml(&by_sops), &yaml(INPUT));
    assert_eq!(relay.count("Action=AssumeRole"), 2, "sops assumed it too");
    let by_hush = expect_ok(
        "hush decrypt",
        &run(
            &ctx,
            &hush_bin(),
            &["decrypt", "h.enc.yaml"],
            &relay.url,
            None,
        ),
    );
    assert_eq!(by_hush, INPUT);
    assert_eq!(relay.count("Action=AssumeRole"), 3);
}

#[test]
fn one_decrypt_makes_exactly_one_kms_decrypt_call_whatever_the_file_size() {
    let ctx = Ctx::new();
    let (arn, relay) = (create_key(), Relay::start());
    let big: String = (0..3000)
        .map(|i| format!("k{i}: value-number-{i}\n"))
        .collect();
    ctx.write("big.yaml", &big);
    let h = expect_ok(
        "hush encrypt",
        &run(
            &ctx,
            &hush_bin(),
            &["encrypt", "--kms", &arn, "big.yaml"],
            &relay.url,
            None,
        ),
    );
    assert_eq!(relay.count("TrentService.Encrypt"), 1);
    ctx.write("big.enc.yaml", &h);
    let out = expect_ok(
        "hush decrypt",
        &run(
            &ctx,
            &hush_bin(),
            &["decrypt", "big.enc.yaml"],
            &relay.url,
            None,
        ),
    );
    assert_eq!(out, big);
    assert_eq!(
        relay.count("TrentService.Decrypt"),
        1,
        "one KMS Decrypt for 3000 values"
    );
}

/// Three age keys, each file encrypted to three groups of one key each.
fn three_age_groups(ctx: &Ctx) -> Vec<(std::path::PathBuf, String)> {
    (0..3)
        .map(|i| ctx.other_key(&format!("g{i}.txt")))
        .collect()
}

fn key_file_with(ctx: &Ctx, name: &str, keys: &[&std::path::Path]) -> std::path::PathBuf {
    let text: String = keys
        .iter()
        .map(|k| std::fs::read_to_string(k).unwrap())
        .collect();
    ctx.write(name, &text)
}

#[test]
fn three_groups_with_threshold_two_interoperate_and_any_two_keys_suffice() {
    let ctx = Ctx::new();
    let keys = three_age_groups(&ctx);
    let groups: String = keys
        .iter()
        .map(|(_, r)| format!("      - age: [{r}]\n"))
        .collect();
    ctx.write(
        ".sops.yaml",
        &format!("creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n{groups}"),
    );
    ctx.write("in.yaml", INPUT);
    let m = moto();
    let h = expect_ok(
        "hush encrypt",
        &run(&ctx, &hush_bin(), &["encrypt", "in.yaml"], &m, None),
    );
    assert!(
        h.contains("key_groups:") && h.contains("shamir_threshold: 2"),
        "groups written:\n{h}"
    );
    let s = expect_ok(
        "sops -e",
        &run(&ctx, &sops_bin(), &["-e", "in.yaml"], &m, None),
    );
    ctx.write("h.enc.yaml", &h);
    ctx.write("s.enc.yaml", &s);
    let two = key_file_with(&ctx, "two.txt", &[&keys[0].0, &keys[2].0]);
    let one = key_file_with(&ctx, "one.txt", &[&keys[1].0]);
    for file in ["h.enc.yaml", "s.enc.yaml"] {
        let by_hush = expect_ok(
            "hush decrypt",
            &run(&ctx, &hush_bin(), &["decrypt", file], &m, Some(&two)),
        );
        assert_same_yaml(
            &format!("hush, 2 of 3 keys, {file}"),
            &yaml(&by_hush),
            &yaml(INPUT),
        );
        let by_sops = expect_ok(
            "sops -d",
            &run(&ctx, &sops_bin(), &["-d", file], &m, Some(&two)),
        );
        assert_same_yaml(
            &format!("sops, 2 of 3 keys, {file}"),
            &yaml(&by_sops),
            &yaml(INPUT),
        );
        let ho = run(&ctx, &hush_bin(), &["decrypt", file], &m, Some(&one));
        let so = run(&ctx, &sops_bin(), &["-d", file], &m, Some(&one));
        assert_eq!(
            (ho.code, so.code),
            (128, 128),
            "one key is not enough: {}",
            ho.stderr
        );
        assert!(
            ho.stderr.contains("recovered 1 of the 2 key groups needed"),
            "{}",
            ho.stderr
        );
        // The key that worked is not reported; each that failed is, with why.
        for (i, (_, r)) in keys.iter().enumerate() {
            let line = format!(
                "group {}: age {r}: none of the 1 loaded age identities matches",
                i + 1
            );
            assert_eq!(
                ho.stderr.contains(&line),
                i != 1,
                "line per key tried ({line}): {}",
                ho.stderr
            );
        }
    }
}

#[test]
fn mixed_age_and_kms_groups_interoperate_with_sops() {
    let ctx = Ctx::new();
    let (arn, m) = (create_key(), moto());
    let (age_key, r) = ctx.other_key("g.txt");
    ctx.write(".sops.yaml", &format!("creation_rules:\n  - key_groups:\n      - age: [{r}]\n      - kms:\n          - arn: {arn}\n            context: {{team: core}}\n"));
    ctx.write("in.yaml", INPUT);
    let h = expect_ok(
        "hush encrypt",
        &run(&ctx, &hush_bin(), &["encrypt", "in.yaml"], &m, None),
    );
    let s = expect_ok(
        "sops -e",
        &run(&ctx, &sops_bin(), &["-e", "in.yaml"], &m, None),
    );
    ctx.write("h.enc.yaml", &h);
    ctx.write("s.enc.yaml", &s);
    for file in ["h.enc.yaml", "s.enc.yaml"] {
        let by_hush = expect_ok(
            "hush decrypt",
            &run(&ctx, &hush_bin(), &["decrypt", file], &m, Some(&age_key)),
        );
        assert_same_yaml(
            &format!("hush decrypt {file}"),
            &yaml(&by_hush),
            &yaml(INPUT),
        );
        let by_sops = expect_ok(
            "sops -d",
            &run(&ctx, &sops_bin(), &["-d", file], &m, Some(&age_key)),
        );
        assert_same_yaml(file, &yaml(&by_sops), &yaml(INPUT));
    }
    // Without the age key, only one of the two groups is available.
    let ho = run(&ctx, &hush_bin(), &["decrypt", "s.enc.yaml"], &m, None);
    assert_eq!(ho.code, 128, "{}", ho.stderr);
}

#[test]
fn decryption_order_decides_which_key_is_tried_first() {
    let ctx = Ctx::new();
    let (arn, relay) = (create_key(), Relay::start());
    ctx.write("in.yaml", INPUT);
    let h = expect_ok(
        "hush encrypt",
        &run(
            &ctx,
            &hush_bin(),
            &["encrypt", "--kms", &arn, "--age", &ctx.recipient, "in.yaml"],
            &relay.url,
            None,
        ),
    );
    ctx.write("h.enc.yaml", &h);
    let key = Some(ctx.key_file.as_path());
    // Default order: age first, so KMS is never called.
    let out = expect_ok(
        "age first",
        &run(
            &ctx,
            &hush_bin(),
            &["decrypt", "h.enc.yaml"],
            &relay.url,
            key,
        ),
    );
    assert_eq!(out, INPUT);
    assert_eq!(relay.count("TrentService.Decrypt"), 0);
    let out = expect_ok(
        "kms first",
        &run(
            &ctx,
            &hush_bin(),
            &["decrypt", "--decryption-order", "kms,age", "h.enc.yaml"],
            &relay.url,
            key,
        ),
    );
    assert_eq!(out, INPUT);
    assert_eq!(relay.count("TrentService.Decrypt"), 1);
}

/// `decrypt -r` over files that share one wrapped data key (copies of one
/// file) makes one KMS Decrypt call; over files with their own data keys,
/// one call per file.
#[test]
fn decrypt_r_unwraps_each_distinct_data_key_once() {
    const N: usize = 24;
    let ctx = Ctx::new();
    let (arn, relay) = (create_key(), Relay::start());
    let enc = |name: &str| {
        expect_ok(
            "hush encrypt",
            &run(
                &ctx,
                &hush_bin(),
                &["encrypt", "--kms", &arn, name],
                &relay.url,
                None,
            ),
        )
    };
    ctx.write("one.yaml", INPUT);
    let shared = enc("one.yaml");
    for i in 0..N {
        ctx.write(&format!("shared/f{i:02}.yaml"), &shared);
        ctx.write(&format!("plain/g{i:02}.yaml"), &format!("n: {i}\n"));
    }
    let before = relay.count("TrentService.Decrypt");
    let out = run(
        &ctx,
        &hush_bin(),
        &["decrypt", "-r", "shared", "--output-dir", "out-shared"],
        &relay.url,
        None,
    );
    expect_ok("hush decrypt -r shared", &out);
    assert_eq!(
        relay.count("TrentService.Decrypt") - before,
        1,
        "{N} files, one data key"
    );
    for i in 0..N {
        assert_eq!(ctx.read(&format!("out-shared/f{i:02}.yaml")), INPUT);
    }

    let out = run(
        &ctx,
        &hush_bin(),
        &["encrypt", "--kms", &arn, "-i", "-r", "plain"],
        &relay.url,
        None,
    );
    expect_ok("hush encrypt -i -r", &out);
    let before = relay.count("TrentService.Decrypt");
    let out = run(
        &ctx,
        &hush_bin(),
        &["decrypt", "-r", "plain", "--output-dir", "out-own"],
        &relay.url,
        None,
    );
    expect_ok("hush decrypt -r own keys", &out);
    assert_eq!(
        relay.count("TrentService.Decrypt") - before,
        N,
        "one call per data key"
    );
    for i in 0..N {
        assert_eq!(
            ctx.read(&format!("out-own/g{i:02}.yaml")),
            format!("n: {i}\n")
        );
    }
}
