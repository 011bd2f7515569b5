//! `ENC[…]` values: the data key, AES-256-GCM with sops's 32-byte IV, and
//! the hush-only ChaCha20-Poly1305 variant.

use crate::error::{Error, Result};
use aes_gcm::aead::consts::{U12, U32};
use aes_gcm::aes::Aes256;
use aes_gcm::{AeadInOut, AesGcm, KeyInit};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chacha20poly1305::ChaCha20Poly1305;
use secrecy::{ExposeSecret, SecretBox};
use std::fmt;
use zeroize::Zeroizing;

/// The 32-byte data key that encrypts every value of a file.
///
/// It lives in a [`SecretBox`], so it is zeroed on drop and never printed.
/// The expanded AEAD key schedules are kept beside it (built once per file,
/// zeroed on drop as well).
pub struct DataKey {
    bytes: SecretBox<[u8; 32]>,
    aes: AesGcm<Aes256, U32>,
    chacha: ChaCha20Poly1305,
}

impl DataKey {
    /// A fresh random data key.
    pub fn generate() -> Result<Self> {
        let mut bytes = Box::new([0u8; 32]);
        fill_random(&mut bytes[..])?;
        Ok(Self::from_box(bytes))
    }

    /// Takes a data key from unwrapped bytes; they must be 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::corrupt(format!("data key has {} bytes, want 32", bytes.len())))?;
        Ok(Self::from_box(Box::new(arr)))
    }

    fn from_box(bytes: Box<[u8; 32]>) -> Self {
        let aes = AesGcm::<Aes256, U32>::new_from_slice(&bytes[..]).expect("32-byte key");
        let chacha = ChaCha20Poly1305::new_from_slice(&bytes[..]).expect("32-byte key");
        DataKey {
            bytes: SecretBox::new(bytes),
            aes,
            chacha,
        }
    }

    /// The raw key bytes.
    pub fn expose(&self) -> &[u8; 32] {
        self.bytes.expose_secret()
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey([REDACTED])")
    }
}

/// Fills `buf` from the system CSPRNG (ring).
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<()> {
    use ring::rand::SecureRandom;
    ring::rand::SystemRandom::new()
        .fill(buf)
        .map_err(|_| Error::Crypto("system random number generator failed".into()))
}

/// Which AEAD a value is sealed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Cipher {
    /// `AES256_GCM` with a 32-byte IV: what sops writes and reads.
    #[default]
    Aes256Gcm,
    /// `CHACHA20_POLY1305` with a 12-byte nonce: hush-only, sops refuses it.
    ChaCha20Poly1305,
}

impl Cipher {
    fn tag(self) -> &'static str {
        match self {
            Cipher::Aes256Gcm => "AES256_GCM",
            Cipher::ChaCha20Poly1305 => "CHACHA20_POLY1305",
        }
    }

    fn nonce_len(self) -> usize {
        match self {
            Cipher::Aes256Gcm => 32,
            Cipher::ChaCha20Poly1305 => 12,
        }
    }
}

/// The `type:` of an encrypted value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// `str`
    Str,
    /// `int`
    Int,
    /// `float`
    Float,
    /// `bool`
    Bool,
    /// `time` (RFC 3339)
    Time,
    /// `bytes` (read only)
    Bytes,
    /// `comment`
    Comment,
}

impl ValueType {
    /// The name written after `type:`.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::Str => "str",
            ValueType::Int => "int",
            ValueType::Float => "float",
            ValueType::Bool => "bool",
            ValueType::Time => "time",
            ValueType::Bytes => "bytes",
            ValueType::Comment => "comment",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "str" => ValueType::Str,
            "int" => ValueType::Int,
            "float" => ValueType::Float,
            "bool" => ValueType::Bool,
            "time" => ValueType::Time,
            "bytes" => ValueType::Bytes,
            "comment" => ValueType::Comment,
            _ => return None,
        })
    }
}

/// A parsed `ENC[CIPHER,data:…,iv:…,tag:…,type:…]` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncValue {
    /// The AEAD.
    pub cipher: Cipher,
    /// Ciphertext without the tag.
    pub data: Vec<u8>,
    /// The nonce.
    pub iv: Vec<u8>,
    /// The 16-byte tag.
    pub tag: Vec<u8>,
    /// The plaintext's type.
    pub vtype: ValueType,
}

