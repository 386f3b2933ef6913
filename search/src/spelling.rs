//! Slips of the keyboard on words the lexicon knows: `frigidair`, `climatiseru`, `machien`.
//! The index holds a lexicon word under its group's canonical token (`frigidaire` is
//! `refrigerateur`), so one typo away from the written word is many edits away from what was
//! indexed, and typo-tolerant matching on index terms cannot find it. This module finds the
//! lexicon word one edit (or one swap of neighbours) away from what the buyer typed, by the
//! one-deletion neighbourhoods of both (the symmetric-deletion method), and gives its token.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::analysis::{analyzer, is_arabic};

/// Shorter words have too many neighbours one edit away to guess which was meant.
const MIN_LATIN_CHARS: usize = 5;
/// Arabic script writes short vowels not at all: a word is fewer letters.
const MIN_ARABIC_CHARS: usize = 4;

/// Every lexicon variant (normalised, as written), by itself and by each one-letter deletion
/// of it, with the token its group is indexed as.
struct Neighbourhoods {
    variants: Vec<(Vec<char>, String)>,
    by_key: HashMap<String, Vec<usize>>,
}

fn deletions(word: &[char]) -> impl Iterator<Item = String> + '_ {
    (0..word.len()).map(move |i| {
        word.iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, c)| c)
            .collect()
    })
}

fn long_enough(word: &[char]) -> bool {
    let arabic = word.iter().any(|c| is_arabic(*c));
    word.len()
        >= if arabic {
            MIN_ARABIC_CHARS
        } else {
            MIN_LATIN_CHARS
        }
}

fn neighbourhoods() -> &'static Neighbourhoods {
    static N: OnceLock<Neighbourhoods> = OnceLock::new();
    N.get_or_init(|| {
        let mut variants = Vec::new();
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (variant, token) in analyzer().variants() {
            let chars: Vec<char> = variant.chars().collect();
            // A short variant (`pc`, `tv`) is one edit from too many words.
            if chars.len() + 1 < MIN_ARABIC_CHARS || chars.iter().any(char::is_ascii_digit) {
                continue;
            }
            let at = variants.len();
            for key in std::iter::once(variant.to_string()).chain(deletions(&chars)) {
                let slot = by_key.entry(key).or_default();
                if !slot.contains(&at) {
                    slot.push(at);
                }
            }
            variants.push((chars, token.to_string()));
        }
        Neighbourhoods { variants, by_key }
    })
}

/// Whether `a` and `b` differ by exactly one edit: a letter added, dropped or replaced, or two
/// neighbouring letters swapped.
fn one_edit(a: &[char], b: &[char]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    match long.len() - short.len() {
        0 => {
            let differ: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
            match differ.as_slice() {
                [_] => true,
                [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
                _ => false,
            }
        }
        1 => {
            let first = (0..short.len())
                .find(|&i| short[i] != long[i])
                .unwrap_or(short.len());
            short[first..] == long[first + 1..]
        }
        _ => false,
    }
}

/// The token of the lexicon word one slip away from `raw` (a normalised word as written),
/// when there is exactly one such token and `raw` is not a lexicon word itself.
pub fn lexicon_word_near(raw: &str) -> Option<&'static str> {
    let chars: Vec<char> = raw.chars().collect();
    if !long_enough(&chars) || analyzer().is_variant(raw) {
        return None;
    }
    let n = neighbourhoods();
    let mut found: Option<&'static str> = None;
    for key in std::iter::once(raw.to_string()).chain(deletions(&chars)) {
        for &at in n.by_key.get(&key).into_iter().flatten() {
            let (variant, token) = &n.variants[at];
            if !one_edit(&chars, variant) {
                continue;
            }
            match found {
                Some(t) if t != token => return None,
                _ => found = Some(token.as_str()),
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slip_finds_the_lexicon_word() {
        let fridge = analyzer().tokens("frigidaire").concat();
        assert_eq!(lexicon_word_near("frigidair"), Some(fridge.as_str()));
        let ac = analyzer().tokens("climatiseur").concat();
        assert_eq!(lexicon_word_near("climatiseru"), Some(ac.as_str()));
        assert_eq!(lexicon_word_near("renualt"), Some("renault"));
    }

    #[test]
    fn known_short_and_far_words_are_left_alone() {
        assert_eq!(lexicon_word_near("frigidaire"), None);
        assert_eq!(lexicon_word_near("frgo"), None);
        assert_eq!(lexicon_word_near("bicyclettes2"), None);
        assert_eq!(lexicon_word_near("appartementxyz"), None);
    }

    #[test]
    fn one_edit_counts_a_swap_as_one() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert!(one_edit(&c("climatiseru"), &c("climatiseur")));
        assert!(one_edit(&c("frigidair"), &c("frigidaire")));
        assert!(one_edit(&c("renualt"), &c("renault")));
        assert!(!one_edit(&c("renualt"), &c("renaul")));
        assert!(!one_edit(&c("abcd"), &c("badc")));
    }
}
