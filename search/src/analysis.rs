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
    "تاع", "ديال", "lel", "fel", "bel", "3la", "للـ", "nhawes", "n7awes", "nhawas", "نحوس",
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
    /// Words whose accent carries the meaning (`meublé`, furnished, is not `meuble`,
    /// furniture): the written form (lowercase) → the token it stands for, before folding.
    #[serde(default)]
    accented: HashMap<String, String>,
    /// A query word that also looks for these (a buyer who types `meuble` may mean
    /// `meublé` without its accent).
    #[serde(default)]
    query_also: HashMap<String, Vec<String>>,
    /// Words after which a single letter is a model name (`classe c`, `série e`).
    #[serde(default)]
    model_prefixes: Vec<String>,
    /// Words that, first in a title, say the ad sells an accessory or a part of the thing it
    /// names (`coque iphone 13`), and in a query that the buyer wants one.
    #[serde(default)]
    accessories: Vec<String>,
    /// Words that say what an ad is without its name: an ad whose text holds one is indexed
    /// with these words too (`F3` is an apartment of three rooms).
    #[serde(default)]
    implies: HashMap<String, Vec<String>>,
}

pub struct Analyzer {
    /// Normalised variant → canonical token of its group.
    canonical: HashMap<String, String>,
    /// The canonical tokens themselves.
    heads: std::collections::HashSet<String>,
    /// The canonical tokens of brand and model names (the lexicon's `brands`).
    brands: std::collections::HashSet<String>,
    accented: Vec<(String, String)>,
    /// The non-ASCII letters of `accented`'s words, both cases.
    accent_letters: std::collections::HashSet<char>,
    query_also: HashMap<String, Vec<String>>,
    model_prefixes: std::collections::HashSet<String>,
    accessories: std::collections::HashSet<String>,
    implies: HashMap<String, Vec<String>>,
}

/// Two neighbouring words are tried as one when both are at most this long: a name split
/// in two (`ماك بوك`, `تي ماكس`, `play station`) is short halves.
const MAX_HALF_CHARS: usize = 7;

