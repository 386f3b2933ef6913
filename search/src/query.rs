//! Turns a `SearchRequest` into tantivy queries. Filters that are facets (category, wilaya,
//! enum attributes) are kept apart, so facet counts can leave out a facet's own filter.

use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, FuzzyTermQuery, Occur, Query,
    RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;

use crate::analysis::{analyzer, Word};
use crate::cells::covering;
use crate::intent::{intent_of, Demotions};
use crate::request::{IntRange, SearchRequest};
use crate::schema::{
    cat_in_cell, cat_in_wilaya, Dictionary, Fields, FLAG_DELIVERS, FLAG_EXCHANGE, FLAG_NEGOTIABLE,
    FLAG_PHOTOS, FLAG_URGENT,
};
use crate::sound::sound_keys;

/// Which facet a filter belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum FacetKey {
    Category,
    Wilaya,
    Enum(String),
}

pub struct Plan {
    pub text: Option<Box<dyn Query>>,
    /// Filters that are not facets (price, ranges, flags, commune, geo cells).
    pub hard: Vec<Box<dyn Query>>,
    /// Facet filters, each with its facet.
    pub facet_filters: Vec<(FacetKey, Box<dyn Query>)>,
    /// Category and wilaya filters together, as one filter on the combined terms; used when
    /// neither facet is left out.
    pub category_in_wilaya: Option<Box<dyn Query>>,
    /// The geographic cells around `near`.
    pub near: Option<Box<dyn Query>>,
    /// The same cells within the category, as one filter on the combined terms: a radius
    /// search in a category reads short posting lists instead of intersecting long ones.
    pub near_in_category: Option<Box<dyn Query>>,
    /// Numeric ranges (field, min, max), checked on fast columns by the collector: walking a
    /// range as a query would scan the column of every document.
    pub ranges: Vec<(Field, i64, i64)>,
    /// The text is one plain term (see `text_query`).
    single_term: bool,
    /// Score factors for ads that disagree with what the query names (`intent`).
    pub demotions: Demotions,
    /// The text query's scoring clauses, each with what it stands for (`explain`).
    pub clauses: Vec<Labelled>,
}

/// A clause of the text query and what it stands for, so that an explanation can say which
/// ones an ad met and what each added.
pub struct Labelled {
    pub what: String,
    pub query: Box<dyn Query>,
}

impl Plan {
    /// Adds the checks that depend on the time of the search: with `urgent=true`, the badge
    /// must not have ended (its flag stays in the index until the ad is re-projected).
    pub fn until(&mut self, req: &SearchRequest, fields: &Fields, now_us: i64) {
        if req.urgent == Some(true) {
            self.ranges
                .push((fields.urgent_until, now_us.saturating_add(1), i64::MAX));
        }
    }

    /// One plain term and nothing else: counting its matches costs a lookup, so the best hits
    /// can come from a pruned pass instead of a full one (see `SearchCollector::prune`).
    pub fn is_one_term(&self) -> bool {
        self.single_term
            && self.hard.is_empty()
            && self.near.is_none()
            && self.facet_filters.is_empty()
            && self.ranges.is_empty()
    }

    /// Everything, or everything but the filter of `skip`.
    pub fn query(&self, skip: Option<&FacetKey>) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(t) = &self.text {
            clauses.push((Occur::Must, t.box_clone()));
        }
        for h in &self.hard {
            clauses.push((Occur::Must, h.box_clone()));
        }
        // The combined filters stand in for the filters they combine, as long as the pass
        // keeps all of those; facet passes that leave one out use the filters apart.
        let keep_category = skip != Some(&FacetKey::Category);
        let keep_wilaya = skip != Some(&FacetKey::Wilaya);
        let (mut category_done, mut wilaya_done, mut near_done) = (false, false, false);
        if keep_category {
            if let Some(q) = &self.near_in_category {
                clauses.push((Occur::Must, q.box_clone()));
                (category_done, near_done) = (true, true);
            } else if let Some(q) = self.category_in_wilaya.as_ref().filter(|_| keep_wilaya) {
                clauses.push((Occur::Must, q.box_clone()));
                (category_done, wilaya_done) = (true, true);
            }
        }
        if let Some(q) = self.near.as_ref().filter(|_| !near_done) {
            clauses.push((Occur::Must, q.box_clone()));
        }
        for (k, q) in &self.facet_filters {
            let done = match k {
                FacetKey::Category => category_done,
                FacetKey::Wilaya => wilaya_done,
                FacetKey::Enum(_) => false,
            };
            if Some(k) != skip && !done {
                clauses.push((Occur::Must, q.box_clone()));
            }
        }
        match clauses.len() {
            0 => Box::new(AllQuery),
            1 if self.text.is_some() => clauses
                .pop()
                .map(|(_, q)| q)
                .unwrap_or_else(|| Box::new(AllQuery)),
            _ => Box::new(BooleanQuery::new(clauses)),
        }
    }
}

