//! A sound key shared by Latin and Arabic spellings of one word: the consonant skeleton, with
//! letters grouped by how Algerians write the same sound in either script. `toyota`, `تويوتا`
//! and `طيوطا` all become `TT`; `adidas` and `أديداس` become `DDS`; `nqi`, `n9i` and `نقي` become
//! `NK`. Vowels (and the letters that stand for long vowels: ا و ي) and the gutturals Latin
//! spellings usually leave out (h, ه ح ع ء) are dropped, and a sound written twice in a row counts once.
//!
//! A key is coarse on purpose: it recalls spellings no lexicon lists, at the price of false
//! friends, so it is indexed in a field of its own and only consulted for words the exact
//! terms do not find (see `query::text_query`), with a low weight.

/// Bump when the keys change: indexes built under other rules are rebuilt.
pub const RULES_VERSION: u32 = 1;

/// Stands for a `g` (or غ) read as `k` in a spelling variant.
const HARD_G: char = '\u{1}';

/// Keys shorter than this say too little (`kia` → `K` would match every word with one k).
const MIN_KEY_LEN: usize = 2;
/// Longer keys are not words people mistype by ear.
const MAX_KEY_LEN: usize = 12;

/// The sound keys of one analysed (normalised) word: usually one, two where a Latin spelling
/// reads two ways (`x` as `ks` or `sh`; a final `t`, `s`, `d` or `x` silent in French, as in
/// `peugeot`, or not). Words with digits other than the Arabizi letters (`3` ع, `7` ح, `9` ق,
/// `5` خ, `2` ء) are model numbers: exact only, no key.
pub fn sound_keys(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    if chars
        .iter()
        .any(|c| c.is_ascii_digit() && !matches!(c, '2' | '3' | '5' | '7' | '9'))
        || !chars.iter().any(|c| c.is_alphabetic())
    {
        return Vec::new();
    }
    let mut variants = vec![chars.clone()];
    let latin = chars.iter().all(|c| c.is_ascii());
    if latin {
        if let Some(&last) = chars.last() {
            let before = chars.len().checked_sub(2).map(|i| chars[i]);
            if matches!(last, 't' | 's' | 'd' | 'x') && before.is_some_and(is_vowel) {
                variants.push(chars[..chars.len() - 1].to_vec());
            }
        }
        // A hard `g` (`golf`, `galaxy`) is written ق, ك, غ or ج in Arabic letters: the key
        // reads it both as `k` and as `j`.
        let hard_g: Vec<usize> = (0..chars.len())
            .filter(|&i| {
                chars[i] == 'g'
                    && !is_front_vowel(chars.get(i + 1).copied())
                    && chars.get(i + 1) != Some(&'h')
            })
            .collect();
        if !hard_g.is_empty() {
            let as_k: Vec<Vec<char>> = variants
                .iter()
                .map(|v| {
                    let mut v = v.clone();
                    for &i in &hard_g {
                        if i < v.len() {
                            v[i] = HARD_G;
                        }
                    }
                    v
                })
                .collect();
            variants.extend(as_k);
        }
        if chars.contains(&'x') {
            let as_sh: Vec<Vec<char>> = variants
                .iter()
                .map(|v| {
                    v.iter()
                        .map(|&c| if c == 'x' { '\u{0}' } else { c })
                        .collect()
                })
                .collect();
            variants.extend(as_sh);
        }
    }
    // غ is `gh` (غالي, ghali) or a hard `g` (غالاكسي): both readings.
    if chars.contains(&'غ') {
        variants.push(
            chars
                .iter()
                .map(|&c| if c == 'غ' { HARD_G } else { c })
                .collect(),
        );
    }
    let mut keys: Vec<String> = variants.iter().filter_map(|v| skeleton(v)).collect();
    keys.sort();
    keys.dedup();
    keys
}

fn skeleton(chars: &[char]) -> Option<String> {
    let mut key = String::new();
    let mut last: Option<char> = None;
    // A sound written twice in a row (`ss`, or one Arabic letter under a shadda) counts once;
    // the same sound again after a vowel is a second syllable (`toyota`, `adidas`).
    let mut separated = false;
    let mut i = 0;
    while i < chars.len() {
        let (classes, used) = class_at(chars, i);
        i += used;
        if classes.is_empty() {
            separated = true;
            continue;
        }
        for c in classes.chars() {
            if last != Some(c) || separated {
                key.push(c);
            }
            last = Some(c);
            separated = false;
        }
    }
    let n = key.chars().count();
    (MIN_KEY_LEN..=MAX_KEY_LEN).contains(&n).then_some(key)
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
}

