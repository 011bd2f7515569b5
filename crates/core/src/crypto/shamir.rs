//! Shamir secret sharing over GF(2^8) with the AES polynomial, laid out as
//! sops (forked from Vault) lays out shares: the y bytes, then x = index+1.
//!
//! No maintained crate matches this layout and field (sharks uses 0x11d and
//! `x ‖ y`; vsss-rs puts x first), so this is the ~60 lines sops has, with
//! the same constant-time multiply.

use crate::crypto::cipher::fill_random;
use crate::error::{Error, Result};
use zeroize::Zeroizing;

/// Multiplies in GF(2^8) modulo x^8+x^4+x^3+x+1, without branching on data.
fn mul(a: u8, b: u8) -> u8 {
    let mut acc: u8 = 0;
    for i in (0..8).rev() {
        let bit = (b >> i) & 1;
        let a_or_zero = 0u8.wrapping_sub(bit) & a;
        let reduce = 0u8.wrapping_sub(acc >> 7) & 0x1b;
        acc = a_or_zero ^ (reduce ^ acc.wrapping_add(acc));
    }
    acc
}

/// a^254 = a^-1.
fn inverse(a: u8) -> u8 {
    let mut b = mul(a, a);
    let mut c = mul(a, b);
    b = mul(c, c);
    b = mul(b, b);
    c = mul(b, c);
    b = mul(b, b);
    b = mul(b, b);
    b = mul(b, c);
    b = mul(b, b);
    b = mul(a, b);
    mul(b, b)
}

/// Splits `secret` into `parts` shares, any `threshold` of which rebuild it.
pub fn split(secret: &[u8], parts: usize, threshold: usize) -> Result<Vec<Zeroizing<Vec<u8>>>> {
    let bad = |why: &str| Error::Unsupported(format!("Shamir split: {why}"));
    if parts < threshold {
        return Err(bad("parts cannot be less than threshold"));
    }
    if parts > 255 || threshold > 255 {
        return Err(bad("at most 255 parts"));
    }
    if threshold < 2 {
        return Err(bad("threshold must be at least 2"));
    }
    if secret.is_empty() {
        return Err(bad("cannot split an empty secret"));
    }
    let mut out: Vec<Zeroizing<Vec<u8>>> = (0..parts)
        .map(|i| {
            let mut share = vec![0u8; secret.len() + 1];
            share[secret.len()] = i as u8 + 1;
            Zeroizing::new(share)
        })
        .collect();
    let mut coeffs = Zeroizing::new(vec![0u8; threshold]);
    for (idx, &byte) in secret.iter().enumerate() {
        coeffs[0] = byte;
        fill_random(&mut coeffs[1..])?;
        for (i, share) in out.iter_mut().enumerate() {
            let x = i as u8 + 1;
            // Horner's rule from the highest coefficient.
            share[idx] = coeffs.iter().rev().fold(0u8, |acc, &c| mul(acc, x) ^ c);
        }
    }
    Ok(out)
}

/// Rebuilds the secret from at least the threshold number of shares.
pub fn combine(parts: &[&[u8]]) -> Result<Zeroizing<Vec<u8>>> {
    let bad = |why: &str| Error::corrupt(format!("Shamir shares: {why}"));
    if parts.len() < 2 {
        return Err(bad("less than two parts cannot rebuild the secret"));
    }
    let len = parts[0].len();
    if len < 2 || parts.iter().any(|p| p.len() != len) {
        return Err(bad("parts must be of equal length, at least two bytes"));
    }
    let xs: Vec<u8> = parts.iter().map(|p| p[len - 1]).collect();
    if (1..xs.len()).any(|i| xs[..i].contains(&xs[i])) {
        return Err(bad("duplicate part"));
    }
    let mut secret = Zeroizing::new(vec![0u8; len - 1]);
    for (idx, out) in secret.iter_mut().enumerate() {
        // Lagrange interpolation at x = 0.
        *out = (0..parts.len()).fold(0u8, |acc, i| {
            let basis = (0..parts.len())
                .filter(|&j| j != i)
                .fold(1u8, |b, j| mul(b, mul(xs[j], inverse(xs[i] ^ xs[j]))));
            acc ^ mul(parts[i][idx], basis)
        });
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_arithmetic_matches_the_aes_field() {
        // FIPS-197 §4.2: {57} • {83} = {c1}, {57} • {13} = {fe}.
        assert_eq!(mul(0x57, 0x83), 0xc1);
        assert_eq!(mul(0x57, 0x13), 0xfe);
        for a in 1..=255u8 {
            assert_eq!(mul(a, inverse(a)), 1, "inverse of {a}");
        }
    }

    #[test]
    fn any_threshold_subset_rebuilds_the_secret_and_fewer_do_not() {
        let secret: Vec<u8> = (0..32).collect();
        let shares = split(&secret, 5, 3).unwrap();
        assert!(shares.iter().all(|s| s.len() == 33));
        assert_eq!(
            shares.iter().map(|s| s[32]).collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5]
        );
        for combo in [[0, 1, 2], [0, 2, 4], [4, 3, 1]] {
            let parts: Vec<&[u8]> = combo.iter().map(|&i| &shares[i][..]).collect();
            assert_eq!(&combine(&parts).unwrap()[..], &secret[..]);
        }
        let two: Vec<&[u8]> = vec![&shares[0], &shares[1]];
        assert_ne!(&combine(&two).unwrap()[..], &secret[..]);
    }

    #[test]
    fn a_vault_style_vector_combines() {
        // Hand-checked: secret byte 0x42, polynomial 0x42 + 0x07·x, shares at x = 1, 2.
        let s1 = [0x42 ^ mul(0x07, 1), 1];
        let s2 = [0x42 ^ mul(0x07, 2), 2];
        assert_eq!(&combine(&[&s1, &s2]).unwrap()[..], &[0x42]);
    }
}
