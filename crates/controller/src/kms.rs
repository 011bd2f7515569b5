//! AWS KMS for the controller: the controller's own credentials, one
//! client per (region, vetted role), and a bounded number of them, since
//! regions and roles come from objects tenants write.

use hush_core::keys::kms::{region_of, KmsUnwrapper};
use hush_core::keys::{BoxFuture, Unwrapper};
use hush_core::metadata::KeyEntry;
use secrecy::SecretSlice;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Id = (String, String);

/// How long one KMS call may take (the SDK sets no overall timeout).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// A KMS failure as tenants may read it (status, Events): the error code
/// or hush's own words, never AWS's message, which can name the
/// controller's role, account or other ARNs.
pub fn public_reason(reason: &str) -> String {
    match reason.split_once(": ") {
        Some((code, _)) => code.to_string(),
        None => reason.to_string(),
    }
}

/// Whether a KMS unwrap failure is worth retrying soon: hush-core marks
/// throttling, a 5xx, a network error or a timeout as
/// [`hush_core::Error::KeyTransient`]; anything else (access denied, a bad
/// ciphertext or context, a missing or disabled key) is permanent.
pub fn transient(e: &hush_core::Error) -> bool {
    e.is_transient()
        && e.key_failure()
            .is_some_and(|(provider, _)| provider == "kms")
}

/// Unwraps `kms` entries through at most `capacity` clients (the least
/// recently used is dropped to make room). The entry must already carry the controller's
/// settings (see [`crate::unseal::controller_settings`]): a named AWS
/// profile is refused here as well.
pub struct KmsKeys {
    clients: Mutex<VecDeque<(Id, Arc<KmsUnwrapper>)>>,
    capacity: usize,
}

impl KmsKeys {
    /// At most `capacity` KMS clients.
    pub fn new(capacity: usize) -> Self {
        KmsKeys {
            clients: Mutex::default(),
            capacity: capacity.max(1),
        }
    }

    /// How many clients are held.
    pub fn len(&self) -> usize {
        self.clients.lock().expect("kms lock").len()
    }

    /// Whether no client is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The client for a region and role, made on first use.
    pub fn client(&self, region: &str, role: &str) -> Arc<KmsUnwrapper> {
        let id = (region.to_string(), role.to_string());
        let mut clients = self.clients.lock().expect("kms lock");
        if let Some(at) = clients.iter().position(|(i, _)| *i == id) {
            // Most recently used at the back.
            let hit = clients.remove(at).expect("position is in range");
            let c = hit.1.clone();
            clients.push_back(hit);
            return c;
        }
        if clients.len() >= self.capacity {
            clients.pop_front();
        }
        let c = Arc::new(KmsUnwrapper::default());
        clients.push_back((id, c.clone()));
        c
    }
}

/// An AWS region name: `eu-west-1`, `us-gov-east-1`, `cn-north-1`.
fn plausible_region(region: &str) -> bool {
    region.len() <= 32
        && region.split('-').count() >= 3
        && region.split('-').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn refuse(reason: &str) -> hush_core::Error {
    hush_core::Error::Key {
        provider: "kms",
        reason: reason.into(),
    }
}

impl Unwrapper for KmsKeys {
    fn unwrap<'a>(
        &'a self,
        entry: &'a KeyEntry,
    ) -> BoxFuture<'a, Option<hush_core::Result<SecretSlice<u8>>>> {
        Box::pin(async move {
            let KeyEntry::Kms(k) = entry else { return None };
            if !k.aws_profile.is_empty() {
                return Some(Err(refuse("the controller uses its own AWS credentials")));
            }
            let region = match region_of(&k.arn) {
                Ok(r) if plausible_region(&r) => r,
                _ => return Some(Err(refuse("not a valid KMS key ARN"))),
            };
            let client = self.client(&region, k.role.as_deref().unwrap_or(""));
            match tokio::time::timeout(CALL_TIMEOUT, client.unwrap(entry)).await {
                Ok(res) => res,
                Err(_) => Some(Err(refuse("KMS timed out"))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hush_core::metadata::KmsEntry;

    fn kms(arn: &str, profile: &str) -> KeyEntry {
        KeyEntry::Kms(KmsEntry {
            arn: arn.into(),
            role: None,
            context: vec![],
            created_at: String::new(),
            enc: "AAAA".into(),
            aws_profile: profile.into(),
        })
    }

    #[test]
    fn throttling_and_outages_are_transient_the_rest_permanent() {
        let reason = "ThrottlingException: Rate exceeded".to_string();
        let transient_kms = hush_core::Error::KeyTransient {
            provider: "kms",
            reason: reason.clone(),
        };
        assert!(transient(&transient_kms));
        let permanent = hush_core::Error::Key {
            provider: "kms",
            reason,
        };
        assert!(!transient(&permanent), "the variant decides, not the text");
        let age = hush_core::Error::KeyTransient {
            provider: "age",
            reason: "KMS timed out".into(),
        };
        assert!(!transient(&age), "only KMS failures are classified");
    }

    #[test]
    fn aws_messages_stay_out_of_what_tenants_read() {
        let aws = "UnknownException: User: arn:aws:sts::999988887777:assumed-role/hush/x is not authorized";
        assert_eq!(public_reason(aws), "UnknownException");
        let hint = "access denied (AccessDeniedException)";
        assert_eq!(public_reason(hint), hint);
    }

    #[test]
    fn the_client_map_is_bounded() {
        let keys = KmsKeys::new(4);
        for i in 0..100 {
            keys.client(&format!("eu-west-{i}"), "");
        }
        assert_eq!(keys.len(), 4);
        let a = keys.client("eu-west-99", "");
        assert!(Arc::ptr_eq(&a, &keys.client("eu-west-99", "")));
    }

    #[test]
    fn the_least_recently_used_client_goes_first() {
        let keys = KmsKeys::new(2);
        let a = keys.client("eu-west-1", "");
        keys.client("eu-west-2", "");
        keys.client("eu-west-1", ""); // used again
        keys.client("eu-west-3", ""); // evicts eu-west-2
        assert!(Arc::ptr_eq(&a, &keys.client("eu-west-1", "")));
    }

    #[tokio::test]
    async fn profiles_and_odd_regions_are_refused_before_any_client() {
        let keys = KmsKeys::new(4);
        let profile = kms("arn:aws:kms:eu-west-1:1:key/k", "admin");
        let odd = kms("arn:aws:kms:x/../y:1:key/k", "");
        for e in [profile, odd] {
            assert!(keys.unwrap(&e).await.unwrap().is_err());
        }
        assert!(keys.is_empty());
        assert!(plausible_region("us-gov-east-1") && plausible_region("cn-north-1"));
        assert!(!plausible_region("EU-west-1") && !plausible_region("local"));
    }
}
