//! Throwaway GNUPGHOME keyrings for the PGP tests (sops runs the same gpg).

use std::path::Path;
use std::process::{Command, Stdio};

/// A private GNUPGHOME; its agent is killed on drop.
pub struct Keyring {
    home: tempfile::TempDir,
}

impl Keyring {
    /// A new, empty keyring in a 0700 directory under /tmp (short, for
    /// the agent's socket path).
    pub fn new() -> Keyring {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::Builder::new()
            .prefix("hg")
            .tempdir_in("/tmp")
            .unwrap();
        std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        Keyring { home }
    }

    /// The GNUPGHOME.
    pub fn path(&self) -> &Path {
        self.home.path()
    }

    /// Runs gpg on this keyring; panics unless it succeeds. Returns stdout.
    pub fn gpg(&self, args: &[&str], stdin: &[u8]) -> String {
        use std::io::Write;
        let mut child = Command::new("gpg")
            .env("GNUPGHOME", self.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run gpg ({e}); run ./scripts/test, which installs gnupg")
            });
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A new ed25519/cv25519 key; returns its fingerprint.
    pub fn generate(&self, email: &str, extra: &[&str]) -> String {
        let uid = format!("Test <{email}>");
        let mut args = vec!["--batch", "--pinentry-mode", "loopback"];
        args.extend_from_slice(extra);
        if !extra.contains(&"--passphrase") {
            args.extend(["--passphrase", ""]);
        }
        let expiry = if extra.contains(&"--faked-system-time") {
            "1d"
        } else {
            "never"
        };
        args.extend(["--quick-gen-key", &uid, "future-default", "default", expiry]);
        self.gpg(&args, b"");
        self.fingerprint(email)
    }

    /// The fingerprint of `email`'s key.
    pub fn fingerprint(&self, email: &str) -> String {
        let out = self.gpg(&["--batch", "--with-colons", "--list-keys", email], b"");
        out.lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|l| l.split(':').find(|f| f.len() == 40))
            .unwrap_or_else(|| panic!("no fingerprint for {email}:\n{out}"))
            .to_string()
    }

    /// Imports `fp`'s public key from `from`.
    pub fn import_public(&self, from: &Keyring, fp: &str) {
        let armor = from.gpg(&["--batch", "--armor", "--export", fp], b"");
        self.gpg(&["--batch", "--import"], armor.as_bytes());
    }

    /// Imports the revocation certificate gpg made at generation.
    pub fn revoke(&self, fp: &str) {
        let rev = std::fs::read_to_string(self.path().join(format!("openpgp-revocs.d/{fp}.rev")))
            .unwrap();
        let rev = rev.replace(":-----BEGIN", "-----BEGIN");
        self.gpg(&["--batch", "--import"], rev.as_bytes());
    }

    /// Makes every passphrase prompt fail, as with no usable pinentry.
    pub fn lock(&self) {
        self.kill_agent();
        std::fs::write(
            self.path().join("gpg-agent.conf"),
            "pinentry-program /bin/false\n",
        )
        .unwrap();
    }

    /// Stops this keyring's gpg-agent.
    pub fn kill_agent(&self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.path())
            .args(["--kill", "all"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// `GNUPGHOME` for a child process's environment.
    pub fn env(&self) -> (&'static str, &str) {
        ("GNUPGHOME", self.path().to_str().unwrap())
    }
}

impl Default for Keyring {
    fn default() -> Self {
        Keyring::new()
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        self.kill_agent();
    }
}
