//! Key hierarchy of the 4-way handshake for the AKM subgate uses (PSK or 802.1X, CCMP-128,
//! key descriptor version 2): PMK → PTK (KCK | KEK | TK) with the 802.11 PRF, the EAPOL-Key
//! MIC (HMAC-SHA1-128) and AES key wrap of the key data (802.11-2020 12.7.1, 12.7.2).
//! Primitives come from RustCrypto (`pbkdf2`, `hmac`, `sha1`, `aes-kw`); only the PRF, which
//! no crate provides, is built here on `Hmac<Sha1>`.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use crate::wire::MacAddr;

type HmacSha1 = Hmac<Sha1>;

/// Why a key could not be made or used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A passphrase must be 8 to 63 printable ASCII characters (802.11-2020 J.4.1).
    #[error("passphrase must be 8 to 63 printable ASCII characters")]
    BadPassphrase,
    /// An SSID is 0 to 32 bytes.
    #[error("SSID longer than 32 bytes")]
    BadSsid,
    /// An MSK shorter than the 32 bytes a PMK takes from it.
    #[error("MSK shorter than 32 bytes")]
    ShortMsk,
    /// Wrapped key data that is not a multiple of 8 bytes, too short, or whose integrity
    /// check failed (wrong KEK or tampered data).
    #[error("wrapped key data does not unwrap")]
    Unwrap,
}

/// Pairwise master key: 256 bits, from a passphrase + SSID, a raw PSK, or an EAP MSK.
#[derive(Clone, PartialEq, Eq)]
pub struct Pmk(pub [u8; 32]);

impl std::fmt::Debug for Pmk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pmk(..)") // never logged
    }
}

impl Pmk {
    /// PBKDF2-HMAC-SHA1(passphrase, SSID, 4096 iterations, 256 bits) (802.11-2020 J.4.1).
    pub fn from_passphrase(passphrase: &str, ssid: &[u8]) -> Result<Pmk, KeyError> {
        let ok = (8..=63).contains(&passphrase.len())
            && passphrase.bytes().all(|b| (0x20..=0x7e).contains(&b));
        if !ok {
            return Err(KeyError::BadPassphrase);
        }
        if ssid.len() > 32 {
            return Err(KeyError::BadSsid);
        }
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha1>(passphrase.as_bytes(), ssid, 4096, &mut out);
        Ok(Pmk(out))
    }

    /// The PMK of an 802.1X AKM: the first 256 bits of the EAP method's MSK (802.11-2020
    /// 12.7.1.3).
    pub fn from_msk(msk: &[u8]) -> Result<Pmk, KeyError> {
        let first = msk.get(..32).ok_or(KeyError::ShortMsk)?;
        let mut out = [0u8; 32];
        out.copy_from_slice(first);
        Ok(Pmk(out))
    }
}

/// The 802.11 PRF (802.11-2020 12.7.1.2): HMAC-SHA1(key, label ‖ 0 ‖ data ‖ i) for
/// i = 0, 1, …, concatenated and cut to `out.len()` bytes.
pub fn prf_sha1(key: &[u8], label: &[u8], data: &[u8], out: &mut [u8]) {
    for (i, chunk) in out.chunks_mut(20).enumerate() {
        // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
        let Ok(mut mac) = <HmacSha1 as KeyInit>::new_from_slice(key) else {
            return;
        };
        mac.update(label);
        mac.update(&[0]);
        mac.update(data);
        mac.update(&[i as u8]);
        let block = mac.finalize().into_bytes();
        chunk.copy_from_slice(&block[..chunk.len()]);
    }
}

/// Pairwise transient key for CCMP-128 with SHA-1 (PRF-384): key confirmation key (MICs),
/// key encryption key (key wrap of message 3's key data) and the temporal key.
#[derive(Clone, PartialEq, Eq)]
pub struct Ptk {
    /// KCK: EAPOL-Key MICs.
    pub kck: [u8; 16],
    /// KEK: wraps message 3's key data.
    pub kek: [u8; 16],
    /// TK: CCMP data protection.
    pub tk: [u8; 16],
}

impl std::fmt::Debug for Ptk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ptk(..)")
    }
}

