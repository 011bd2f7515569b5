//! The age provider: X25519 (`age1…`), SSH (`ssh-ed25519`, `ssh-rsa`) and
//! plugin recipients, and identities from every place sops looks.
//!
//! Each recipient gets its own armored age file holding the data key, as
//! sops writes it.

use super::{BoxFuture, MasterKey, Unwrapper};
use crate::error::{Error, Result};
use crate::metadata::{AgeEntry, KeyEntry};
use secrecy::SecretSlice;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

fn err(reason: impl Into<String>) -> Error {
    Error::Key {
        provider: "age",
        reason: reason.into(),
    }
}

/// An age recipient, as written in `--age` or `.sops.yaml`.
pub struct Recipient {
    text: String,
    inner: Box<dyn age::Recipient + Send + Sync>,
}

/// Why an SSH public key is not a recipient, in words (the age error has
/// no `Display`).
fn ssh_reason(e: &age::ssh::ParseRecipientKeyError) -> String {
    use age::ssh::ParseRecipientKeyError as E;
    match e {
        E::Ignore => "this SSH key type is not an age recipient".into(),
        E::Invalid(why) => (*why).to_string(),
        E::RsaModulusTooLarge => "the RSA modulus is larger than age supports".into(),
        E::RsaModulusTooSmall => "the RSA key is weaker than 2048 bits".into(),
        E::Unsupported(kind) => format!("unsupported SSH key type {kind}"),
        _ => "not a valid SSH public key".into(),
    }
}

impl FromStr for Recipient {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let text = s.trim().to_string();
        let inner: Box<dyn age::Recipient + Send + Sync> = if text.starts_with("ssh-") {
            Box::new(age::ssh::Recipient::from_str(&text).map_err(|e| {
                err(format!(
                    "invalid SSH recipient `{text}`: {}",
                    ssh_reason(&e)
                ))
            })?)
        } else if let Ok(r) = age::x25519::Recipient::from_str(&text) {
            Box::new(r)
        } else if let Ok(r) = age::plugin::Recipient::from_str(&text) {
            let name = r.plugin().to_string();
            Box::new(
                age::plugin::RecipientPluginV1::new(&name, &[r], &[], age::NoCallbacks)
                    .map_err(|e| err(format!("plugin age-plugin-{name}: {e}")))?,
            )
        } else {
            return Err(err(format!(
                "invalid recipient `{text}`: expected age1…, ssh-ed25519 or ssh-rsa"
            )));
        };
        Ok(Recipient { text, inner })
    }
}

impl Recipient {
    /// The recipient as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn wrap_sync(&self, key: &[u8]) -> Result<KeyEntry> {
        let enc =
            age::Encryptor::with_recipients(std::iter::once(&*self.inner as &dyn age::Recipient))
                .map_err(|e| err(format!("{}: {e}", self.text)))?;
        let mut out = Vec::new();
        let armor =
            age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
                .map_err(|e| err(e.to_string()))?;
        let mut w = enc.wrap_output(armor).map_err(|e| err(e.to_string()))?;
        w.write_all(key).map_err(|e| err(e.to_string()))?;
        w.finish()
            .and_then(|a| a.finish())
            .map_err(|e| err(e.to_string()))?;
        let enc = String::from_utf8(out).map_err(|_| err("armor is not UTF-8"))?;
        Ok(KeyEntry::Age(AgeEntry {
            recipient: self.text.clone(),
            enc,
        }))
    }
}

impl MasterKey for Recipient {
    fn describe(&self) -> String {
        self.text.clone()
    }

    fn kind(&self) -> &'static str {
        "age"
    }

    fn wrap<'a>(&'a self, key: &'a [u8]) -> BoxFuture<'a, Result<KeyEntry>> {
        Box::pin(async move { self.wrap_sync(key) })
    }
}

/// The age identities available to decrypt.
#[derive(Default)]
pub struct Identities {
    ids: Vec<Box<dyn age::Identity + Send + Sync>>,
    /// Where each batch came from, for messages.
    sources: Vec<String>,
    /// Sources that could not be read (named in a failure to unwrap).
    failed: Vec<String>,
}

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Identities({} keys from {:?})",
            self.ids.len(),
            self.sources
        )
    }
}

