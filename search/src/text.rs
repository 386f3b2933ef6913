//! The text part of a plan: each word of the query as a clause that must match (with its
//! spellings, slips and sound-alikes), and optional clauses that rank first the ads the words
//! name. How strictly the words must match is a `Matching`, from exact to related.

use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use crate::analysis::{analyzer, Word};
use crate::intent::{word_intents, WordIntent};
use crate::schema::{Dictionary, Fields};
use crate::sound::sound_keys;

/// A clause of the text query and what it stands for, so that an explanation can say which
/// ones an ad met and what each added.
pub struct Labelled {
    pub what: String,
    pub query: Box<dyn Query>,
}

pub(crate) fn term_q(field: tantivy::schema::Field, term: &str) -> Box<dyn Query> {
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
    /// Every word, or what it stands for: a category word (`laptop`, `ثلاجة`) also matches the
    /// ads of its category and an option word (`villa`) the ads with that option, whatever
    /// their text says; words that describe the ad's state (`propre`, `neuf`) only rank.
    /// Typos allowed. For a page the words alone do not fill.
    Related,
}

impl Matching {
    /// The matching a page says it used (`fuzzy`, `partial`, `related`), as cursors and
    /// results carry it.
    pub fn from_flags(fuzzy: bool, partial: bool, related: bool) -> Matching {
        match (fuzzy, partial, related) {
            (_, _, true) => Matching::Related,
            (_, true, false) => Matching::AllButOne,
            (true, false, false) => Matching::Fuzzy,
            (false, false, false) => Matching::Exact,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Matching::Exact => "exact",
            Matching::Fuzzy => "fuzzy",
            Matching::AllButOne => "partial",
            Matching::Related => "related",
        }
    }

