//! The AWS KMS provider: the data key is wrapped with KMS `Encrypt` and
//! unwrapped with `Decrypt`, passing the encryption context, exactly as
//! sops does. Credentials come from the standard AWS chain (env, profile,
//! SSO, web identity, ECS/EC2), `AWS_ENDPOINT_URL` is honoured, and a role
//! is assumed through STS when the key names one.
//!
//! Everything here is async on the caller's runtime; nothing builds one.

use super::{BoxFuture, MasterKey, Unwrapper};
use crate::error::{Error, Result};
use crate::metadata::{KeyEntry, KmsEntry};
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use secrecy::SecretSlice;
use std::collections::HashMap;
use std::str::FromStr;

fn err(what: &str, reason: impl std::fmt::Display) -> Error {
    Error::Key {
        provider: "kms",
        reason: format!("{what}: {reason}"),
    }
}

/// A KMS key as written on the command line (`ARN` or `ARN+ROLE_ARN`) or
/// in `.sops.yaml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KmsKey {
    /// The key ARN.
    pub arn: String,
    /// A role to assume first.
    pub role: Option<String>,
    /// The encryption context.
    pub context: Vec<(String, String)>,
    /// An AWS profile; `None` for the default chain.
    pub aws_profile: Option<String>,
}

impl FromStr for KmsKey {
    type Err = Error;

    /// Parses `ARN` or sops's `ARN+ROLE_ARN` (spaces are ignored).
    fn from_str(s: &str) -> Result<Self> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let (arn, role) = match s.find("+arn:") {
            Some(i) if i > 0 => (s[..i].to_string(), Some(s[i + 1..].to_string())),
            _ => (s, None),
        };
        region_of(&arn)?;
        Ok(KmsKey {
            arn,
            role,
            context: Vec::new(),
            aws_profile: None,
        })
    }
}

/// Parses sops's `--encryption-context k:v,k2:v2`.
pub fn parse_context(s: &str) -> Result<Vec<(String, String)>> {
    s.split(',')
        .filter(|kv| !kv.trim().is_empty())
        .map(|kv| match kv.split_once(':') {
            Some((k, v)) if !k.is_empty() && !v.contains(':') => Ok((k.to_string(), v.to_string())),
            _ => Err(Error::Key {
                provider: "kms",
                reason: format!("invalid encryption context pair `{kv}`: expected key:value"),
            }),
        })
        .collect()
}

/// The region of a KMS ARN (`arn:aws:kms:REGION:ACCOUNT:key/…`).
pub fn region_of(arn: &str) -> Result<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "kms"
        && !parts[3].is_empty()
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && (parts[5].starts_with("key/") || parts[5].starts_with("alias/"));
    if ok {
        Ok(parts[3].to_string())
    } else {
        Err(err(arn, "not a valid KMS key ARN"))
    }
}

/// `sops@<hostname>`, the STS session name sops uses.
fn session_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let clean: String = host
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "=,.@_-".contains(*c))
        .collect();
    format!("sops@{clean}").chars().take(64).collect()
}

/// A KMS client for one region, profile and role.
async fn client(
    arn: &str,
    profile: Option<&str>,
    role: Option<&str>,
) -> Result<aws_sdk_kms::Client> {
    let region = region_of(arn)?;
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region));
    if let Some(p) = profile.filter(|p| !p.is_empty()) {
        loader = loader.profile_name(p);
    }
    let conf = loader.load().await;
    let mut builder = aws_sdk_kms::config::Builder::from(&conf);
    if let Some(role) = role {
        let provider = aws_config::sts::AssumeRoleProvider::builder(role)
            .session_name(session_name())
            .configure(&conf)
            .build()
            .await;
        builder = builder.credentials_provider(provider);
    }
    Ok(aws_sdk_kms::Client::from_conf(builder.build()))
}

