//! The PGP provider: the data key is wrapped with `gpg --encrypt` and
//! unwrapped with `gpg --decrypt`, running the `gpg` binary exactly as sops
//! does (`SOPS_GPG_EXEC` names another one). The user's `GNUPGHOME`,
//! gpg-agent, pinentry and smartcards therefore work unchanged, and hush
//! holds no OpenPGP key material itself.
//!
//! gpg's machine-readable status lines (`--status-fd`) say why it failed,
//! so each failure gets a reason a user can act on: gpg missing, no public
//! or secret key, a locked key, a revoked or expired key.

use super::{BoxFuture, MasterKey, Unwrapper};
use crate::error::{Error, Result};
use crate::metadata::{KeyEntry, PgpEntry};
use secrecy::SecretSlice;
use std::ffi::OsString;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::str::FromStr;

/// The environment variable that names the gpg binary, as in sops.
pub const GPG_EXEC_ENV: &str = "SOPS_GPG_EXEC";

fn err(reason: impl Into<String>) -> Error {
    Error::Key {
        provider: "pgp",
        reason: reason.into(),
    }
}

/// A PGP key named by its full fingerprint, as in `--pgp` or `.sops.yaml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgpKey {
    fp: String,
}

impl FromStr for PgpKey {
    type Err = Error;

    /// Spaces are removed, as sops does; case and a trailing `!` (use
    /// exactly this subkey) are kept. Short and long key IDs are refused:
    /// they can collide, and sops would wrap the data key for whichever
    /// key gpg picks.
    fn from_str(s: &str) -> Result<Self> {
        let fp: String = s.chars().filter(|c| *c != ' ').collect();
        let hex = fp.strip_suffix('!').unwrap_or(&fp);
        let hex = hex
            .strip_prefix("0x")
            .or_else(|| hex.strip_prefix("0X"))
            .unwrap_or(hex);
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err(format!(
                "`{fp}` is not a PGP fingerprint (expected 40 hex digits, from `gpg --fingerprint`)"
            )));
        }
        if hex.len() < 40 {
            return Err(err(format!(
                "`{fp}` is a short key ID, not a fingerprint: key IDs can collide; \
                 give the full 40-hex-digit fingerprint (`gpg --fingerprint {fp}`)"
            )));
        }
        if hex.len() != 40 && hex.len() != 64 {
            return Err(err(format!(
                "`{fp}` is not a PGP fingerprint (expected 40 or 64 hex digits)"
            )));
        }
        Ok(PgpKey { fp })
    }
}

impl PgpKey {
    /// The fingerprint as it is written to the metadata.
    pub fn fingerprint(&self) -> &str {
        &self.fp
    }

    fn wrap_sync(&self, key: &[u8]) -> Result<KeyEntry> {
        let fail = |reason: String| err(format!("{}: {reason}", self.fp));
        // sops's arguments, plus --batch (encryption never needs a prompt)
        // and status lines to explain a failure.
        let args = [
            "--batch",
            "--status-fd",
            "2",
            "--no-default-recipient",
            "--yes",
            "--encrypt",
            "-a",
            "-r",
            &self.fp,
            "--trusted-key",
            short_id(&self.fp),
            "--no-encrypt-to",
        ];
        let out = gpg(&args, key).map_err(fail)?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(fail(encrypt_failure(&stderr, validity(&self.fp))));
        }
        let enc = String::from_utf8(out.stdout)
            .map_err(|_| fail("gpg wrote armor that is not UTF-8".into()))?;
        Ok(KeyEntry::Pgp(PgpEntry {
            fp: self.fp.clone(),
            enc: enc.trim().to_string(),
            created_at: crate::time::now_rfc3339(),
        }))
    }
}

impl MasterKey for PgpKey {
    fn describe(&self) -> String {
        self.fp.clone()
    }

    fn kind(&self) -> &'static str {
        "pgp"
    }

    fn wrap<'a>(&'a self, key: &'a [u8]) -> BoxFuture<'a, Result<KeyEntry>> {
        Box::pin(async move { self.wrap_sync(key) })
    }
}

/// Unwraps `pgp` entries with `gpg --decrypt`: the keyring, agent and
/// pinentry are the user's own.
#[derive(Debug, Default)]
pub struct PgpUnwrapper;