impl Identities {
    /// How many identities are loaded.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether none are loaded.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Adds identities from an age identity file's text (age secret-key
    /// lines, comments, plugin identities) or from an SSH private key.
    pub fn add_text(&mut self, text: &[u8], source: &str) -> Result<()> {
        let looks_ssh = text.windows(11).take(64).any(|w| w == b"-----BEGIN ");
        if looks_ssh {
            let id =
                age::ssh::Identity::from_buffer(BufReader::new(text), Some(source.to_string()))
                    .map_err(|e| err(format!("{source}: {e}")))?;
            if let age::ssh::Identity::Unsupported(_) = id {
                return Err(err(format!("{source}: unsupported SSH key type")));
            }
            self.ids.push(Box::new(id.with_callbacks(age::NoCallbacks)));
        } else {
            let file = age::IdentityFile::from_buffer(BufReader::new(text))
                .map_err(|_| err(format!("{source}: not a valid age identity file")))?;
            let ids = file
                .into_identities()
                .map_err(|e| err(format!("{source}: {e}")))?;
            self.ids.extend(ids);
        }
        self.sources.push(source.to_string());
        Ok(())
    }

    /// Adds identities from a file.
    pub fn add_file(&mut self, path: &Path) -> Result<()> {
        let mut buf = zeroize::Zeroizing::new(Vec::new());
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut buf))
            .map_err(|e| err(format!("cannot read identity file {}: {e}", path.display())))?;
        self.add_text(&buf, &path.display().to_string())
    }

    /// Loads identities the way sops does, all sources together:
    /// `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, the default
    /// `keys.txt`, `SOPS_AGE_SSH_PRIVATE_KEY_FILE`, then `~/.ssh/id_ed25519`
    /// and `~/.ssh/id_rsa`. Missing default files are skipped silently;
    /// explicitly named ones that fail are errors.
    pub fn from_env() -> Result<Self> {
        let mut ids = Identities::default();
        let mut failed: Vec<String> = Vec::new();
        let mut keep = |r: Result<()>| {
            if let Err(e) = r {
                failed.push(e.to_string());
            }
        };
        if let Some(k) = std::env::var_os("SOPS_AGE_KEY").filter(|v| !v.is_empty()) {
            keep(ids.add_text(k.as_encoded_bytes(), "SOPS_AGE_KEY"));
        }
        if let Some(p) = std::env::var_os("SOPS_AGE_KEY_FILE").filter(|v| !v.is_empty()) {
            keep(ids.add_file(Path::new(&p)));
        }
        if let Some(cmd) = std::env::var_os("SOPS_AGE_KEY_CMD").filter(|v| !v.is_empty()) {
            keep(
                run_key_cmd(&cmd.to_string_lossy())
                    .and_then(|out| ids.add_text(&out, "SOPS_AGE_KEY_CMD")),
            );
        }
        if let Some(p) = default_key_file().filter(|p| p.is_file()) {
            keep(ids.add_file(&p));
        }
        if let Some(p) = std::env::var_os("SOPS_AGE_SSH_PRIVATE_KEY_FILE").filter(|v| !v.is_empty())
        {
            keep(ids.add_file(Path::new(&p)));
        } else if let Some(home) = std::env::var_os("HOME") {
            for name in ["id_ed25519", "id_rsa"] {
                let p = Path::new(&home).join(".ssh").join(name);
                if p.is_file() {
                    // An encrypted or odd key in ~/.ssh must not block other keys.
                    let _ = ids.add_file(&p);
                }
            }
        }
        // As sops: a source that fails does not stop the others; it is an
        // error only when no source gave an identity.
        if ids.is_empty() && !failed.is_empty() {
            return Err(err(failed.join("; ")));
        }
        ids.failed = failed;
        Ok(ids)
    }
}

/// `$XDG_CONFIG_HOME/sops/age/keys.txt`, else the platform config dir.
pub fn default_key_file() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(x) => PathBuf::from(x),
        None => {
            let home = PathBuf::from(std::env::var_os("HOME")?);
            if cfg!(target_os = "macos") {
                home.join("Library/Application Support")
            } else {
                home.join(".config")
            }
        }
    };
    Some(base.join("sops/age/keys.txt"))
}

