//! `lastmodified`: the current UTC time as RFC 3339, and re-formatting a
//! stored one the way Go's `time.Format(time.RFC3339)` does (the MAC's AAD).

use crate::error::{Error, Result};
use std::time::{SystemTime, UNIX_EPOCH};

/// Now, as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Re-formats a stored `lastmodified` as Go's RFC 3339 (no fraction; `Z`
/// for a zero offset), which is the AAD sops uses for the MAC.
pub fn rfc3339_aad(stored: &str) -> Result<String> {
    let bad = || Error::corrupt("lastmodified is not an RFC 3339 time");
    let full = crate::stores::scalar::parse_time(stored).ok_or_else(bad)?;
    if !stored.contains(['T', 't']) {
        return Err(bad());
    }
    // Drop the fraction: Go's RFC3339 layout has none.
    let (head, zone) = full.split_at(19);
    let zone = zone.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    Ok(format!("{head}{zone}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_are_right() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
    }

    #[test]
    fn aad_drops_fractions_and_keeps_offsets() {
        assert_eq!(
            rfc3339_aad("2024-01-01T10:00:00.123Z").unwrap(),
            "2024-01-01T10:00:00Z"
        );
        assert_eq!(
            rfc3339_aad("2024-01-01T10:00:00+02:00").unwrap(),
            "2024-01-01T10:00:00+02:00"
        );
        assert!(rfc3339_aad("yesterday").is_err());
    }
}