fn term_q(field: Field, term: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, term),
        IndexRecordOption::WithFreqs,
    ))
}

/// A query word in fewer documents than this is also looked up by sound (`sound`): it is
/// probably a spelling the index does not know, and the exact term alone would find nothing
/// or the one ad with the same slip.
const SOUND_BELOW_DF: u64 = 3;
/// Sound-alikes count for less than the word itself.
const SOUND_WEIGHT: f32 = 0.3;
/// A query word in the title...
const HEAD_WEIGHT: f32 = 1.0;
/// ...and two neighbouring query words side by side there (`note 12`, not `note` and a `12`
/// somewhere else).
const PAIR_WEIGHT: f32 = 2.0;
/// The same in the brand and model attributes: the ad is the thing named.
const NAMED_WEIGHT: f32 = 1.5;
const NAMED_PAIR_WEIGHT: f32 = 2.0;
/// A word the query's word also stands for (`meuble` for `meublé`), under the word itself.
const ALSO_WEIGHT: f32 = 0.6;
/// A run of query words that is an ad's whole model name or an ending of it
/// (`doc::model_phrases`), per word of the run: `iphone 13` names the iPhone 13 exactly,
/// and neither the 13 Pro nor the 12.
const MODEL_WEIGHT: f32 = 1.5;
/// Runs of query words tried as model names: the longest model names are four words
/// (`redmi note 12 pro`).
const MAX_MODEL_WORDS: usize = 4;

/// How strictly the words of a query must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// Every word, as analysed (or by sound when the index barely knows it).
    Exact,
    /// Every word, one typo allowed in long words.
    Fuzzy,
    /// All words but one, typos allowed: for queries whose every word finds nothing together.
    AllButOne,
}

impl Matching {
    /// The matching a page says it used (`fuzzy`, `partial`), as cursors and results carry it.
    pub fn from_flags(fuzzy: bool, partial: bool) -> Matching {
        match (fuzzy, partial) {
            (_, true) => Matching::AllButOne,
            (true, false) => Matching::Fuzzy,
            (false, false) => Matching::Exact,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Matching::Exact => "exact",
            Matching::Fuzzy => "fuzzy",
            Matching::AllButOne => "partial",
        }
    }
}

/// What a plan may ask the index: how many documents hold a term, and how many there are.
pub struct Lookup<'a> {
    pub df: &'a dyn Fn(&Term) -> u64,
    pub docs: u64,
}

/// A sound key held by more than this share of the ads says too little to be worth its
/// posting list (a two-consonant key of common words would walk much of the index).
const SOUND_MAX_SHARE: u64 = 100;
/// ...except in a small index, where every key is cheap.
const SOUND_MAX_FLOOR: u64 = 1000;

type DocFreq<'a> = &'a Lookup<'a>;

fn boosted(q: Box<dyn Query>, weight: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(q, weight))
}