fn run_key_cmd(cmd: &str) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    let words = shell_words(cmd);
    let (prog, args) = words
        .split_first()
        .ok_or_else(|| err("SOPS_AGE_KEY_CMD is empty"))?;
    let out = std::process::Command::new(prog)
        .args(args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| err(format!("SOPS_AGE_KEY_CMD: cannot run {prog}: {e}")))?;
    if !out.status.success() {
        return Err(err(format!("SOPS_AGE_KEY_CMD exited with {}", out.status)));
    }
    Ok(zeroize::Zeroizing::new(out.stdout))
}

/// Splits a command line like a POSIX shell would (quotes and backslashes).
pub fn shell_words(s: &str) -> Vec<String> {
    let (mut words, mut cur, mut any) = (Vec::new(), String::new(), false);
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                any = true;
                cur.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                any = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => cur.extend(chars.next()),
                        c => cur.push(c),
                    }
                }
            }
            '\\' => {
                any = true;
                cur.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        words.push(cur);
    }
    words
}

impl Unwrapper for Identities {
    fn unwrap<'a>(&'a self, entry: &'a KeyEntry) -> BoxFuture<'a, Option<Result<SecretSlice<u8>>>> {
        Box::pin(async move {
            let KeyEntry::Age(a) = entry else { return None };
            Some(self.unwrap_age(a))
        })
    }
}

impl Identities {
    /// The sources that failed to load, for a message.
    fn failed_note(&self) -> String {
        match self.failed.is_empty() {
            true => String::new(),
            false => format!(" (unreadable: {})", self.failed.join("; ")),
        }
    }

    /// Errors name no recipient: the caller's report does.
    fn unwrap_age(&self, a: &AgeEntry) -> Result<SecretSlice<u8>> {
        if self.ids.is_empty() {
            return Err(err(
                "no age identity found (looked in SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, \
                 the default keys.txt, SSH keys and --identity)",
            ));
        }
        let armored = age::armor::ArmoredReader::new(a.enc.as_bytes());
        let dec = age::Decryptor::new(armored).map_err(|e| err(format!("malformed enc: {e}")))?;
        let mut reader = dec
            .decrypt(self.ids.iter().map(|i| &**i as &dyn age::Identity))
            .map_err(|e| match e {
                age::DecryptError::NoMatchingKeys => err(format!(
                    "none of the {} loaded age identities matches{}",
                    self.ids.len(),
                    self.failed_note()
                )),
                e => err(e.to_string()),
            })?;
        let mut key = zeroize::Zeroizing::new(Vec::new());
        reader
            .read_to_end(&mut key)
            .map_err(|e| err(e.to_string()))?;
        Ok(SecretSlice::from(key.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_ssh_recipient_is_explained_in_words_not_debug_output() {
        for key in ["ssh-ed25519 not-base64", "ssh-dss AAAAB3NzaC1kc3MAAAABAA=="] {
            let e = key.parse::<Recipient>().err().expect("refused").to_string();
            assert!(e.contains("invalid SSH recipient"), "{e}");
            assert!(
                !e.contains("Invalid(") && !e.contains("Unsupported("),
                "{e}"
            );
        }
    }

    #[test]
    fn wrap_then_unwrap_round_trips() {
        let id = age::x25519::Identity::generate();
        let r: Recipient = id.to_public().to_string().parse().unwrap();
        let entry = crate::block_on(r.wrap(b"0123456789abcdef0123456789abcdef")).unwrap();
        let mut ids = Identities::default();
        use secrecy::ExposeSecret;
        ids.add_text(id.to_string().expose_secret().as_bytes(), "t")
            .unwrap();
        let k = crate::block_on(ids.unwrap(&entry)).unwrap().unwrap();
        assert_eq!(k.expose_secret(), b"0123456789abcdef0123456789abcdef");
    }

    #[test]
    fn shell_words_split_like_a_shell() {
        assert_eq!(
            shell_words(r#"a 'b c' "d\"e" f\ g"#),
            vec!["a", "b c", "d\"e", "f g"]
        );
    }
}
