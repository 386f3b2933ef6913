//! Text analysis for Algerian classifieds: Arabic, French and Darija written in Latin letters.
//! One function, `Analyzer::tokens`, serves indexing and querying alike, so both sides always
//! agree. Word lists (brands across scripts, everyday synonyms) are data: `lexicon.json`.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// Words a query may hold that say nothing of the ad sought (normalised): French, English,
/// Arabic and Darija articles, prepositions and conjunctions.
const STOP_WORDS: &[&str] = &[
    "le", "la", "les", "de", "des", "du", "un", "une", "et", "en", "au", "aux", "pour", "avec",
    "sur", "par", "dans", "the", "an", "of", "for", "and", "with", "in", "on", "to", "at", "fi",
    "m3a", "ta3", "dyal", "dial", "في", "من", "عن", "إلى", "الى", "مع", "و", "او", "ف", "متاع",
    "تاع", "ديال",
];

/// Is `word` (normalised) one of `STOP_WORDS` (compared normalised too: `إلى` is `الي`)?
pub fn is_stop_word(word: &str) -> bool {
    static SET: OnceLock<std::collections::HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.iter().map(|w| normalize(w)).collect())
        .contains(word)
}

/// Longer "words" are pasted links or keyboard mashing, not search terms.
const MAX_TOKEN_CHARS: usize = 40;

#[derive(Debug, Deserialize)]
struct LexiconFile {
    brands: Vec<Vec<String>>,
    words: Vec<Vec<String>>,
}

pub struct Analyzer {
    /// Normalised variant → canonical token of its group.
    canonical: HashMap<String, String>,
    /// The canonical tokens themselves.
    heads: std::collections::HashSet<String>,
}

/// One analysed token. `alternatives` holds the pieces of a letters-and-digits token
/// (`clio4` → `clio`, `4`), which must match together when the whole does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub term: String,
    pub parts: Vec<String>,
    /// The word as written (normalised, before the lexicon and stemming): its sound keys
    /// come from it (`burnous` keeps the `s` its stem drops, as `برنوس` does).
    pub raw: String,
}

impl Analyzer {
    pub fn from_json(json: &str) -> Result<Analyzer, String> {
        let file: LexiconFile = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut canonical = HashMap::new();
        for group in file.brands.iter().chain(file.words.iter()) {
            let Some(first) = group.first() else { continue };
            let head = normalize(first);
            for variant in group {
                let key = normalize(variant);
                if key.is_empty() {
                    continue;
                }
                // Multi-token variants ("mercedes-benz") map each of their words.
                for piece in key
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|p| !p.is_empty())
                {
                    canonical
                        .entry(piece.to_string())
                        .or_insert_with(|| head.clone());
                }
            }
        }
        let heads = canonical.values().cloned().collect();
        Ok(Analyzer { canonical, heads })
    }

    /// The searchable words of `text`, in order.
    pub fn words(&self, text: &str) -> Vec<Word> {
        let normalized = normalize(text);
        let mut out = Vec::new();
        for raw in normalized.split(|c: char| !c.is_alphanumeric()) {
            if raw.is_empty() || raw.chars().count() > MAX_TOKEN_CHARS {
                continue;
            }
            if let Some(term) = self.resolve(raw) {
                let parts = split_letters_digits(raw);
                let parts = if parts.len() > 1 && !self.canonical.contains_key(raw) {
                    parts.iter().filter_map(|p| self.resolve(p)).collect()
                } else {
                    Vec::new()
                };
                out.push(Word {
                    term,
                    parts,
                    raw: raw.to_string(),
                });
            }
        }
        out
    }

    /// The words of a query: `words` without the little words (articles, prepositions) that
    /// would otherwise have to appear in the ad, unless nothing else is left.
    pub fn query_words(&self, text: &str) -> Vec<Word> {
        let all = self.words(text);
        let meaningful: Vec<Word> = all
            .iter()
            .filter(|w| !is_stop_word(&w.raw))
            .cloned()
            .collect();
        if meaningful.is_empty() {
            all
        } else {
            meaningful
        }
    }

    /// Every term to index for `text`: each word and, for glued words, their pieces too.
    pub fn tokens(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for w in self.words(text) {
            out.push(w.term);
            out.extend(w.parts);
        }
        out
    }

    /// Lexicon first, then light stemming and the lexicon again. `None` for noise (single
    /// Latin letters left over from elisions such as l', d', j').
    fn resolve(&self, token: &str) -> Option<String> {
        if let Some(c) = self.canonical.get(token) {
            return Some(c.clone());
        }
        let mut chars = token.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            if c.is_ascii_alphabetic() {
                return None;
            }
        }
        let stemmed = stem(token);
        Some(self.canonical.get(&stemmed).cloned().unwrap_or(stemmed))
    }

    /// Is `token` (already analysed) a canonical lexicon entry? Fuzzy matching skips those:
    /// they are exact by construction.
    pub fn is_canonical(&self, token: &str) -> bool {
        self.heads.contains(token)
    }
}