/// Matches `term` (title words count twice); with `fuzzy`, one edit away too; when the index
/// barely knows it, the sound-alikes of the word as written (`raw`) as well. The flag says the
/// query is the plain term.
fn word_q(
    fields: &Fields,
    term: &str,
    raw: &str,
    fuzzy: bool,
    df: DocFreq,
) -> (Box<dyn Query>, bool) {
    let exact = term_q(fields.text, term);
    let long_enough = term.chars().count() >= 5;
    let is_number = term.chars().all(|c| c.is_ascii_digit());
    let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for also in analyzer().also(term) {
        alternatives.push((
            Occur::Should,
            boosted(term_q(fields.text, also), ALSO_WEIGHT),
        ));
    }
    if fuzzy && long_enough && !is_number && !analyzer().is_canonical(term) {
        let near = FuzzyTermQuery::new(Term::from_field_text(fields.text, term), 1, true);
        alternatives.push((Occur::Should, Box::new(near)));
    }
    // A single letter (`classe c`) sounds like half the index.
    let keys = if raw.chars().count() > 1 {
        sound_keys(raw)
    } else {
        Vec::new()
    };
    if !keys.is_empty() && (df.df)(&Term::from_field_text(fields.text, term)) < SOUND_BELOW_DF {
        let most = (df.docs / SOUND_MAX_SHARE).max(SOUND_MAX_FLOOR);
        for k in keys {
            if (df.df)(&Term::from_field_text(fields.sound, &k)) > most {
                continue;
            }
            alternatives.push((
                Occur::Should,
                boosted(term_q(fields.sound, &k), SOUND_WEIGHT),
            ));
        }
    }
    if alternatives.is_empty() {
        return (exact, true);
    }
    alternatives.insert(0, (Occur::Should, exact));
    (Box::new(BooleanQuery::new(alternatives)), false)
}

/// Optional clauses that rank first the ads the words name: each term and each pair of
/// neighbouring words in the title (`head`) and in the brand and model (`named`), and each
/// run of words that is a model's name (`model_clauses`).
fn naming_clauses(fields: &Fields, words: &[Word]) -> Vec<Labelled> {
    let terms = crate::doc::head_terms(words);
    let weighted = terms
        .words
        .iter()
        .map(|t| (t, HEAD_WEIGHT, NAMED_WEIGHT, "word"))
        .chain(
            terms
                .pairs
                .iter()
                .map(|t| (t, PAIR_WEIGHT, NAMED_PAIR_WEIGHT, "pair")),
        );
    let mut out = Vec::new();
    for (t, head, named, kind) in weighted {
        out.push(Labelled {
            what: format!("title {kind} «{t}»"),
            query: boosted(term_q(fields.head, t), head),
        });
        out.push(Labelled {
            what: format!("brand, model or product {kind} «{t}»"),
            query: boosted(term_q(fields.named, t), named),
        });
    }
    out.extend(model_clauses(fields, words));
    out
}

/// A constant score per run of query words that is an ad's model name or its ending.
fn model_clauses(fields: &Fields, words: &[Word]) -> Vec<Labelled> {
    let units = crate::doc::units(words);
    let mut out = Vec::new();
    for len in 1..=MAX_MODEL_WORDS.min(units.len()) {
        for run in units.windows(len) {
            let phrase = crate::doc::model_phrase(run);
            out.push(Labelled {
                what: format!("model name «{}»", run.join(" ")),
                query: Box::new(ConstScoreQuery::new(
                    term_q(fields.named, &phrase),
                    MODEL_WEIGHT * len as f32,
                )),
            });
        }
    }
    out
}

/// A typed word is taken for a lexicon word one slip away (`spelling`) when the index holds
/// that word this many times more often.
const SLIP_RATIO: u64 = 20;

/// The token of the lexicon word `w` is a slip of (`frigidair` for `frigidaire`), when the
/// index knows that one far better than the word as typed.
fn slip_of_lexicon_word(fields: &Fields, w: &Word, df: DocFreq) -> Option<&'static str> {
    if !w.parts.is_empty() {
        return None;
    }
    let meant = crate::spelling::lexicon_word_near(&w.raw)?;
    let count = |t: &str| (df.df)(&Term::from_field_text(fields.text, t));
    (meant != w.term && count(&w.term).saturating_mul(SLIP_RATIO) < count(meant)).then_some(meant)
}