impl EncValue {
    /// Whether `s` looks like an encrypted value (sops's test: the prefix).
    pub fn looks_encrypted(s: &str) -> bool {
        s.starts_with("ENC[")
    }

    /// Parses the text form as sops's regex does: text after the last `]` is ignored.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = |why: &str| Error::corrupt(format!("malformed ENC value: {why}"));
        let body = s
            .strip_prefix("ENC[")
            .ok_or_else(|| bad("missing ENC[ prefix"))?;
        let (cipher, rest) = if let Some(r) = body.strip_prefix("AES256_GCM,") {
            (Cipher::Aes256Gcm, r)
        } else if let Some(r) = body.strip_prefix("CHACHA20_POLY1305,") {
            (Cipher::ChaCha20Poly1305, r)
        } else {
            return Err(bad("unknown cipher"));
        };
        // sops's regex ends `type:(.+)\]` with a greedy group: the type runs
        // to the *last* `]`, so `type:str]]` or `type:str,x:y]` name an
        // unknown type and are refused, while text after that `]` is ignored.
        let end = rest.rfind(']').ok_or_else(|| bad("missing ]"))?;
        let mut fields = rest[..end].splitn(4, ',');
        let mut field = |name: &str| {
            let f = fields.next().and_then(|f| f.strip_prefix(name));
            f.ok_or_else(|| bad(&format!("missing {name}")))
        };
        let (data, iv, tag) = (field("data:")?, field("iv:")?, field("tag:")?);
        let vtype = ValueType::parse(field("type:")?)
            // sops 3.x panics on `bytes` when decrypting, so no file holds it.
            .filter(|t| *t != ValueType::Bytes)
            .ok_or_else(|| bad("unknown type"))?;
        let dec = |x: &str, what: &str| {
            B64.decode(x)
                .map_err(|_| bad(&format!("{what} is not base64")))
        };
        let v = EncValue {
            cipher,
            data: dec(data, "data")?,
            iv: dec(iv, "iv")?,
            tag: dec(tag, "tag")?,
            vtype,
        };
        if v.tag.len() != 16 {
            return Err(bad("tag is not 16 bytes"));
        }
        Ok(v)
    }

    /// Seals `plaintext` under `key` with `aad`. A given `iv` is reused
    /// (edits keep untouched values byte-identical); otherwise one is drawn.
    pub fn seal(
        cipher: Cipher,
        key: &DataKey,
        plaintext: &[u8],
        aad: &[u8],
        vtype: ValueType,
        iv: Option<&[u8]>,
    ) -> Result<Self> {
        let iv = match iv {
            Some(iv) if iv.len() == cipher.nonce_len() => iv.to_vec(),
            _ => {
                let mut iv = vec![0u8; cipher.nonce_len()];
                fill_random(&mut iv)?;
                iv
            }
        };
        let mut data = plaintext.to_vec();
        let tag = match cipher {
            Cipher::Aes256Gcm => {
                let c = &key.aes;
                let n = aes_gcm::Nonce::<U32>::try_from(&iv[..]).expect("32-byte iv");
                c.encrypt_inout_detached(&n, aad, (&mut data[..]).into())
                    .map(|t| t.to_vec())
            }
            Cipher::ChaCha20Poly1305 => {
                let c = &key.chacha;
                let n = chacha20poly1305::Nonce::try_from(&iv[..]).expect("12-byte nonce");
                c.encrypt_inout_detached(&n, aad, (&mut data[..]).into())
                    .map(|t| t.to_vec())
            }
        }
        .map_err(|_| Error::Unsupported("value too large to encrypt".into()))?;
        Ok(EncValue {
            cipher,
            data,
            iv,
            tag,
            vtype,
        })
    }

    /// Opens the value; `None` if authentication fails (wrong key, AAD or data).
    pub fn open(&self, key: &DataKey, aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let mut buf = Zeroizing::new(self.data.clone());
        let ok = match (self.cipher, self.iv.len()) {
            (Cipher::Aes256Gcm, 32) => {
                let c = &key.aes;
                let n = aes_gcm::Nonce::<U32>::try_from(&self.iv[..]).ok()?;
                let t = aes_gcm::Tag::try_from(&self.tag[..]).ok()?;
                c.decrypt_inout_detached(&n, aad, (&mut buf[..]).into(), &t)
                    .is_ok()
            }
            (Cipher::Aes256Gcm, 12) => {
                let c = AesGcm::<Aes256, U12>::new_from_slice(key.expose()).ok()?;
                let n = aes_gcm::Nonce::<U12>::try_from(&self.iv[..]).ok()?;
                let t = aes_gcm::Tag::try_from(&self.tag[..]).ok()?;
                c.decrypt_inout_detached(&n, aad, (&mut buf[..]).into(), &t)
                    .is_ok()
            }
            (Cipher::ChaCha20Poly1305, 12) => {
                let c = &key.chacha;
                let n = chacha20poly1305::Nonce::try_from(&self.iv[..]).ok()?;
                let t = chacha20poly1305::Tag::try_from(&self.tag[..]).ok()?;
                c.decrypt_inout_detached(&n, aad, (&mut buf[..]).into(), &t)
                    .is_ok()
            }
            _ => false,
        };
        ok.then_some(buf)
    }
}

