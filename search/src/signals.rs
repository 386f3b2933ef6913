//! Text signals for the trust checks, over the same analysis as search: scam phrases (data,
//! `scam_phrases.json`) and a SimHash of an ad's words for near-duplicate texts.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::analysis::analyzer;

#[derive(Deserialize)]
struct PhraseFile {
    phrases: Vec<String>,
    innocent: Vec<String>,
}

pub struct ScamPhrases {
    /// Each phrase as its analysed word sequence, with the phrase as written.
    phrases: Vec<(Vec<String>, String)>,
    innocent: Vec<Vec<String>>,
}

fn terms(text: &str) -> Vec<String> {
    analyzer().words(text).into_iter().map(|w| w.term).collect()
}

/// Where `needle` occurs in `words`, as start positions.
fn occurrences(words: &[String], needle: &[String]) -> Vec<usize> {
    if needle.is_empty() || needle.len() > words.len() {
        return Vec::new();
    }
    (0..=words.len() - needle.len())
        .filter(|&i| words[i..i + needle.len()] == *needle)
        .collect()
}

impl ScamPhrases {
    pub fn from_json(json: &str) -> Result<ScamPhrases, String> {
        let f: PhraseFile = serde_json::from_str(json).map_err(|e| e.to_string())?;
        Ok(ScamPhrases {
            phrases: f
                .phrases
                .into_iter()
                .map(|p| (terms(&p), p))
                .filter(|(t, _)| !t.is_empty())
                .collect(),
            innocent: f.innocent.iter().map(|p| terms(p)).collect(),
        })
    }

    /// The scam phrases `text` contains (as the list writes them), leaving out those inside
    /// an innocent phrase ("pas de paiement avant livraison").
    pub fn find(&self, text: &str) -> Vec<String> {
        let words = terms(text);
        let innocent: Vec<(usize, usize)> = self
            .innocent
            .iter()
            .flat_map(|p| occurrences(&words, p).into_iter().map(|s| (s, s + p.len())))
            .collect();
        let mut found = Vec::new();
        let mut matched: Vec<&[String]> = Vec::new();
        for (needle, written) in &self.phrases {
            // Spellings of one phrase ("ارسل" / "أرسل") analyse alike: reported once.
            if matched.contains(&needle.as_slice()) {
                continue;
            }
            let guilty = occurrences(&words, needle).into_iter().any(|s| {
                let e = s + needle.len();
                !innocent.iter().any(|&(a, b)| a <= s && e <= b)
            });
            if guilty {
                matched.push(needle);
                found.push(written.clone());
            }
        }
        found
    }
}

pub fn scam_phrases() -> &'static ScamPhrases {
    static PHRASES: OnceLock<ScamPhrases> = OnceLock::new();
    PHRASES.get_or_init(|| {
        ScamPhrases::from_json(include_str!("../scam_phrases.json"))
            .expect("search/scam_phrases.json is valid")
    })
}

/// Texts with fewer analysed words than this get no SimHash: short titles such as "Golf 7
/// très propre" are written alike by many honest sellers.
pub const MIN_SIMHASH_WORDS: usize = 10;

/// A 64-bit SimHash of an ad's title and description: each analysed word and each pair of
/// neighbouring words votes on every bit. Texts that share most of their words and order get
/// hashes a few bits apart, whatever their spelling, case, accents or script variants.
pub fn text_simhash(title: &str, description: &str) -> Option<u64> {
    let words = terms(&format!("{title}\n{description}"));
    if words.len() < MIN_SIMHASH_WORDS {
        return None;
    }
    let mut votes = [0i32; 64];
    let mut vote = |feature: u64| {
        for (bit, v) in votes.iter_mut().enumerate() {
            *v += if feature >> bit & 1 == 1 { 1 } else { -1 };
        }
    };
    for (i, w) in words.iter().enumerate() {
        vote(feature_hash(w.as_bytes(), 0));
        if let Some(next) = words.get(i + 1) {
            vote(feature_hash(next.as_bytes(), feature_hash(w.as_bytes(), 1)));
        }
    }
    Some(
        votes
            .iter()
            .enumerate()
            .filter(|(_, v)| **v > 0)
            .fold(0u64, |h, (bit, _)| h | 1 << bit),
    )
}

/// FNV-1a, then a SplitMix64 finaliser so that every bit depends on every byte. Stable across
/// builds and versions (stored hashes are compared with new ones).
pub fn feature_hash(bytes: &[u8], seed: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use souk_domain::signals::{hamming, TEXT_MAX_DISTANCE};

    #[test]
    fn scam_phrases_in_three_languages_and_not_their_negations() {
        let s = scam_phrases();
        assert_eq!(
            s.find("iPhone 13 neuf, PAIEMENT AVANT LIVRAISON par CCP"),
            ["paiement avant livraison"]
        );
        assert!(!s.find("هاتف نظيف، ارسل المبلغ ونبعثلك").is_empty());
        assert!(!s.find("sifetli drahem w nab3atlek").is_empty());
        assert!(s
            .find("Pas de paiement avant livraison, main propre")
            .is_empty());
        assert!(s
            .find("Golf 7 très propre, paiement à la livraison")
            .is_empty());
        assert!(s.find("Western digital 1 To, disque dur").is_empty());
    }

    const TEXT: &str = "Toyota Hilux 2018 double cabine, moteur 2.4 diesel, 120000 km, \
        première main, carnet d'entretien complet, pneus neufs, jamais accidentée, \
        visible à Oran centre";

    #[test]
    fn a_reworded_copy_is_near_and_another_ad_is_far() {
        let original = text_simhash("Toyota Hilux 2018", TEXT).unwrap();
        let copy = text_simhash(
            "TOYOTA HILUX 2018 !!",
            &TEXT.replace("Oran centre", "Alger, prix sacrifié"),
        )
        .unwrap();
        assert!(
            hamming(original, copy) <= TEXT_MAX_DISTANCE,
            "{}",
            hamming(original, copy)
        );
        let other = text_simhash(
            "Appartement F3 Bab Ezzouar",
            "Appartement F3 au 2e étage, 75 m², cuisine équipée, acte notarié et livret \
             foncier, proche du tramway et de l'université, libre de suite",
        )
        .unwrap();
        assert!(
            hamming(original, other) > 16,
            "{}",
            hamming(original, other)
        );
        assert_eq!(text_simhash("Golf 7", "très propre"), None);
    }
}