/// Every word must match (in title or body). A glued word (`clio4`) matches as a whole or
/// as all its pieces. Optional clauses rank the ads the query names first (`naming_clauses`).
/// The flag says the query is one plain term, whose count is known without walking its
/// postings.
pub fn text_query(fields: &Fields, q: &str, matching: Matching, df: DocFreq) -> Option<TextQuery> {
    let words = analyzer().query_words(q);
    if words.is_empty() {
        return None;
    }
    let mut labelled: Vec<Labelled> = Vec::new();
    let fuzzy = matching != Matching::Exact;
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut one_plain_word = false;
    let mut words = words;
    let one_word = words.len() == 1;
    for w in &mut words {
        let (mut whole, mut plain) = word_q(fields, &w.term, &w.raw, fuzzy, df);
        if let Some(meant) = slip_of_lexicon_word(fields, w, df) {
            // The word as typed still counts, for the ads with the same slip.
            let (fixed, _) = word_q(fields, meant, meant, fuzzy, df);
            whole = Box::new(BooleanQuery::new(vec![
                (Occur::Should, whole),
                (Occur::Should, fixed),
            ]));
            plain = false;
            w.term = meant.to_string();
        }
        labelled.push(Labelled {
            what: format!("word «{}»", w.raw),
            query: whole.box_clone(),
        });
        if w.parts.is_empty() {
            one_plain_word = plain && one_word;
            clauses.push((Occur::Must, whole));
        } else {
            let pieces: Vec<(Occur, Box<dyn Query>)> = w
                .parts
                .iter()
                .map(|p| (Occur::Must, word_q(fields, p, p, fuzzy, df).0))
                .collect();
            let either = BooleanQuery::new(vec![
                (Occur::Should, whole),
                (Occur::Should, Box::new(BooleanQuery::new(pieces))),
            ]);
            clauses.push((Occur::Must, Box::new(either)));
        }
    }
    if one_plain_word {
        // One plain word: its posting list alone, so the best hits come from block-max
        // pruning and the count from its document frequency (0.1 ms at 900 k ads where naming
        // clauses made it 0.35 ms). The title and the names still count: they are indexed
        // more than once in `text` (`doc::to_document`).
        return clauses.pop().map(|(_, query)| TextQuery {
            query,
            single_term: true,
            clauses: labelled,
            words,
        });
    }
    if matching == Matching::AllButOne && clauses.len() >= 2 {
        let need = clauses.len() - 1;
        let any: Vec<(Occur, Box<dyn Query>)> = clauses
            .into_iter()
            .map(|(_, q)| (Occur::Should, q))
            .collect();
        clauses = vec![(
            Occur::Must,
            Box::new(BooleanQuery::with_minimum_required_clauses(any, need)),
        )];
    }
    let naming = naming_clauses(fields, &words);
    clauses.extend(naming.iter().map(|l| (Occur::Should, l.query.box_clone())));
    labelled.extend(naming);
    Some(TextQuery {
        query: Box::new(BooleanQuery::new(clauses)),
        single_term: false,
        clauses: labelled,
        words,
    })
}

/// The text part of a plan (`text_query`).
pub struct TextQuery {
    pub query: Box<dyn Query>,
    /// One plain term, whose count is known without walking its postings.
    pub single_term: bool,
    pub clauses: Vec<Labelled>,
    /// The query's analysed words.
    pub words: Vec<Word>,
}

fn i64_range(field: Field, r: IntRange) -> Option<Box<dyn Query>> {
    if r.min.is_none() && r.max.is_none() {
        return None;
    }
    let lo = r.min.map_or(Bound::Unbounded, |v| {
        Bound::Included(Term::from_field_i64(field, v))
    });
    let hi = r.max.map_or(Bound::Unbounded, |v| {
        Bound::Included(Term::from_field_i64(field, v))
    });
    Some(Box::new(RangeQuery::new(lo, hi)))
}

/// Documents with any of `values`, unscored. A union of term queries, not a `TermSetQuery`:
/// that one fills a bitset as large as the segment from every posting of its terms, where
/// posting lists can be skipped through in an intersection.
fn u64_set(field: Field, values: impl IntoIterator<Item = u64>) -> Box<dyn Query> {
    let mut terms: Vec<Box<dyn Query>> = values
        .into_iter()
        .map(|v| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_u64(field, v),
                IndexRecordOption::Basic,
            ))
        })
        .collect();
    let any: Box<dyn Query> = match terms.len() {
        0 => return Box::new(EmptyQuery),
        1 => terms.pop().unwrap_or_else(|| Box::new(EmptyQuery)),
        _ => Box::new(BooleanQuery::new(
            terms.into_iter().map(|t| (Occur::Should, t)).collect(),
        )),
    };
    Box::new(ConstScoreQuery::new(any, 0.0))
}