/// A name and its number written apart (`playstation 5`) are tried as one word whatever
/// the name's length, when the number is this short.
const MAX_NUMBER_CHARS: usize = 2;

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
        let brands = file
            .brands
            .iter()
            .filter_map(|g| g.first())
            .map(|w| normalize(w))
            .collect();
        let mut a = Analyzer {
            canonical,
            heads,
            brands,
            accent_letters: file
                .accented
                .keys()
                .flat_map(|w| w.chars())
                .filter(|c| !c.is_ascii())
                .flat_map(|c| c.to_lowercase().chain(c.to_uppercase()))
                .collect(),
            accented: file.accented.into_iter().collect(),
            query_also: HashMap::new(),
            model_prefixes: file.model_prefixes.iter().map(|w| normalize(w)).collect(),
            accessories: Default::default(),
            implies: HashMap::new(),
        };
        a.accessories = file.accessories.iter().flat_map(|w| a.tokens(w)).collect();
        a.implies = file
            .implies
            .iter()
            .filter_map(|(k, v)| {
                let word = a.words(k).into_iter().next()?;
                Some((word.term, v.iter().flat_map(|w| a.tokens(w)).collect()))
            })
            .collect();
        a.query_also = file
            .query_also
            .iter()
            .map(|(k, v)| (a.tokens(k).concat(), v.clone()))
            .collect();
        Ok(a)
    }

    /// Is `term` (analysed) a word naming an accessory or a part (`coque`, `phare`, `شاحن`)?
    pub fn is_accessory(&self, term: &str) -> bool {
        self.accessories.contains(term)
    }

    /// Terms an ad holding `term` is also indexed under (`implies` in the lexicon).
    pub fn implied(&self, term: &str) -> &[String] {
        self.implies.get(term).map_or(&[], Vec::as_slice)
    }

    /// Terms a query word also looks for (`query_also` in the lexicon).
    pub fn also(&self, term: &str) -> &[String] {
        self.query_also.get(term).map_or(&[], Vec::as_slice)
    }

    /// `text` lowercased, with the accent-bearing words of the lexicon replaced by their
    /// tokens (whole words only), so folding does not merge them with their unaccented twin.
    fn unfold_accented<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        // Most texts hold none of the letters that tell those words apart: no copy then.
        if !text.chars().any(|c| self.accent_letters.contains(&c)) {
            return std::borrow::Cow::Borrowed(text);
        }
        let mut lowered = text.to_lowercase();
        for (written, token) in &self.accented {
            if !lowered.contains(written.as_str()) {
                continue;
            }
            let mut out = String::with_capacity(lowered.len());
            let mut rest = lowered.as_str();
            while let Some(at) = rest.find(written.as_str()) {
                let end = at + written.len();
                let before = rest[..at].chars().next_back();
                let after = rest[end..].chars().next();
                let whole = !before.is_some_and(char::is_alphanumeric)
                    && !after.is_some_and(char::is_alphanumeric);
                out.push_str(&rest[..at]);
                out.push_str(if whole { token } else { written });
                rest = &rest[end..];
            }
            out.push_str(rest);
            lowered = out;
        }
        std::borrow::Cow::Owned(lowered)
    }

    /// The searchable words of `text`, in order.
    pub fn words(&self, text: &str) -> Vec<Word> {
        let normalized = normalize(&self.unfold_accented(text));
        let raws: Vec<&str> = normalized
            .split(|c: char| !c.is_alphanumeric())
            .filter(|r| !r.is_empty() && r.chars().count() <= MAX_TOKEN_CHARS)
            .collect();
        let mut out = Vec::new();
        let mut glued = String::new();
        let mut i = 0;
        while i < raws.len() {
            let raw = raws[i];
            i += 1;
            // A name split in two, whole in the lexicon (`ماك بوك` is `ماكبوك`, `playstation 5`
            // is `ps5`). One buffer for every pair tried: this runs on every word of every ad
            // indexed. The halves are its parts, as a glued word's are.
            if let Some(next) = raws.get(i) {
                let halves =
                    raw.chars().count() <= MAX_HALF_CHARS && next.chars().count() <= MAX_HALF_CHARS;
                let numbered = next.len() <= MAX_NUMBER_CHARS
                    && next.bytes().all(|b| b.is_ascii_digit())
                    && !raw.bytes().any(|b| b.is_ascii_digit());
                if halves || numbered {
                    glued.clear();
                    glued.push_str(raw);
                    glued.push_str(next);
                    if let Some(term) = self.canonical.get(glued.as_str()) {
                        out.push(Word {
                            term: term.clone(),
                            parts: [raw, next].iter().filter_map(|h| self.resolve(h)).collect(),
                            raw: glued.clone(),
                        });
                        i += 1;
                        continue;
                    }
                }
            }
            // One letter after `classe` or `série` is the model (`classe c`), not noise.
            let model_letter =
                raw.chars().count() == 1 && i >= 2 && self.model_prefixes.contains(raws[i - 2]);
            if model_letter {
                out.push(Word {
                    term: raw.to_string(),
                    parts: Vec::new(),
                    raw: raw.to_string(),
                });
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

    /// Each word of the lexicon (normalised) with the token its group is indexed as.
    pub fn variants(&self) -> impl Iterator<Item = (&str, &str)> {
        self.canonical.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Is `raw` (a normalised word as written) a lexicon word, as written or stemmed?
    pub fn is_variant(&self, raw: &str) -> bool {
        self.canonical.contains_key(raw) || self.canonical.contains_key(&stem(raw))
    }

    /// Is `term` (analysed) a brand or model name the lexicon knows (`samsung`, `clio`)?
    pub fn is_brand(&self, term: &str) -> bool {
        self.brands.contains(term)
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

pub(crate) fn is_arabic(c: char) -> bool {
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

    #[test]
    fn roman_model_numbers_are_numbers() {
        assert_eq!(toks("Clio IV"), toks("clio 4"));
        assert_eq!(toks("Golf VII"), toks("golf 7"));
    }

    #[test]
    fn an_f_number_is_an_apartment() {
        let f3 = &analyzer().words("F3")[0].term;
        assert_eq!(analyzer().implied(f3), toks("appartement").as_slice());
        assert!(analyzer().implied("appartement").is_empty());
    }

    #[test]
    fn model_words_meet_across_scripts() {
        assert_eq!(toks("ايفون 13 برو ماكس"), toks("iPhone 13 Pro Max"));
        assert_eq!(toks("ريدمي نوت 12"), toks("Redmi Note 12"));
        assert_eq!(toks("سامسونج S24 الترا"), toks("Samsung S24 Ultra"));
    }

    #[test]
    fn a_name_and_its_number_written_apart_are_the_model() {
        let ps5 = toks("PS5");
        for written in ["playstation 5", "بلايستيشن 5", "play 5"] {
            let t = toks(written);
            assert_eq!(t[0], ps5[0], "{written}: {t:?}");
            // The halves are indexed too: `playstation` still finds it.
            assert!(t.contains(&"5".to_string()), "{written}: {t:?}");
        }
        assert_eq!(toks("iphone 13"), vec!["iphone", "13"]);
    }
}