impl Ptk {
    /// PRF-384(PMK, "Pairwise key expansion", min(AA,SPA) ‖ max(AA,SPA) ‖ min(ANonce,SNonce)
    /// ‖ max(ANonce,SNonce)) (802.11-2020 12.7.1.3).
    pub fn derive(
        pmk: &Pmk,
        aa: MacAddr,
        spa: MacAddr,
        anonce: &[u8; 32],
        snonce: &[u8; 32],
    ) -> Ptk {
        let (a1, a2) = if aa.0 <= spa.0 { (aa, spa) } else { (spa, aa) };
        let (n1, n2) = if anonce <= snonce {
            (anonce, snonce)
        } else {
            (snonce, anonce)
        };
        let mut data = [0u8; 6 + 6 + 32 + 32];
        data[..6].copy_from_slice(&a1.0);
        data[6..12].copy_from_slice(&a2.0);
        data[12..44].copy_from_slice(n1);
        data[44..].copy_from_slice(n2);
        let mut out = [0u8; 48];
        prf_sha1(&pmk.0, b"Pairwise key expansion", &data, &mut out);
        let mut ptk = Ptk {
            kck: [0; 16],
            kek: [0; 16],
            tk: [0; 16],
        };
        ptk.kck.copy_from_slice(&out[..16]);
        ptk.kek.copy_from_slice(&out[16..32]);
        ptk.tk.copy_from_slice(&out[32..]);
        ptk
    }
}

/// EAPOL-Key MIC, key descriptor version 2: the first 128 bits of HMAC-SHA1(KCK, the whole
/// EAPOL PDU with its MIC field zeroed).
pub fn eapol_mic(kck: &[u8; 16], pdu_with_zero_mic: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    if let Ok(mut mac) = <HmacSha1 as KeyInit>::new_from_slice(kck) {
        mac.update(pdu_with_zero_mic);
        out.copy_from_slice(&mac.finalize().into_bytes()[..16]);
    }
    out
}

/// Checks a MIC in constant time (HMAC verification from the `hmac` crate).
pub fn eapol_mic_ok(kck: &[u8; 16], pdu_with_zero_mic: &[u8], mic: &[u8]) -> bool {
    let Ok(mut mac) = <HmacSha1 as KeyInit>::new_from_slice(kck) else {
        return false;
    };
    mac.update(pdu_with_zero_mic);
    // A shorter tag would be checked against a prefix only: the length is part of the check.
    mic.len() == 16 && mac.verify_truncated_left(mic).is_ok()
}

/// AES key wrap (RFC 3394) with the KEK; `plain` must be a multiple of 8 bytes, at least 16
/// (pad with [`crate::rsn::kde::pad`] first).
pub fn wrap(kek: &[u8; 16], plain: &[u8]) -> Result<Vec<u8>, KeyError> {
    if plain.len() < 16 || !plain.len().is_multiple_of(8) {
        return Err(KeyError::Unwrap);
    }
    let kw = aes_kw::KwAes128::new(kek.into());
    let mut out = vec![0u8; plain.len() + 8];
    kw.wrap_key(plain, &mut out).map_err(|_| KeyError::Unwrap)?;
    Ok(out)
}