/// Characters to their comparable form: lowercase, French accents folded, Arabic diacritics
/// and tatweel removed, alef/yeh/teh marbuta/hamza carriers unified, Eastern digits Western.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' | '\u{06D6}'..='\u{06ED}' => {}
            'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
            'ى' => out.push('ي'),
            'ة' => out.push('ه'),
            'ؤ' => out.push('و'),
            'ئ' => out.push('ي'),
            'گ' => out.push('ك'),
            'ڤ' => out.push('ف'),
            '\u{0660}'..='\u{0669}' => out.push(char::from(b'0' + (c as u32 - 0x0660) as u8)),
            '\u{06F0}'..='\u{06F9}' => out.push(char::from(b'0' + (c as u32 - 0x06F0) as u8)),
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ä' | 'Ã' | 'Å' => {
                out.push('a')
            }
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => out.push('e'),
            'î' | 'ï' | 'í' | 'ì' | 'Î' | 'Ï' | 'Í' | 'Ì' => out.push('i'),
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' | 'Ô' | 'Ö' | 'Ó' | 'Ò' | 'Õ' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' | 'Ù' | 'Û' | 'Ü' | 'Ú' => out.push('u'),
            'ç' | 'Ç' => out.push('c'),
            'ñ' | 'Ñ' => out.push('n'),
            'ÿ' | 'Ÿ' => out.push('y'),
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

fn is_arabic(c: char) -> bool {
    ('\u{0600}'..='\u{06FF}').contains(&c)
}

/// `clio4` → [`clio`, `4`]; `208gt` → [`208`, `gt`]; a word of one kind stays whole.
fn split_letters_digits(token: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut last_digit: Option<bool> = None;
    for c in token.chars() {
        let d = c.is_ascii_digit();
        if last_digit != Some(d) {
            parts.push(String::new());
            last_digit = Some(d);
        }
        if let Some(p) = parts.last_mut() {
            p.push(c);
        }
    }
    parts
}

/// Light stemming: French plurals; Arabic definite article and feminine plural. Mild on
/// purpose: a wrong conflation costs more in a marketplace than a missed plural.
fn stem(token: &str) -> String {
    let n = token.chars().count();
    if token.chars().any(is_arabic) {
        let mut t = token;
        for prefix in ["وال", "بال", "كال", "فال", "لل", "ال"] {
            if let Some(rest) = t.strip_prefix(prefix) {
                if rest.chars().count() >= 3 {
                    t = rest;
                    break;
                }
            }
        }
        if let Some(rest) = t.strip_suffix("ات") {
            if rest.chars().count() >= 3 {
                t = rest;
            }
        }
        return t.to_string();
    }
    if n > 3 && token.chars().all(|c| c.is_ascii_alphabetic()) {
        if let Some(rest) = token.strip_suffix("aux") {
            return format!("{rest}al");
        }
        if let Some(rest) = token.strip_suffix('s').or_else(|| token.strip_suffix('x')) {
            if !rest.ends_with('s') {
                return rest.to_string();
            }
        }
    }
    token.to_string()
}

pub(crate) const LEXICON_JSON: &str = include_str!("../lexicon.json");

pub fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(|| Analyzer::from_json(LEXICON_JSON).expect("search/lexicon.json is valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        analyzer().tokens(s)
    }

    #[test]
    fn arabic_variants_meet() {
        assert_eq!(toks("سيّارةٌ"), toks("سياره"));
        assert_eq!(toks("أرض"), toks("ارض"));
        assert_eq!(toks("مستشفى"), toks("مستشفي"));
        assert_eq!(toks("جـــديد"), toks("جديد"));
        assert_eq!(toks("٢٠١٩"), vec!["2019"]);
        assert_eq!(toks("السيارات"), toks("سيارة"));
    }

    #[test]
    fn french_is_folded_and_elisions_dropped() {
        assert_eq!(
            toks("L'Appartement Très Propre"),
            toks("appartement tres propre")
        );
        assert_eq!(toks("d'occasion"), toks("occasion"));
        assert_eq!(toks("voitures"), toks("voiture"));
    }

    #[test]
    fn glued_letters_and_digits_also_index_their_pieces() {
        let t = toks("Clio4");
        assert!(
            t.contains(&"clio4".to_string()) || t.contains(&"clio".to_string()),
            "{t:?}"
        );
        assert!(t.contains(&"4".to_string()), "{t:?}");
    }

    #[test]
    fn brands_meet_across_scripts() {
        assert_eq!(toks("بيجو"), toks("Peugeot"));
        assert_eq!(toks("مرسيدس"), toks("mercedes"));
        assert_eq!(toks("سامسونج"), toks("samsung"));
        assert_eq!(toks("ايفون"), toks("iPhone"));
    }

    #[test]
    fn everyday_words_meet_across_scripts() {
        assert_eq!(toks("سيارة"), toks("voiture"));
        assert_eq!(toks("كراء"), toks("location"));
        assert_eq!(toks("جديد"), toks("neuf"));
    }
}
