//! Suggestions as you type: brands, models, categories and places whose name (in any script
//! and spelling the lexicon knows) starts with what was typed, or nearly (one slip from the
//! fourth letter), with how many active ads each would find. The list is built from the index
//! in the background (`SuggestCache`) and answered from memory: a binary search over sorted
//! keys, then a scan only when the exact prefixes leave the page short.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use souk_domain::{catalog, geography};
use tantivy::{Searcher, Term};

use crate::analysis::{normalize, LEXICON_JSON};
use crate::schema::{Dictionary, Fields};

/// Suggestions are rebuilt at most this often (counts may lag by as much).
const REFRESH: Duration = Duration::from_secs(60);
/// A model is suggested once this many sellers' live ads name it: one seller's spelling is
/// noise and could be personal (a number or a name typed into the model field).
const MIN_MODEL_SELLERS: usize = 3;
/// Only ads of accounts with a confirmed address at least this old count towards a model:
/// three throwaway accounts put any word into everyone's suggestions within seconds.
pub const SUGGEST_MIN_ACCOUNT_DAYS: u64 = 7;
/// Models kept, the most common first.
const MAX_MODELS: usize = 20_000;
/// Prefixes this long or longer also match with one slip.
const FUZZY_FROM_CHARS: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    Brand,
    Model,
    Category,
    Place,
}

impl SuggestionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SuggestionKind::Brand => "brand",
            SuggestionKind::Model => "model",
            SuggestionKind::Category => "category",
            SuggestionKind::Place => "place",
        }
    }
}

/// One completion: what to show, what kind of thing it is, how many ads it finds, and the
/// search it stands for.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub text: String,
    pub kind: SuggestionKind,
    pub count: u64,
    /// Words to search (brands and models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wilaya: Option<i32>,
}

/// The reader's language for names that have one per language (categories).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ar,
    Fr,
    En,
}

struct Entry {
    /// Display in Arabic script and in Latin letters (French, English).
    ar: String,
    fr: String,
    en: String,
    kind: SuggestionKind,
    count: u64,
    q: Option<String>,
    category: Option<String>,
    wilaya: Option<i32>,
}

/// Every entry under each of its normalised names, sorted by name.
#[derive(Default)]
pub struct Suggestions {
    entries: Vec<Entry>,
    keys: Vec<(String, usize)>,
}

#[derive(Deserialize)]
struct Brands {
    brands: Vec<Vec<String>>,
}

