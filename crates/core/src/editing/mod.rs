//! Changing encrypted files without re-encrypting what did not change:
//! the edit core ([`update`]: unchanged values keep their ciphertext and
//! IV), `set`/`unset` by path ([`patch`], with `patch_flat` for dotenv and INI), and the three-way merge driver
//! ([`merge`], with `merge_flat` for dotenv and INI text).

pub mod merge;
pub(crate) mod merge_flat;
pub mod patch;
mod patch_flat;
pub mod update;