impl Unwrapper for PgpUnwrapper {
    fn unwrap<'a>(&'a self, entry: &'a KeyEntry) -> BoxFuture<'a, Option<Result<SecretSlice<u8>>>> {
        Box::pin(async move {
            let KeyEntry::Pgp(p) = entry else { return None };
            Some(unwrap_sync(p))
        })
    }
}

/// Errors name no fingerprint: the caller's report does.
fn unwrap_sync(p: &PgpEntry) -> Result<SecretSlice<u8>> {
    // As sops: `gpg -d`, so pinentry may ask for a passphrase.
    let out = gpg(&["--status-fd", "2", "-d"], p.enc.as_bytes()).map_err(err)?;
    if !out.status.success() {
        return Err(err(decrypt_failure(&String::from_utf8_lossy(&out.stderr))));
    }
    if out.stdout.is_empty() {
        // An old gpg drops AEAD packets it cannot read and succeeds.
        return Err(err(
            "gpg returned no data (is it older than the one that encrypted?)",
        ));
    }
    Ok(SecretSlice::from(out.stdout))
}

/// The gpg binary: `SOPS_GPG_EXEC`, else `gpg` on the PATH.
fn gpg_binary() -> OsString {
    std::env::var_os(GPG_EXEC_ENV)
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "gpg".into())
}

/// Runs gpg with `input` on stdin (a pipe, never a file).
fn gpg(args: &[&str], input: &[u8]) -> std::result::Result<Output, String> {
    let bin = gpg_binary();
    let name = bin.to_string_lossy().into_owned();
    let mut child = Command::new(&bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "gpg not found (`{name}`): install GnuPG, or set {GPG_EXEC_ENV} to its path"
            ),
            _ => format!("cannot run `{name}`: {e}"),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // gpg may exit before reading (a bad key); its status says why.
        let _ = stdin.write_all(input);
    }
    child
        .wait_with_output()
        .map_err(|e| format!("`{name}` failed: {e}"))
}

/// The last 16 hex digits (and a trailing `!`), as sops passes to
/// `--trusted-key`.
fn short_id(fp: &str) -> &str {
    let keep = if fp.ends_with('!') { 17 } else { 16 };
    &fp[fp.len().saturating_sub(keep)..]
}

/// gpg's status lines (`[GNUPG:] KEYWORD args`).
fn status(stderr: &str) -> impl Iterator<Item = (&str, &str)> {
    stderr.lines().filter_map(|l| {
        let rest = l.strip_prefix("[GNUPG:] ")?;
        Some(rest.split_once(' ').unwrap_or((rest, "")))
    })
}

/// The last human-readable gpg message, for failures it gives no status for.
fn last_message(stderr: &str) -> String {
    stderr
        .lines()
        .rev()
        .find(|l| !l.starts_with("[GNUPG:]") && !l.trim().is_empty())
        .map(|l| l.trim().trim_start_matches("gpg: ").to_string())
        .unwrap_or_else(|| "gpg failed".into())
}

/// The key's validity letter from `gpg --list-keys --with-colons` (`r`
/// revoked, `e` expired, `d` disabled, …); gpg's encrypt status does not
/// say why a key is unusable.
fn validity(fp: &str) -> Option<char> {
    let out = gpg(&["--batch", "--with-colons", "--list-keys", fp], b"").ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("pub:"))?;
    line.split(':').nth(1)?.chars().next()
}

/// Why `gpg --encrypt` failed; `validity` is the key's validity letter.
fn encrypt_failure(stderr: &str, validity: Option<char>) -> String {
    match validity {
        Some('r') => return "the key is revoked: ask its owner for a current key".into(),
        Some('e') => return EXPIRED.into(),
        Some('d') => return "the key is disabled in the gpg keyring".into(),
        _ => {}
    }
    if status(stderr).any(|(kw, _)| kw == "KEYEXPIRED") {
        return EXPIRED.into();
    }
    for (kw, args) in status(stderr) {
        if kw == "INV_RECP" || kw == "INV_SGNR" {
            let code = args.split(' ').next().unwrap_or("");
            return match code {
                "1" => "no public key with this fingerprint in the gpg keyring (import it with `gpg --import`)".into(),
                "4" => "the key is revoked: ask its owner for a current key".into(),
                "5" => EXPIRED.into(),
                "3" => "the key has no encryption subkey".into(),
                "2" => "the fingerprint matches more than one key".into(),
                "13" => "the key is disabled in the gpg keyring".into(),
                _ => format!("gpg cannot encrypt to this key ({})", last_message(stderr)),
            };
        }
    }
    last_message(stderr)
}