/// Marks of the error codes of KMS failures that may pass by themselves:
/// throttling, a service-side failure or timeout.
const TRANSIENT_CODES: [&str; 8] = [
    "Throttling",
    "LimitExceeded",
    "TooManyRequests",
    "KMSInternal",
    "DependencyTimeout",
    "InternalFailure",
    "ServiceUnavailable",
    "RequestTimeout",
];

/// A failed KMS call as an error: [`Error::KeyTransient`] when it may pass
/// by itself (unreachable, timed out, throttled, a service-side failure),
/// else [`Error::Key`]; `what` (an ARN) prefixes the reason when given.
fn call_error<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    what: Option<&str>,
    e: &SdkError<E, R>,
) -> Error {
    let transient = match e {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => true,
        SdkError::ConstructionFailure(_) => false,
        _ => e
            .code()
            .is_some_and(|c| TRANSIENT_CODES.iter().any(|t| c.contains(t))),
    };
    let reason = match what {
        Some(what) => format!("{what}: {}", explain(e)),
        None => explain(e),
    };
    match transient {
        true => Error::KeyTransient {
            provider: "kms",
            reason,
        },
        false => Error::Key {
            provider: "kms",
            reason,
        },
    }
}

/// Why a KMS call failed, in words a user can act on.
fn explain<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    e: &SdkError<E, R>,
) -> String {
    match e {
        SdkError::DispatchFailure(_) => "KMS unreachable (could not connect)".into(),
        SdkError::TimeoutError(_) => "KMS timed out".into(),
        SdkError::ConstructionFailure(_) => {
            "could not build the request (are AWS credentials available?)".into()
        }
        _ => {
            let code = e.code().unwrap_or("error");
            let hint = match code {
                "InvalidCiphertextException" => {
                    "wrong encryption context, or not this key's ciphertext"
                }
                "AccessDeniedException" | "AccessDenied" => "access denied",
                "NotFoundException" => "key not found",
                "DisabledException" | "KMSInvalidStateException" => {
                    "key disabled or pending deletion"
                }
                "IncorrectKeyException" => "ciphertext was made with another key",
                "UnrecognizedClientException"
                | "InvalidClientTokenId"
                | "ExpiredTokenException" => "invalid or expired AWS credentials",
                _ => "",
            };
            match (hint.is_empty(), e.message()) {
                (false, _) => format!("{hint} ({code})"),
                (true, Some(m)) => format!("{code}: {m}"),
                (true, None) => code.to_string(),
            }
        }
    }
}

fn context_map(ctx: &[(String, String)]) -> Option<HashMap<String, String>> {
    (!ctx.is_empty()).then(|| ctx.iter().cloned().collect())
}

impl MasterKey for KmsKey {
    fn describe(&self) -> String {
        self.arn.clone()
    }

    fn kind(&self) -> &'static str {
        "kms"
    }

    fn wrap<'a>(&'a self, key: &'a [u8]) -> BoxFuture<'a, Result<KeyEntry>> {
        Box::pin(async move {
            let client =
                client(&self.arn, self.aws_profile.as_deref(), self.role.as_deref()).await?;
            let out = client
                .encrypt()
                .key_id(&self.arn)
                .plaintext(Blob::new(key))
                .set_encryption_context(context_map(&self.context))
                .send()
                .await
                .map_err(|e| call_error(Some(&self.arn), &e))?;
            let blob = out
                .ciphertext_blob()
                .ok_or_else(|| err(&self.arn, "KMS returned no ciphertext"))?;
            Ok(KeyEntry::Kms(KmsEntry {
                arn: self.arn.clone(),
                role: self.role.clone(),
                context: self.context.clone(),
                created_at: crate::time::now_rfc3339(),
                enc: B64.encode(blob.as_ref()),
                aws_profile: self.aws_profile.clone().unwrap_or_default(),
            }))
        })
    }
}

/// Unwraps `kms` entries, reusing one client per region, profile and role.
#[derive(Default)]
pub struct KmsUnwrapper {
    clients: tokio::sync::Mutex<HashMap<(String, String, String), aws_sdk_kms::Client>>,
}

