//! Trust signals: what the automatic checks may say about an ad, how much each weighs, and
//! how near two 64-bit fingerprints (a photo's perceptual hash, a text's SimHash) must be to
//! count as copies. Signals are for moderators; only their summed weight, past a configured
//! score, hides an ad until a moderator decides.

/// What an automatic check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlagKind {
    /// A photo within `PHOTO_MAX_DISTANCE` of a photo of another account's older ad.
    DuplicatePhoto,
    /// Title and description within `TEXT_MAX_DISTANCE` of another account's older ad.
    DuplicateText,
    /// A phrase of the scam list (advance payment, transfer first…).
    ScamPhrase,
    /// A price far below the fair price of comparable ads.
    SuspiciousPrice,
}

impl FlagKind {
    pub const ALL: [FlagKind; 4] = [
        FlagKind::DuplicatePhoto,
        FlagKind::DuplicateText,
        FlagKind::ScamPhrase,
        FlagKind::SuspiciousPrice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FlagKind::DuplicatePhoto => "duplicate_photo",
            FlagKind::DuplicateText => "duplicate_text",
            FlagKind::ScamPhrase => "scam_phrase",
            FlagKind::SuspiciousPrice => "suspicious_price",
        }
    }

    pub fn parse(s: &str) -> Option<FlagKind> {
        FlagKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A stolen photo or a request to pay first is the mark of the commonest scam; a copied
    /// text or a low price alone is often innocent (a reseller, an urgent sale).
    pub fn weight(self) -> u32 {
        match self {
            FlagKind::DuplicatePhoto | FlagKind::ScamPhrase => 2,
            FlagKind::DuplicateText | FlagKind::SuspiciousPrice => 1,
        }
    }
}

/// Each kind counts once, however many ads it points to: the score says how many different
/// reasons there are to doubt an ad.
pub fn flag_score(kinds: impl IntoIterator<Item = FlagKind>) -> u32 {
    let mut seen: Vec<FlagKind> = kinds.into_iter().collect();
    seen.sort();
    seen.dedup();
    seen.into_iter().map(FlagKind::weight).sum()
}

/// Default `SOUK_FLAG_SCORE_TO_HIDE`: a stolen photo with a low price, or a scam phrase with
/// one more reason, hides the ad pending review; one signal alone never does.
pub const DEFAULT_SCORE_TO_HIDE: u32 = 3;

/// Perceptual hashes of a re-encoded, resized, lightly cropped or brightened copy stay within
/// this many bits (measured with `souk-photo-hash`, see bench/README.md).
pub const PHOTO_MAX_DISTANCE: u32 = 8;
/// How long the fingerprints of removed photos and purged ads are kept, so that who had a
/// photo or a text first is still known after the original is gone.
pub const PAST_FINGERPRINT_DAYS: i64 = 365;
/// SimHash distance of a reworded copy (a price or a phone changed, words swapped).
pub const TEXT_MAX_DISTANCE: u32 = 6;

pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Fingerprints are looked up by four 16-bit bands. Two fingerprints within 7 bits agree
/// exactly on one band, or differ by one bit in one (pigeonhole: four bands each 2 bits
/// apart make 8); probing every band with its 16 one-bit variants therefore finds every
/// fingerprint within 7 bits, and most within 8–11, through an index, without a scan.
pub const BANDS: u32 = 4;

/// The keys under which `hash` is stored: band number in the high bits, band value low.
pub fn band_keys(hash: u64) -> [i32; BANDS as usize] {
    std::array::from_fn(|b| band_key(b as u32, band(hash, b as u32)))
}

/// The keys to look up for fingerprints near `hash`: each band and each of its one-bit
/// variants (4 × 17 keys).
pub fn probe_keys(hash: u64) -> Vec<i32> {
    let mut keys = Vec::with_capacity((BANDS * 17) as usize);
    for b in 0..BANDS {
        let v = band(hash, b);
        keys.push(band_key(b, v));
        for bit in 0..16 {
            keys.push(band_key(b, v ^ (1 << bit)));
        }
    }
    keys
}

fn band(hash: u64, b: u32) -> u16 {
    (hash >> (16 * b)) as u16
}

fn band_key(b: u32, value: u16) -> i32 {
    ((b << 16) | u32::from(value)) as i32
}

/// Fingerprints are stored as signed 64-bit integers (what both databases have).
pub fn to_stored(hash: u64) -> i64 {
    hash as i64
}

pub fn from_stored(v: i64) -> u64 {
    v as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probing_finds_every_fingerprint_within_seven_bits() {
        let a: u64 = 0x9e37_79b9_7f4a_7c15;
        let probes = probe_keys(a);
        // Seven bits flipped, spread so that no band keeps all its bits.
        for flips in [
            vec![0, 1, 16, 17, 32, 33, 48],
            vec![3, 20, 21, 40, 41, 60, 61],
            vec![0, 1, 2, 3, 4, 5, 6],
        ] {
            let b = flips.iter().fold(a, |h, bit| h ^ (1u64 << bit));
            assert_eq!(hamming(a, b), 7);
            assert!(
                band_keys(b).iter().any(|k| probes.contains(k)),
                "{flips:?} missed"
            );
        }
        // Eight bits, two in each band: not guaranteed, and not found.
        let far = [0, 1, 16, 17, 32, 33, 48, 49]
            .iter()
            .fold(a, |h, bit| h ^ (1u64 << bit));
        assert!(!band_keys(far).iter().any(|k| probes.contains(k)));
    }

    #[test]
    fn the_score_counts_each_reason_once() {
        use FlagKind::*;
        assert_eq!(flag_score([DuplicatePhoto, DuplicatePhoto]), 2);
        assert_eq!(flag_score([DuplicatePhoto, SuspiciousPrice]), 3);
        assert_eq!(flag_score([DuplicateText]), 1);
        assert!(flag_score([ScamPhrase]) < DEFAULT_SCORE_TO_HIDE);
    }

    #[test]
    fn stored_fingerprints_round_trip() {
        for h in [0u64, 1, u64::MAX, 1 << 63] {
            assert_eq!(from_stored(to_stored(h)), h);
        }
    }
}