/// AES key unwrap (RFC 3394): `Unwrap` if the length is wrong or the integrity check fails.
pub fn unwrap(kek: &[u8; 16], wrapped: &[u8]) -> Result<Vec<u8>, KeyError> {
    if wrapped.len() < 24 || !wrapped.len().is_multiple_of(8) {
        return Err(KeyError::Unwrap);
    }
    let kw = aes_kw::KwAes128::new(kek.into());
    let mut out = vec![0u8; wrapped.len() - 8];
    kw.unwrap_key(wrapped, &mut out)
        .map_err(|_| KeyError::Unwrap)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // IEEE 802.11-2020 J.3.2 (PRF test vectors; the same as 802.11i H.3 and hostapd's
    // crypto module tests).
    #[test]
    fn prf_matches_annex_j() {
        let mut out = [0u8; 64];
        prf_sha1(&[0x0b; 20], b"prefix", b"Hi There", &mut out);
        assert_eq!(
            out.to_vec(),
            hex(
                "bcd4c650b30b9684951829e0d75f9d54b862175ed9f00606e17d8da35402ffee
                 75df78c3d31e0f889f012120c0862beb67753e7439ae242edb8373698356cf5a"
            )
        );
        prf_sha1(
            b"Jefe",
            b"prefix",
            b"what do ya want for nothing?",
            &mut out,
        );
        assert_eq!(
            out.to_vec(),
            hex(
                "51f4de5b33f249adf81aeb713a3c20f4fe631446fabdfa58244759ae58ef9009
                 a99abf4eac2ca5fa87e692c440eb40023e7babb206d61de7b92f41529092b8fc"
            )
        );
        // A shorter output is a prefix of the longer one.
        let mut short = [0u8; 24];
        prf_sha1(
            b"Jefe",
            b"prefix",
            b"what do ya want for nothing?",
            &mut short,
        );
        assert_eq!(short[..], out[..24]);
    }

    // IEEE 802.11-2020 J.4.2 (passphrase → PSK test vectors).
    #[test]
    fn passphrase_to_pmk_matches_annex_j() {
        assert_eq!(
            Pmk::from_passphrase("password", b"IEEE")
                .unwrap()
                .0
                .to_vec(),
            hex("f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e")
        );
        assert_eq!(
            Pmk::from_passphrase("ThisIsAPassword", b"ThisIsASSID")
                .unwrap()
                .0
                .to_vec(),
            hex("0dc0d6eb90555ed6419756b9a15ec3e3209b63df707dd508d14581f8982721af")
        );
    }

    // RFC 6070 (PBKDF2-HMAC-SHA1), the primitive under the passphrase mapping.
    #[test]
    fn pbkdf2_sha1_matches_rfc6070() {
        for (iters, want) in [
            (1, "0c60c80f961f0e71f3a9b524af6012062fe037a6"),
            (2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"),
            (4096, "4b007901b765489abead49d926f721d065a429c1"),
        ] {
            let mut out = [0u8; 20];
            pbkdf2::pbkdf2_hmac::<Sha1>(b"password", b"salt", iters, &mut out);
            assert_eq!(out.to_vec(), hex(want), "{iters} iterations");
        }
    }

    #[test]
    fn bad_passphrases_and_msks_are_refused() {
        assert_eq!(
            Pmk::from_passphrase("short", b"x"),
            Err(KeyError::BadPassphrase)
        );
        assert_eq!(
            Pmk::from_passphrase(&"a".repeat(64), b"x"),
            Err(KeyError::BadPassphrase)
        );
        assert_eq!(
            Pmk::from_passphrase("tab\there1", b"x"),
            Err(KeyError::BadPassphrase)
        );
        assert_eq!(
            Pmk::from_passphrase("12345678", &[0; 33]),
            Err(KeyError::BadSsid)
        );
        assert!(Pmk::from_passphrase(&"a".repeat(63), b"x").is_ok());
        assert_eq!(Pmk::from_msk(&[1; 31]), Err(KeyError::ShortMsk));
        assert_eq!(Pmk::from_msk(&[7; 64]).unwrap().0, [7; 32]);
    }

    // RFC 3394 4.1: 128-bit key data wrapped with a 128-bit KEK.
    #[test]
    fn key_wrap_matches_rfc3394() {
        let kek: [u8; 16] = hex("000102030405060708090A0B0C0D0E0F").try_into().unwrap();
        let data = hex("00112233445566778899AABBCCDDEEFF");
        let wrapped = wrap(&kek, &data).unwrap();
        assert_eq!(
            wrapped,
            hex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5")
        );
        assert_eq!(unwrap(&kek, &wrapped).unwrap(), data);
        let mut bad = wrapped.clone();
        bad[5] ^= 1;
        assert_eq!(unwrap(&kek, &bad), Err(KeyError::Unwrap));
        assert_eq!(unwrap(&kek, &wrapped[..16]), Err(KeyError::Unwrap));
        assert_eq!(wrap(&kek, &data[..12]), Err(KeyError::Unwrap));
    }

    #[test]
    fn ptk_is_symmetric_in_roles_and_sensitive_to_every_input() {
        let pmk = Pmk([9; 32]);
        let (a, s) = (MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2]));
        let (an, sn) = ([1u8; 32], [2u8; 32]);
        let p = Ptk::derive(&pmk, a, s, &an, &sn);
        // Sorted inputs: swapping both pairs gives the same key.
        assert_eq!(p, Ptk::derive(&pmk, s, a, &sn, &an));
        assert_ne!(p, Ptk::derive(&Pmk([8; 32]), a, s, &an, &sn));
        assert_ne!(
            p,
            Ptk::derive(&pmk, a, MacAddr([2, 0, 0, 0, 0, 3]), &an, &sn)
        );
        assert_ne!(p, Ptk::derive(&pmk, a, s, &an, &[3; 32]));
        assert_ne!(p.kck, p.kek);
    }

    #[test]
    fn mic_checks() {
        let kck = [5u8; 16];
        let pdu = b"some eapol bytes with a zero mic";
        let mic = eapol_mic(&kck, pdu);
        assert!(eapol_mic_ok(&kck, pdu, &mic));
        let mut bad = mic;
        bad[15] ^= 0x80;
        assert!(!eapol_mic_ok(&kck, pdu, &bad));
        assert!(!eapol_mic_ok(&[6; 16], pdu, &mic));
        assert!(!eapol_mic_ok(&kck, pdu, &mic[..15]));
    }
}
