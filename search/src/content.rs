//! Words refused in ads, kept as data (`banned_words.json`) and compared after the same
//! analysis as search, so `Cocaïne`, `COCAINE` and `cocaines` are one word.

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::analysis::analyzer;

#[derive(Deserialize)]
struct BannedFile {
    words: Vec<String>,
}

pub struct BannedWords {
    terms: HashSet<String>,
}

impl BannedWords {
    pub fn from_json(json: &str) -> Result<BannedWords, String> {
        let f: BannedFile = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let a = analyzer();
        let mut terms = HashSet::new();
        for w in f.words {
            // Hyphenated entries are one unit of meaning but several tokens; the last token
            // alone would be too broad, so such an entry matches its whole token sequence.
            let tokens = a.tokens(&w.replace('-', " "));
            terms.insert(tokens.join(" "));
        }
        Ok(BannedWords { terms })
    }

    /// The first banned word (as analysed) found in `text`.
    pub fn find(&self, text: &str) -> Option<String> {
        let words: Vec<String> = analyzer().words(text).into_iter().map(|w| w.term).collect();
        for (i, w) in words.iter().enumerate() {
            if self.terms.contains(w) {
                return Some(w.clone());
            }
            if let Some(next) = words.get(i + 1) {
                let pair = format!("{w} {next}");
                if self.terms.contains(&pair) {
                    return Some(pair);
                }
            }
        }
        None
    }
}

pub fn banned_words() -> &'static BannedWords {
    static WORDS: OnceLock<BannedWords> = OnceLock::new();
    WORDS.get_or_init(|| {
        BannedWords::from_json(include_str!("../banned_words.json"))
            .expect("search/banned_words.json is valid")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_of_a_banned_word_are_caught_and_innocent_text_is_not() {
        let b = banned_words();
        assert!(b.find("Vente COCAÏNE pure").is_some());
        assert!(b.find("حشيش للبيع").is_some());
        assert!(b.find("zatla mlih").is_some());
        assert!(b.find("faux billets de 2000 DA").is_some());
        assert!(b.find("billets de concert").is_none());
        assert!(b.find("Peugeot 208 béton armé").is_none());
        assert!(b.find("Pistolet à peinture Wagner").is_none());
    }
}