impl std::fmt::Debug for KmsUnwrapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KmsUnwrapper")
    }
}

impl KmsUnwrapper {
    async fn client_for(&self, k: &KmsEntry) -> Result<aws_sdk_kms::Client> {
        let id = (
            region_of(&k.arn)?,
            k.aws_profile.clone(),
            k.role.clone().unwrap_or_default(),
        );
        let mut clients = self.clients.lock().await;
        if let Some(c) = clients.get(&id) {
            return Ok(c.clone());
        }
        let c = client(&k.arn, Some(&k.aws_profile), k.role.as_deref()).await?;
        clients.insert(id, c.clone());
        Ok(c)
    }
}

impl Unwrapper for KmsUnwrapper {
    fn unwrap<'a>(&'a self, entry: &'a KeyEntry) -> BoxFuture<'a, Option<Result<SecretSlice<u8>>>> {
        Box::pin(async move {
            let KeyEntry::Kms(k) = entry else { return None };
            Some(self.unwrap_kms(k).await)
        })
    }
}

impl KmsUnwrapper {
    /// Errors name no ARN: the caller's report does.
    async fn unwrap_kms(&self, k: &KmsEntry) -> Result<SecretSlice<u8>> {
        let fail = |reason: String| Error::Key {
            provider: "kms",
            reason,
        };
        let blob = B64
            .decode(&k.enc)
            .map_err(|_| fail("enc is not base64".into()))?;
        let client = self.client_for(k).await?;
        let out = client
            .decrypt()
            .key_id(&k.arn)
            .ciphertext_blob(Blob::new(blob))
            .set_encryption_context(context_map(&k.context))
            .send()
            .await
            .map_err(|e| call_error(None, &e))?;
        let plain = out
            .plaintext()
            .ok_or_else(|| fail("KMS returned no plaintext".into()))?;
        Ok(SecretSlice::from(plain.as_ref().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_outages_are_transient_the_rest_permanent() {
        use aws_sdk_kms::error::ErrorMetadata;
        use aws_sdk_kms::operation::decrypt::DecryptError;
        let service = |code: &str| {
            let meta = ErrorMetadata::builder().code(code).message("m").build();
            SdkError::<DecryptError, ()>::service_error(DecryptError::generic(meta), ())
        };
        for code in [
            "ThrottlingException",
            "KMSInternalException",
            "LimitExceededException",
            "DependencyTimeoutException",
        ] {
            let e = call_error(None, &service(code));
            assert!(e.is_transient(), "{code}");
            assert_eq!(e.key_failure().unwrap().0, "kms");
        }
        for code in [
            "AccessDeniedException",
            "InvalidCiphertextException",
            "NotFoundException",
        ] {
            assert!(!call_error(None, &service(code)).is_transient(), "{code}");
        }
        let slow = SdkError::<DecryptError, ()>::timeout_error("slow");
        let e = call_error(Some("arn:aws:kms:eu-west-1:1:key/k"), &slow);
        assert!(e.is_transient());
        assert_eq!(
            e.to_string(),
            "kms: arn:aws:kms:eu-west-1:1:key/k: KMS timed out"
        );
    }

    #[test]
    fn arns_with_roles_and_contexts_parse_like_sops() {
        let k: KmsKey =
            "arn:aws:kms:eu-west-1:123456789012:key/abc+arn:aws:iam::123456789012:role/deploy"
                .parse()
                .unwrap();
        assert_eq!(k.arn, "arn:aws:kms:eu-west-1:123456789012:key/abc");
        assert_eq!(
            k.role.as_deref(),
            Some("arn:aws:iam::123456789012:role/deploy")
        );
        assert_eq!(region_of(&k.arn).unwrap(), "eu-west-1");
        assert!("not-an-arn".parse::<KmsKey>().is_err());
        assert_eq!(
            parse_context("app:web,env:prod").unwrap(),
            vec![("app".into(), "web".into()), ("env".into(), "prod".into())]
        );
        assert!(parse_context("nocolon").is_err());
    }
}