    /// One typo allowed in long words.
    pub fn is_fuzzy(self) -> bool {
        self != Matching::Exact
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

pub(crate) type DocFreq<'a> = &'a Lookup<'a>;

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

/// The token of the lexicon word `w` is a slip of (`frigidair` for `frigidaire`), when the
/// index barely knows the word as typed: a word many ads use (`housse`, `coran`, `ville`) is
/// a word of its own, not a slip of `house`, `oran` or `villa`; nor is an accessory word.
fn slip_of_lexicon_word(fields: &Fields, w: &Word, df: DocFreq) -> Option<&'static str> {
    if !w.parts.is_empty() || analyzer().is_accessory(&w.term) {
        return None;
    }
    let meant = crate::spelling::lexicon_word_near(&w.raw)?;
    let typed = (df.df)(&Term::from_field_text(fields.text, &w.term));
    (meant != w.term && typed < SOUND_BELOW_DF).then_some(meant)
}

/// Every word must match (in title or body). A glued word (`clio4`) matches as a whole or
/// as all its pieces. Optional clauses rank the ads the query names first (`naming_clauses`).
/// The flag says the query is one plain term, whose count is known without walking its
/// postings. Under `Matching::Related`, words stand for their categories too, those under
/// `within` (the request's category) only.
pub fn text_query(
    fields: &Fields,
    dict: &Dictionary,
    within: Option<&str>,
    q: &str,
    matching: Matching,
    df: DocFreq,
) -> Option<TextQuery> {
    let mut words = analyzer().query_words(q);
    if words.is_empty() {
        return None;
    }
    // The word as typed still counts when it is taken for another, for the ads with the
    // same slip.
    let typed: Vec<Option<Word>> = words
        .iter_mut()
        .map(|w| {
            let meant = slip_of_lexicon_word(fields, w, df)?;
            let typed = w.clone();
            w.term = meant.to_string();
            Some(typed)
        })
        .collect();
    let related = (matching == Matching::Related).then(|| related_intents(&words, within));
    let mut labelled: Vec<Labelled> = Vec::new();
    let fuzzy = matching.is_fuzzy();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut one_plain_word = false;
    let one_word = words.len() == 1;
    let mut widens = false;
    for (i, w) in words.iter().enumerate() {
        let (mut whole, mut plain) = word_q(fields, &w.term, &w.raw, fuzzy, df);
        if let Some(t) = &typed[i] {
            let (as_typed, _) = word_q(fields, &t.term, &t.raw, fuzzy, df);
            whole = Box::new(BooleanQuery::new(vec![
                (Occur::Should, whole),
                (Occur::Should, as_typed),
            ]));
            plain = false;
        }
        labelled.push(Labelled {
            what: format!("word «{}»", w.raw),
            query: whole.box_clone(),
        });
        let mut clause = if w.parts.is_empty() {
            one_plain_word = plain && one_word;
            whole
        } else {
            let pieces: Vec<(Occur, Box<dyn Query>)> = w
                .parts
                .iter()
                .map(|p| (Occur::Must, word_q(fields, p, p, fuzzy, df).0))
                .collect();
            Box::new(BooleanQuery::new(vec![
                (Occur::Should, whole),
                (Occur::Should, Box::new(BooleanQuery::new(pieces))),
            ]))
        };
        let mut occur = Occur::Must;
        if let Some((intents, intent)) = related.as_ref().map(|r| (r, &r[i])) {
            one_plain_word = false;
            if let Some(stands) = stands_for(fields, dict, intent) {
                widens = true;
                labelled.push(Labelled {
                    what: format!("related to «{}»", w.raw),
                    query: stands.box_clone(),
                });
                clause = Box::new(BooleanQuery::new(vec![
                    (Occur::Should, clause),
                    (Occur::Should, stands),
                ]));
            }
            if only_ranks(intent, intents) {
                widens = true;
                occur = Occur::Should;
            }
        }
        clauses.push((occur, clause));
    }
    if one_plain_word {
        // One plain word: its posting list alone, so the best hits come from block-max
        // pruning and the count from its document frequency (0.1 ms at 900 k ads where naming
        // clauses made it 0.35 ms). The title and the names still count: they are indexed
        // more than once in `text` (`doc::to_document`).
        return clauses.pop().map(|(_, query)| TextQuery {
            query,
            single_term: true,
            widens: false,
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
        widens,
        clauses: labelled,
        words,
    })
}

/// What each word stands for under `Matching::Related`: only the categories under `within`
/// (the request's category) count, since the request cannot return the others.
fn related_intents(words: &[Word], within: Option<&str>) -> Vec<WordIntent> {
    let mut intents = word_intents(words);
    if let Some(within) = within {
        let leaves = souk_domain::catalog().leaves_under(within);
        for w in &mut intents {
            w.categories.retain(|c| leaves.contains(&c.as_str()));
            if w.categories.is_empty() {
                w.options.clear();
            }
        }
    }
    intents
}

/// Whether `Matching::Related` could find more than the words do, without building its plan
/// (which looks terms up in the index): some word, or the lexicon word it may be a slip of,
/// names a category under `within` or an option, or describes an ad's state.
pub fn may_widen(q: &str, within: Option<&str>) -> bool {
    let mut words = analyzer().query_words(q);
    for w in &mut words {
        if let Some(meant) = crate::spelling::lexicon_word_near(&w.raw) {
            w.term = meant.to_string();
        }
    }
    let intents = related_intents(&words, within);
    intents
        .iter()
        .any(|w| !w.categories.is_empty() || !w.options.is_empty() || only_ranks(w, &intents))
}

/// Under `Matching::Related`, a word that describes an ad's state only ranks, as long as
/// another word says what the ad is.
fn only_ranks(word: &WordIntent, all: &[WordIntent]) -> bool {
    word.descriptive && all.iter().any(|w| !w.descriptive)
}

/// What an ad scores for being what a word stands for (`Matching::Related`) when its text
/// lacks the word: under a word's own match, so the ads that say it come first.
const RELATED_WEIGHT: f32 = 1.0;

/// The ads of the options or, failing those, the categories a word names, at a constant score.
fn stands_for(fields: &Fields, dict: &Dictionary, intent: &WordIntent) -> Option<Box<dyn Query>> {
    let terms: Vec<Term> = if intent.options.is_empty() {
        intent
            .categories
            .iter()
            .filter_map(|c| dict.category_ord(c))
            .map(|o| Term::from_field_u64(fields.cat, o))
            .collect()
    } else {
        intent
            .options
            .iter()
            .filter_map(|(key, value)| {
                let field = fields.enums.get(key)?;
                Some(Term::from_field_u64(*field, dict.enum_ord(key, value)?))
            })
            .collect()
    };
    Some(Box::new(ConstScoreQuery::new(
        any_of(terms)?,
        RELATED_WEIGHT,
    )))
}

/// Documents with any of `terms`, unscored; `None` for no terms. A union of term queries,
/// not a `TermSetQuery`: that one fills a bitset as large as the segment from every posting
/// of its terms, where posting lists can be skipped through in an intersection.
pub(crate) fn any_of(terms: impl IntoIterator<Item = Term>) -> Option<Box<dyn Query>> {
    let mut any: Vec<(Occur, Box<dyn Query>)> = terms
        .into_iter()
        .map(|t| -> (Occur, Box<dyn Query>) {
            (
                Occur::Should,
                Box::new(TermQuery::new(t, IndexRecordOption::Basic)),
            )
        })
        .collect();
    match any.len() {
        0 => None,
        1 => any.pop().map(|(_, q)| q),
        _ => Some(Box::new(BooleanQuery::new(any))),
    }
}

/// The text part of a plan (`text_query`).
pub struct TextQuery {
    pub query: Box<dyn Query>,
    /// One plain term, whose count is known without walking its postings.
    pub single_term: bool,
    /// Under `Matching::Related`, some word stands for more than itself or only ranks.
    pub widens: bool,
    pub clauses: Vec<Labelled>,
    /// The query's analysed words.
    pub words: Vec<Word>,
}
