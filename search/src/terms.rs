//! The terms an ad is indexed under that a query also builds (the peer key of fair prices,
//! the brand-and-model term of suggestions): written once, used by `doc` when indexing and by
//! the query-time modules when looking up.

use crate::analysis::{analyzer, normalize};
use crate::signals::feature_hash;

/// Model words with a longer run of digits look like phone numbers, not models.
const MAX_MODEL_DIGITS: usize = 5;

/// The indexed term of a peer key.
pub fn peer_term(key: &str) -> u64 {
    feature_hash(key.as_bytes(), 7)
}

/// The indexed `model` term of a brand and a model as typed (`doc::to_document`): the brand's
/// lexicon spelling and the model's normalised words, joined by `_`.
pub fn model_term(brand: &str, model: &str) -> Option<String> {
    if brand == "other" {
        return None;
    }
    let a = analyzer();
    let brand = a.tokens(brand).into_iter().next()?;
    let words: Vec<String> = normalize(model)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(String::from)
        .filter(|w| a.tokens(w).first() != Some(&brand))
        .take(4)
        .collect();
    let digits = |w: &String| {
        w.split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0)
    };
    if words.is_empty()
        || words
            .iter()
            .any(|w| digits(w) > MAX_MODEL_DIGITS || w.len() > 24)
    {
        return None;
    }
    Some(format!("{brand}_{}", words.join("_")))
}