impl fmt::Display for EncValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ENC[{},data:{},iv:{},tag:{},type:{}]",
            self.cipher.tag(),
            B64.encode(&self.data),
            B64.encode(&self.iv),
            B64.encode(&self.tag),
            self.vtype.as_str()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sops_upstream_vector_decrypts_only_with_its_aad() {
        // getsops/sops aes/cipher_test.go TestDecrypt.
        let key = DataKey::from_slice(&[b'f'; 32]).unwrap();
        let v = EncValue::parse("ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Z023Up0kxwCgw1gNxg==,type:str]").unwrap();
        assert_eq!(&v.open(&key, b"bar:").unwrap()[..], b"foo");
        assert!(v.open(&key, b"").is_none());
    }

    #[test]
    fn seal_then_open_round_trips_for_both_ciphers() {
        let key = DataKey::generate().unwrap();
        for c in [Cipher::Aes256Gcm, Cipher::ChaCha20Poly1305] {
            let v = EncValue::seal(c, &key, b"hello", b"a:b:", ValueType::Str, None).unwrap();
            let text = v.to_string();
            let back = EncValue::parse(&text).unwrap();
            assert_eq!(back, v);
            assert_eq!(&back.open(&key, b"a:b:").unwrap()[..], b"hello");
            assert!(back.open(&key, b"a:").is_none());
        }
    }

    #[test]
    fn a_given_iv_makes_sealing_deterministic() {
        let key = DataKey::generate().unwrap();
        let a = EncValue::seal(Cipher::Aes256Gcm, &key, b"x", b"k:", ValueType::Str, None).unwrap();
        let b = EncValue::seal(
            Cipher::Aes256Gcm,
            &key,
            b"x",
            b"k:",
            ValueType::Str,
            Some(&a.iv),
        )
        .unwrap();
        assert_eq!(a.to_string(), b.to_string());
    }

    #[test]
    fn debug_of_a_data_key_hides_the_bytes() {
        let key = DataKey::from_slice(&[7u8; 32]).unwrap();
        assert_eq!(format!("{key:?}"), "DataKey([REDACTED])");
    }

    #[test]
    fn trailers_sops_refuses_are_refused() {
        let good = "ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Z023Up0kxwCgw1gNxg==,type:str]";
        assert!(EncValue::parse(good).is_ok());
        // Text after the last `]` is ignored, as by sops's unanchored regex.
        assert!(EncValue::parse(&format!("{good}junk")).is_ok());
        let body = good.strip_suffix("str]").unwrap();
        for t in [
            "str]]",
            "str,foo:bar]",
            "str,type:int]",
            "str,x]",
            "str]x]",
            "bytes]",
        ] {
            assert!(EncValue::parse(&format!("{body}{t}")).is_err(), "{t}");
        }
    }
}