fn is_arabic_text(s: &str) -> bool {
    s.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

fn title_case(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) if f.is_ascii_lowercase() => {
                    f.to_ascii_uppercase().to_string() + c.as_str()
                }
                Some(f) => f.to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl Suggestions {
    /// Built from what the index holds now.
    pub fn build(searcher: &Searcher, fields: &Fields, dict: &Dictionary) -> Suggestions {
        let df = |t: Term| searcher.doc_freq(&t).unwrap_or(0);
        let mut entries: Vec<Entry> = Vec::new();
        let mut names: Vec<Vec<String>> = Vec::new();
        let brands: Brands =
            serde_json::from_str(LEXICON_JSON).unwrap_or(Brands { brands: Vec::new() });
        // Brand head (lexicon spelling) → its Arabic name, for models.
        let mut arabic_of: HashMap<String, String> = HashMap::new();
        for group in &brands.brands {
            let Some(head) = group.first().map(|h| normalize(h)) else {
                continue;
            };
            let count = df(Term::from_field_text(fields.text, &head));
            let ar = group
                .iter()
                .find(|v| is_arabic_text(v))
                .cloned()
                .unwrap_or_else(|| title_case(&head));
            arabic_of.insert(head.clone(), ar.clone());
            if count == 0 {
                continue;
            }
            entries.push(Entry {
                ar,
                fr: title_case(&head),
                en: title_case(&head),
                kind: SuggestionKind::Brand,
                count,
                q: Some(head.clone()),
                category: None,
                wilaya: None,
            });
            names.push(group.iter().map(|v| normalize(v)).collect());
        }
        // Models: the `model` terms of the index named by enough sellers' live ads, the
        // commonest first (deleted documents and one seller's many ads do not count).
        let mut models: HashMap<String, u64> = HashMap::new();
        let mut sellers: HashMap<String, HashSet<u64>> = HashMap::new();
        let vouched_before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .saturating_sub(SUGGEST_MIN_ACCOUNT_DAYS * 86_400);
        for segment in searcher.segment_readers() {
            let schema = segment.schema();
            let fast = segment.fast_fields();
            let (Ok(inverted), Ok(seller), Ok(since)) = (
                segment.inverted_index(fields.model),
                fast.u64(schema.get_field_name(fields.seller)),
                fast.u64(schema.get_field_name(fields.seller_since)),
            ) else {
                continue;
            };
            let alive = segment.alive_bitset();
            let Ok(mut stream) = inverted.terms().stream() else {
                continue;
            };
            while stream.advance() {
                let Ok(term) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                // A word banned after the ad was posted never becomes a suggestion.
                if crate::content::banned_words()
                    .find(&term.replace('_', " "))
                    .is_some()
                {
                    continue;
                }
                let Ok(mut postings) = inverted.read_postings_from_terminfo(
                    stream.value(),
                    tantivy::schema::IndexRecordOption::Basic,
                ) else {
                    continue;
                };
                let by = sellers.entry(term.to_string()).or_default();
                let mut live = 0;
                let mut doc = tantivy::DocSet::doc(&postings);
                while doc != tantivy::TERMINATED {
                    let vouched = since.first(doc).is_some_and(|s| s <= vouched_before);
                    if vouched && alive.is_none_or(|a| a.is_alive(doc)) {
                        live += 1;
                        if by.len() < MIN_MODEL_SELLERS {
                            by.extend(seller.first(doc));
                        }
                    }
                    doc = tantivy::DocSet::advance(&mut postings);
                }
                *models.entry(term.to_string()).or_default() += live;
            }
        }
        let mut models: Vec<(String, u64)> = models
            .into_iter()
            .filter(|(t, _)| sellers.get(t).is_some_and(|s| s.len() >= MIN_MODEL_SELLERS))
            .collect();
        models.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        models.truncate(MAX_MODELS);
        for (term, count) in models {
            let mut words = term.split('_');
            let Some(brand) = words.next() else { continue };
            let model = words.collect::<Vec<_>>().join(" ");
            let latin = title_case(&format!("{brand} {model}"));
            let ar = match arabic_of.get(brand) {
                Some(b) if is_arabic_text(b) => format!("{b} {model}"),
                _ => latin.clone(),
            };
            let q = format!("{brand} {model}");
            names.push(vec![normalize(&q), normalize(&ar), normalize(&model)]);
            entries.push(Entry {
                ar,
                fr: latin.clone(),
                en: latin,
                kind: SuggestionKind::Model,
                count,
                q: Some(q),
                category: None,
                wilaya: None,
            });
        }
        for c in catalog().all() {
            let Some(ord) = dict.category_ord(&c.slug) else {
                continue;
            };
            let count = df(Term::from_field_u64(fields.cat, ord));
            if count == 0 {
                continue;
            }
            names.push(vec![
                normalize(&c.name.ar),
                normalize(&c.name.fr),
                normalize(&c.name.en),
            ]);
            entries.push(Entry {
                ar: c.name.ar.clone(),
                fr: c.name.fr.clone(),
                en: c.name.en.clone(),
                kind: SuggestionKind::Category,
                count,
                q: None,
                category: Some(c.slug.clone()),
                wilaya: None,
            });
        }
        for w in geography().wilayas() {
            let count = df(Term::from_field_u64(fields.wilaya, w.code as u64));
            if count == 0 {
                continue;
            }
            names.push(vec![normalize(&w.name_latin), normalize(&w.name_ar)]);
            entries.push(Entry {
                ar: w.name_ar.clone(),
                fr: w.name_latin.clone(),
                en: w.name_latin.clone(),
                kind: SuggestionKind::Place,
                count,
                q: None,
                category: None,
                wilaya: Some(w.code),
            });
        }
        let mut keys = Vec::new();
        for (i, ns) in names.into_iter().enumerate() {
            let distinct: HashSet<String> = ns.into_iter().filter(|n| !n.is_empty()).collect();
            keys.extend(distinct.into_iter().map(|n| (n, i)));
        }
        keys.sort();
        Suggestions { entries, keys }
    }

    /// Up to `limit` completions of `typed`, in its script (Arabic names for Arabic letters,
    /// else `lang`'s); nothing under two letters.
    pub fn complete(&self, typed: &str, lang: Lang, limit: usize) -> Vec<Suggestion> {
        let prefix = normalize(typed.trim());
        let prefix = prefix.split_whitespace().collect::<Vec<_>>().join(" ");
        if prefix.chars().count() < 2 || limit == 0 {
            return Vec::new();
        }
        let lang = if is_arabic_text(&prefix) {
            Lang::Ar
        } else if lang == Lang::Ar {
            Lang::Fr
        } else {
            lang
        };
        // Exact prefixes: one contiguous run of the sorted keys.
        let start = self
            .keys
            .partition_point(|(k, _)| k.as_str() < prefix.as_str());
        let mut exact: Vec<usize> = self.keys[start..]
            .iter()
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, i)| *i)
            .collect();
        exact.sort_unstable();
        exact.dedup();
        let by_count = |v: &mut Vec<usize>| {
            v.sort_by(|a, b| {
                self.entries[*b]
                    .count
                    .cmp(&self.entries[*a].count)
                    .then(a.cmp(b))
            })
        };
        by_count(&mut exact);
        let mut chosen = exact;
        if chosen.len() < limit && prefix.chars().count() >= FUZZY_FROM_CHARS {
            // Slips rarely hit the first letter: only keys that share it (one sorted run).
            let first: String = prefix.chars().take(1).collect();
            let from = self
                .keys
                .partition_point(|(k, _)| k.as_str() < first.as_str());
            let seen: HashSet<usize> = chosen.iter().copied().collect();
            let typed: Vec<char> = prefix.chars().collect();
            let mut near: Vec<usize> = self.keys[from..]
                .iter()
                .take_while(|(k, _)| k.starts_with(&first))
                .filter(|(k, i)| !seen.contains(i) && within_one(&typed, k))
                .map(|(_, i)| *i)
                .collect();
            near.sort_unstable();
            near.dedup();
            by_count(&mut near);
            chosen.extend(near);
        }
        chosen.truncate(limit);
        chosen
            .into_iter()
            .map(|i| {
                let e = &self.entries[i];
                let text = match lang {
                    Lang::Ar => &e.ar,
                    Lang::Fr => &e.fr,
                    Lang::En => &e.en,
                };
                Suggestion {
                    text: text.clone(),
                    kind: e.kind,
                    count: e.count,
                    q: e.q.clone(),
                    category: e.category.clone(),
                    wilaya: e.wilaya,
                }
            })
            .collect()
    }
}