const EXPIRED: &str =
    "the key (or its encryption subkey) is expired: its owner must extend it (`gpg --quick-set-expire`) or give a new one";

/// Why `gpg --decrypt` failed.
fn decrypt_failure(stderr: &str) -> String {
    let lines: Vec<(&str, &str)> = status(stderr).collect();
    let has = |k: &str| lines.iter().any(|(kw, _)| *kw == k);
    let lower = stderr.to_ascii_lowercase();
    let locked = has("PINENTRY_LAUNCHED")
        || has("BAD_PASSPHRASE")
        || has("MISSING_PASSPHRASE")
        || [
            "operation cancelled",
            "no pinentry",
            "bad passphrase",
            "inappropriate ioctl",
        ]
        .iter()
        .any(|m| lower.contains(m));
    if locked {
        return "the secret key is locked and gpg-agent could not get its passphrase \
                (pinentry failed or was cancelled; unlock it in gpg-agent first)"
            .into();
    }
    if has("NO_SECKEY") {
        let ids: Vec<&str> = lines
            .iter()
            .filter(|(kw, _)| *kw == "NO_SECKEY")
            .map(|(_, a)| a.trim())
            .collect();
        return format!(
            "no secret key for it in the gpg keyring (encrypted to key ID {}; \
             is GNUPGHOME right, or the smartcard inserted?)",
            ids.join(", ")
        );
    }
    if lower.contains("no agent running") || lower.contains("can't connect to the agent") {
        return "gpg cannot reach gpg-agent".into();
    }
    last_message(stderr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_like_sops_and_key_ids_are_refused() {
        let k: PgpKey = "6C3B B7CC ACC9 4545 07A2  1239 8503 DFE8 5193 F53A"
            .parse()
            .unwrap();
        assert_eq!(k.fingerprint(), "6C3BB7CCACC9454507A212398503DFE85193F53A");
        let lower: PgpKey = "6c3bb7ccacc9454507a212398503dfe85193f53a!".parse().unwrap();
        assert_eq!(
            lower.fingerprint(),
            "6c3bb7ccacc9454507a212398503dfe85193f53a!"
        );
        assert_eq!(short_id(lower.fingerprint()), "8503dfe85193f53a!");
        assert_eq!(short_id(k.fingerprint()), "8503DFE85193F53A");
        for bad in ["8503DFE85193F53A", "5193F53A", "0x5193F53A", "", "xyz"] {
            assert!(bad.parse::<PgpKey>().is_err(), "{bad}");
        }
        let msg = "5193F53A".parse::<PgpKey>().unwrap_err().to_string();
        assert!(msg.contains("short key ID"), "{msg}");
    }

    #[test]
    fn gpg_status_lines_become_reasons() {
        let revoked = "gpg: FP: skipped: Unusable public key\n[GNUPG:] INV_RECP 4 FP\n[GNUPG:] FAILURE encrypt 53\n";
        assert!(encrypt_failure(revoked, Some('r')).contains("revoked"));
        assert!(encrypt_failure(revoked, Some('e')).contains("expired"));
        let expired = "[GNUPG:] KEYEXPIRED 1577923200\n[GNUPG:] INV_RECP 0 FP\n";
        assert!(encrypt_failure(expired, Some('u')).contains("expired"));
        assert!(encrypt_failure("[GNUPG:] INV_RECP 1 FP\n", None).contains("no public key"));
        let no_sec = "[GNUPG:] ENC_TO 0123456789ABCDEF 18 0\n[GNUPG:] NO_SECKEY 0123456789ABCDEF\ngpg: decryption failed: No secret key\n";
        assert!(decrypt_failure(no_sec).contains("no secret key"));
        assert!(decrypt_failure(no_sec).contains("0123456789ABCDEF"));
        let locked = "[GNUPG:] PINENTRY_LAUNCHED 1 curses\ngpg: public key decryption failed: Operation cancelled\n";
        assert!(decrypt_failure(locked).contains("locked"));
        assert_eq!(decrypt_failure("gpg: something odd\n"), "something odd");
    }
}