fn flag(fields: &Fields, value: Option<bool>, flag: u64) -> Option<Box<dyn Query>> {
    let t: Box<dyn Query> = Box::new(TermQuery::new(
        Term::from_field_u64(fields.flags, flag),
        IndexRecordOption::Basic,
    ));
    match value {
        None => None,
        Some(true) => Some(t),
        Some(false) => Some(Box::new(BooleanQuery::new(vec![
            (Occur::Must, Box::new(AllQuery)),
            (Occur::MustNot, t),
        ]))),
    }
}

/// The plan of a validated request.
pub fn plan(
    req: &SearchRequest,
    fields: &Fields,
    dict: &Dictionary,
    matching: Matching,
    df: DocFreq,
) -> Plan {
    let text = req
        .q
        .as_deref()
        .and_then(|q| text_query(fields, q, matching, df));
    let (text, single_term, clauses, demotions) = match text {
        Some(t) => {
            let demotions = Demotions::new(&intent_of(&t.words), dict);
            (Some(t.query), t.single_term, t.clauses, demotions)
        }
        None => (None, false, Vec::new(), Demotions::default()),
    };
    let mut hard: Vec<Box<dyn Query>> = Vec::new();
    if let Some(c) = req.commune {
        hard.push(u64_set(fields.commune, [c as u64]));
    }
    if let Some(s) = req.seller {
        hard.push(u64_set(fields.seller, [s.max(0) as u64]));
    }
    let mut ranges: Vec<(Field, IntRange)> = Vec::new();
    if req.price.min.is_some() || req.price.max.is_some() {
        ranges.push((fields.price, req.price));
    }
    for (key, range) in &req.ints {
        if let Some(f) = fields.ints.get(key) {
            if range.min.is_some() || range.max.is_some() {
                ranges.push((*f, *range));
            }
        }
    }
    hard.extend(flag(fields, req.negotiable, FLAG_NEGOTIABLE));
    hard.extend(flag(fields, req.exchange, FLAG_EXCHANGE));
    hard.extend(flag(fields, req.with_photos, FLAG_PHOTOS));
    hard.extend(flag(fields, req.delivery, FLAG_DELIVERS));
    // The badge's end is checked at search time (`Plan::until`); `urgent=false` asks nothing.
    hard.extend(flag(fields, req.urgent.filter(|u| *u), FLAG_URGENT));
    let cells = req.near.map(|n| covering(n.lat, n.lon, n.radius_km));
    let near = cells
        .as_ref()
        .map(|c| u64_set(fields.cell, c.iter().copied()));
    let mut facet_filters: Vec<(FacetKey, Box<dyn Query>)> = Vec::new();
    let category = req.category.as_deref().and_then(|c| dict.category_ord(c));
    if let Some(ord) = category {
        facet_filters.push((FacetKey::Category, u64_set(fields.cat, [ord])));
    }
    let near_in_category = category
        .zip(cells.as_ref())
        .map(|(ord, cells)| u64_set(fields.cat_cell, cells.iter().map(|c| cat_in_cell(ord, *c))));
    let category_in_wilaya = category.filter(|_| !req.wilayas.is_empty()).map(|ord| {
        u64_set(
            fields.cat_wilaya,
            req.wilayas.iter().map(|w| cat_in_wilaya(ord, *w as u64)),
        )
    });
    if !req.wilayas.is_empty() {
        facet_filters.push((
            FacetKey::Wilaya,
            u64_set(fields.wilaya, req.wilayas.iter().map(|w| *w as u64)),
        ));
    }
    for (key, values) in &req.enums {
        if let Some(f) = fields.enums.get(key) {
            let ords: Vec<u64> = values
                .iter()
                .filter_map(|v| dict.enum_ord(key, v))
                .collect();
            facet_filters.push((FacetKey::Enum(key.clone()), u64_set(*f, ords)));
        }
    }
    // With nothing else to narrow the documents down, one range drives the query.
    if text.is_none() && hard.is_empty() && near.is_none() && facet_filters.is_empty() {
        if let Some((f, r)) = ranges.first() {
            hard.extend(i64_range(*f, *r));
        }
    }
    let ranges = ranges
        .iter()
        .map(|(f, r)| (*f, r.min.unwrap_or(i64::MIN), r.max.unwrap_or(i64::MAX)))
        .collect();
    Plan {
        text,
        hard,
        facet_filters,
        category_in_wilaya,
        near,
        near_in_category,
        ranges,
        single_term,
        demotions,
        clauses,
    }
}
