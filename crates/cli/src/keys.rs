//! From flags to hush-core's key and plan types: the keys named on the
//! command line and the `.sops.yaml` in force.

use crate::args::KeyFlags;
use crate::failure::{bare, fail, Result};
use hush_core::keys::MasterKey;
use hush_core::plan::KeyNames;
use hush_core::rules::{find_config, Config, CreationRule};
use std::path::Path;
use std::sync::Arc;

impl KeyFlags {
    /// The keys as hush-core names them.
    pub fn names(&self) -> KeyNames {
        KeyNames {
            age: self.age.clone(),
            pgp: self.pgp.clone(),
            kms: self.kms.clone(),
            aws_profile: self.aws_profile.clone(),
            encryption_context: self.encryption_context.clone(),
        }
    }

    /// The keys given on the command line, as one group; `None` when none.
    pub fn group(&self) -> Result<Option<Vec<Arc<dyn MasterKey>>>> {
        self.names().group().map_err(bare)
    }
}

/// The key groups of a creation rule.
pub(crate) fn rule_keys(rule: &CreationRule) -> Result<hush_core::KeyGroups> {
    hush_core::plan::rule_keys(rule).map_err(bare)
}

/// The `.sops.yaml` at `explicit`, or found upwards from the working directory.
pub(crate) fn load_config(explicit: Option<&Path>) -> Result<Option<Config>> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => std::env::current_dir().ok().and_then(|d| find_config(&d)),
    };
    path.map(|p| Config::load(&p).map_err(|e| fail(e.exit_code(), e.to_string())))
        .transpose()
}