/// Is some prefix of `key` at most one edit (insertion, deletion, substitution, or two
/// neighbouring letters swapped: `samsnug`) from `typed`?
fn within_one(t: &[char], key: &str) -> bool {
    let k: Vec<char> = key.chars().take(t.len() + 1).collect();
    // Row-by-row edit distance (optimal string alignment) of `t` against each prefix of `k`.
    let mut before: Vec<usize> = Vec::new();
    let mut prev: Vec<usize> = (0..=k.len()).collect();
    for (i, tc) in t.iter().enumerate() {
        let mut row = vec![i + 1; k.len() + 1];
        for (j, kc) in k.iter().enumerate() {
            let cost = usize::from(tc != kc);
            let mut d = (prev[j] + cost).min(prev[j + 1] + 1).min(row[j] + 1);
            if i > 0 && j > 0 && *tc == k[j - 1] && t[i - 1] == *kc {
                d = d.min(before[j - 1] + 1);
            }
            row[j + 1] = d;
        }
        if row.iter().all(|d| *d > 1) {
            return false;
        }
        before = std::mem::replace(&mut prev, row);
    }
    prev.iter().any(|d| *d <= 1)
}

/// The current suggestions, rebuilt in the background once they are older than `REFRESH`
/// and the index has changed since.
#[derive(Default)]
pub struct SuggestCache {
    state: Arc<Mutex<CacheState>>,
}

#[derive(Default)]
struct CacheState {
    current: Option<(Arc<Suggestions>, Instant, u64)>,
    building: bool,
}

/// Clears `building` however a build ends (a panicking build must not stop every later one).
struct Building(Arc<Mutex<CacheState>>);

impl Drop for Building {
    fn drop(&mut self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).building = false;
    }
}

fn lock(state: &Mutex<CacheState>) -> std::sync::MutexGuard<'_, CacheState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

impl SuggestCache {
    /// The suggestions to answer from. The first caller builds them (outside the lock; other
    /// callers meanwhile get an empty list); later they are rebuilt in a thread of their own
    /// while the older list keeps answering.
    pub fn get(
        &self,
        version: u64,
        searcher: &Searcher,
        fields: &Fields,
        dict: &Dictionary,
    ) -> Arc<Suggestions> {
        let mut st = lock(&self.state);
        if let Some((s, at, v)) = &st.current {
            let s = s.clone();
            if *v != version && at.elapsed() >= REFRESH && !st.building {
                st.building = true;
                let guard = Building(self.state.clone());
                let (searcher, fields, dict) = (searcher.clone(), fields.clone(), dict.clone());
                std::thread::spawn(move || {
                    let fresh = Arc::new(Suggestions::build(&searcher, &fields, &dict));
                    lock(&guard.0).current = Some((fresh, Instant::now(), version));
                });
            }
            return s;
        }
        if st.building {
            return Arc::new(Suggestions::default());
        }
        st.building = true;
        drop(st);
        let _guard = Building(self.state.clone());
        let fresh = Arc::new(Suggestions::build(searcher, fields, dict));
        lock(&self.state).current = Some((fresh.clone(), Instant::now(), version));
        fresh
    }
}

#[cfg(test)]
mod tests {
    fn within_one(typed: &str, key: &str) -> bool {
        super::within_one(&typed.chars().collect::<Vec<_>>(), key)
    }

    #[test]
    fn one_slip_in_a_prefix() {
        assert!(within_one("peug", "peugeot"));
        assert!(within_one("peog", "peugeot"));
        assert!(within_one("pegu", "peugeot"));
        assert!(within_one("peugo", "peugeot"));
        assert!(within_one("samsnug", "samsung"));
        assert!(!within_one("pxxg", "peugeot"));
        assert!(!within_one("renault", "peugeot"));
    }
}