/// The sound classes at `chars[i]` (none for a vowel, two for `x`) and how many characters
/// they used (digraphs use two).
fn class_at(chars: &[char], i: usize) -> (&'static str, usize) {
    let c = chars[i];
    let next = chars.get(i + 1).copied();
    // Latin digraphs first.
    match (c, next) {
        ('c' | 's', Some('h')) => return ("X", 2),
        ('d', Some('j')) | ('t', Some('j')) => return ("J", 2),
        ('k', Some('h')) => return ("K", 2),
        ('g', Some('h')) => return ("J", 2),
        ('p', Some('h')) => return ("F", 2),
        ('t', Some('h')) => return ("T", 2),
        ('q', Some('u')) if is_front_vowel(chars.get(i + 2).copied()) => return ("K", 2),
        // `gu` before e/i is a hard g: `K` or `J` like any (see `sound_keys`).
        ('g', Some('u')) if is_front_vowel(chars.get(i + 2).copied()) => return ("J", 2),
        ('c', Some('k')) => return ("K", 2),
        _ => {}
    }
    let class = match c {
        // `x` read as `sh` (`xiaomi`, شاومي): see `sound_keys`.
        '\u{0}' => "X",
        HARD_G => "K",
        // Latin.
        'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'h' => "",
        'b' | 'p' => "B",
        'c' => {
            if is_front_vowel(next) {
                "S"
            } else {
                "K"
            }
        }
        'k' | 'q' => "K",
        'd' => "D",
        't' => "T",
        'f' | 'v' | 'w' => "F",
        // In French `g` before e/i sounds like `j`, and Algerian spellings use g, j, dj and ج
        // for one sound: they share a class (غ too, written `gh` or `g`).
        'g' | 'j' => "J",
        'l' => "L",
        'm' => "M",
        'n' => "N",
        'r' => "R",
        's' | 'z' => "S",
        'x' => "KS",
        // Arabizi digits.
        '9' | '5' => "K",
        '2' | '3' | '7' => "",
        // Arabic (after `analysis::normalize`: alef forms, yeh and teh marbuta already folded).
        'ا' | 'و' | 'ي' | 'ه' | 'ح' | 'ع' | 'ء' => "",
        'ب' | 'پ' => "B",
        'ت' | 'ط' | 'ث' => "T",
        'ج' | 'غ' => "J",
        'خ' | 'ق' | 'ك' => "K",
        'د' | 'ض' | 'ذ' | 'ظ' => "D",
        'ر' => "R",
        'ز' | 'س' | 'ص' => "S",
        'ش' | 'چ' => "X",
        'ف' | 'ڤ' => "F",
        'ل' => "L",
        'م' => "M",
        'ن' => "N",
        _ => "",
    };
    (class, 1)
}

fn is_front_vowel(c: Option<char>) -> bool {
    matches!(c, Some('e' | 'i' | 'y'))
}

#[cfg(test)]
mod tests {
    use super::sound_keys;
    use crate::analysis::normalize;

    fn key(w: &str) -> Vec<String> {
        sound_keys(&normalize(w))
    }

    fn meet(a: &str, b: &str) -> bool {
        let kb = key(b);
        key(a).iter().any(|k| kb.contains(k))
    }

    #[test]
    fn spellings_of_one_name_share_a_key() {
        for group in [
            &["toyota", "تويوتا", "طويوطا", "تيوتا"][..],
            &["peugeot", "بيجو", "بوجو", "pijo"][..],
            &["chevrolet", "شيفروليه", "شوفرولي", "شفرولي"][..],
            &["adidas", "أديداس", "اديداس"][..],
            &["samsung", "سامسونج", "سامسونغ"][..],
            &["note", "نوت"][..],
            &["nqi", "n9i", "نقي"][..],
            &["volkswagen", "فولكسفاجن"][..],
            &["galaxy", "جالاكسي", "غالاكسي", "قالاكسي"][..],
            &["golf", "كولف", "قولف", "جولف", "غولف"][..],
            &["burnous", "برنوس"][..],
        ] {
            for w in &group[1..] {
                assert!(
                    meet(group[0], w),
                    "{} {:?} / {w} {:?}",
                    group[0],
                    key(group[0]),
                    key(w)
                );
            }
        }
    }

    #[test]
    fn different_names_differ() {
        assert!(!meet("toyota", "nissan"));
        assert!(!meet("peugeot", "renault"));
        assert!(!meet("samsung", "xiaomi"));
        assert!(meet("xiaomi", "شاومي"));
    }

    #[test]
    fn model_numbers_and_short_words_have_no_key() {
        for w in ["208", "clio4", "kia", "eau"] {
            assert!(key(w).is_empty(), "{w}: {:?}", key(w));
        }
    }
}
