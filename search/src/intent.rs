//! What a query says beyond its words: the kind of thing it names (a category word such as
//! `voiture`, `klim`, `شقة`, `location`), a place (`oran`, `bab ezzouar`), and whether it
//! asks for an accessory or a part. Matching ads that disagree are not dropped, they rank
//! lower: the collector multiplies their score by a factor under one (`Demotions`), which
//! keeps block-max pruning exact (a score only ever goes down).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use souk_domain::attributes::AttributeKind;
use souk_domain::{catalog, geography};

use tantivy::columnar::Column;
use tantivy::DocId;

use crate::analysis::{analyzer, is_stop_word, Word};
use crate::columns::SegmentColumns;
use crate::schema::{Dictionary, TRAIT_ACCESSORY, TRAIT_RENTAL};

/// Leaf categories whose ads are accessories or parts of the things other leaves sell.
const ACCESSORY_CATEGORIES: &[&str] = &["phone-accessories", "vehicle-parts", "computer-parts"];

/// Is `leaf` one of `ACCESSORY_CATEGORIES`?
pub fn is_accessory_leaf(leaf: &str) -> bool {
    ACCESSORY_CATEGORIES.contains(&leaf)
}

/// Leaf categories of jobs offered and of people seeking one.
const JOB_OFFERS: &str = "job-offers";
const JOB_REQUESTS: &str = "job-requests";

/// Words that, beside a job word, say the query seeks a job rather than offers one.
const SEEKING: &[&str] = &["cherche", "recherche", "يبحث", "ابحث", "looking", "seeking"];

fn is_seeking(term: &str) -> bool {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| SEEKING.iter().flat_map(|w| analyzer().tokens(w)).collect())
        .contains(term)
}

/// Leaf categories of things for rent.
pub const RENT_CATEGORIES: &[&str] = &["real-estate-rent", "real-estate-holiday-rent"];

/// Is `term` (analysed) a word for renting (`location`, `كراء`, `kra`, `louer`)?
pub fn is_rent_word(term: &str) -> bool {
    static RENT: OnceLock<String> = OnceLock::new();
    term == RENT.get_or_init(|| analyzer().tokens("location").concat())
}

/// An ad outside the categories the query's words name.
const OTHER_CATEGORY: f32 = 0.4;
/// For rent when the query does not ask for it, or for sale when it does.
const OTHER_DEAL: f32 = 0.5;
/// An ad outside the wilayas the query names.
const OTHER_PLACE: f32 = 0.6;
/// An accessory or a part, when the query asks for neither.
const ACCESSORY: f32 = 0.45;
/// Enum options (`property_type=maison`) name their categories like a category's own name,
/// for attributes few leaves declare (an option of every leaf, such as `condition`, names none).
const MAX_LEAVES_OF_OPTION: usize = 3;
/// Option labels of more words than this describe rather than name (`MAX_LEAVES_OF_OPTION`).
const MAX_OPTION_LABEL_WORDS: usize = 2;
/// Place names shorter than this are not read alone (`ain`, `el`, `bou`).
const MIN_PLACE_CHARS: usize = 4;

/// A place name's analysed words, the wilayas of the places so named, and the communes so
/// named.
struct Place {
    words: Vec<String>,
    wilayas: Vec<u64>,
    communes: Vec<i32>,
    /// It is a wilaya's own name (`Oran`, a commune's name too).
    names_wilaya: bool,
}

/// Words and phrases that name categories and places, analysed once from reference data.
struct Names {
    /// Analysed word → leaf slugs it names.
    category: HashMap<String, Vec<String>>,
    /// Analysed word → the enum options whose label holds it (`villa` is
    /// `property_type=villa`), as (attribute key, option value); a word of a category's own
    /// name (`emploi`) names that category rather than an option.
    options: HashMap<String, Vec<(String, String)>>,
    /// Places by the first analysed word of their name: the name's words, in order, and the
    /// wilaya codes of the places so named. A query looks up each of its words, not every
    /// one of the 3,000 names.
    places: HashMap<String, Vec<Place>>,
}

fn meaningful(text: &str) -> Vec<String> {
    analyzer()
        .words(text)
        .into_iter()
        .filter(|w| !is_stop_word(&w.raw))
        .map(|w| w.term)
        .collect()
}

fn names() -> &'static Names {
    static N: OnceLock<Names> = OnceLock::new();
    N.get_or_init(|| {
        let mut places: HashMap<String, Vec<Place>> = HashMap::new();
        let mut add_place = |words: Vec<String>, wilaya: u64, commune: Option<i32>| {
            let Some(first) = words.first() else { return };
            if words.len() == 1 && first.chars().count() < MIN_PLACE_CHARS {
                return;
            }
            let same_first = places.entry(first.clone()).or_default();
            let at = match same_first.iter().position(|p| p.words == words) {
                Some(at) => at,
                None => {
                    same_first.push(Place {
                        words,
                        wilayas: Vec::new(),
                        communes: Vec::new(),
                        names_wilaya: false,
                    });
                    same_first.len() - 1
                }
            };
            let place = &mut same_first[at];
            if !place.wilayas.contains(&wilaya) {
                place.wilayas.push(wilaya);
            }
            place.communes.extend(commune);
            place.names_wilaya |= commune.is_none();
        };
        let geo = geography();
        for w in geo.wilayas() {
            for name in [&w.name_latin, &w.name_ar] {
                add_place(meaningful(name), w.code as u64, None);
            }
        }
        for c in geo.communes() {
            for name in [&c.name_latin, &c.name_ar] {
                add_place(meaningful(name), c.wilaya_code as u64, Some(c.id));
            }
        }

        let mut category: HashMap<String, Vec<String>> = HashMap::new();
        let mut name = |text: &str, leaves: &[String]| {
            for t in meaningful(text) {
                let e = category.entry(t).or_default();
                for l in leaves {
                    if !e.contains(l) {
                        e.push(l.clone());
                    }
                }
            }
        };
        let cat = catalog();
        let mut catalog_words: HashSet<String> = HashSet::new();
        for c in cat.all() {
            let leaves: Vec<String> = cat
                .leaves_under(&c.slug)
                .into_iter()
                .map(String::from)
                .collect();
            for text in [&c.name.ar, &c.name.fr, &c.name.en] {
                name(text, &leaves);
                catalog_words.extend(meaningful(text));
            }
        }
        let mut option_words: HashMap<String, Vec<(String, String)>> = HashMap::new();
        let mut option_leaves: HashMap<&str, Vec<String>> = HashMap::new();
        for leaf in cat.leaves() {
            for spec in &leaf.attributes {
                option_leaves
                    .entry(spec.key.as_str())
                    .or_default()
                    .push(leaf.slug.clone());
            }
        }
        for leaf in cat.leaves() {
            for spec in &leaf.attributes {
                let leaves = &option_leaves[spec.key.as_str()];
                if leaves.len() > MAX_LEAVES_OF_OPTION || spec.key == "brand" {
                    continue;
                }
                if let AttributeKind::Enum { options } = &spec.kind {
                    for o in options.iter().filter(|o| o.value != "other") {
                        for text in [&o.label.ar, &o.label.fr, &o.label.en] {
                            // A label of a few words names a kind (`Villa`, `Local commercial`);
                            // a longer one describes (`Deed in joint ownership`): its words
                            // (`joint`) name nothing.
                            if meaningful(text).len() > MAX_OPTION_LABEL_WORDS {
                                continue;
                            }
                            name(text, leaves);
                            for t in meaningful(text) {
                                if catalog_words.contains(&t) {
                                    continue;
                                }
                                let e = option_words.entry(t).or_default();
                                let option = (spec.key.clone(), o.value.clone());
                                if !e.contains(&option) {
                                    e.push(option);
                                }
                            }
                        }
                    }
                }
            }
        }
        Names {
            category,
            options: option_words,
            places,
        }
    })
}

/// What a query names besides its words (see the module's comment).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Intent {
    /// Leaf slugs the query's category words name; empty when it has none.
    pub categories: Vec<String>,
    /// Wilaya codes of the places it names.
    pub wilayas: Vec<u64>,
    /// It names an accessory or a part (or a category of them): those are not demoted.
    pub accessory: bool,
    /// It asks for an accessory or a part by a word that names nothing else (`coque`,
    /// `phare`, `manette`): the things themselves rank lower.
    pub only_accessories: bool,
    /// It names jobs: whether it seeks a job (`يبحث عن عمل`, `cherche emploi`), so that
    /// people seeking one come first, or (`None` when it names no job) asks for offers.
    pub job_seeker: Option<bool>,
    /// It asks for a thing to rent (`location`, `كراء`, `kra`).
    pub rent: bool,
}

/// Does `term` (analysed) name the leaf category `leaf` (`appartement` names the real-estate
/// leaves through the property type)?
pub fn names_leaf(term: &str, leaf: &str) -> bool {
    names()
        .category
        .get(term)
        .is_some_and(|leaves| leaves.iter().any(|l| l == leaf))
}

/// Does `term` (analysed) say what kind of ad is sought: a category or option word, a word for
/// renting, or one for an ad's state?
fn names_a_kind(term: &str) -> bool {
    let n = names();
    n.category.contains_key(term)
        || n.options.contains_key(term)
        || is_rent_word(term)
        || is_descriptive(term)
}

/// Calls `found` with the range of `terms` and the place, for each place name `terms` hold.
fn each_place(terms: &[&str], mut found: impl FnMut(std::ops::Range<usize>, &Place)) {
    let n = names();
    for start in 0..terms.len() {
        for place in n.places.get(terms[start]).into_iter().flatten() {
            let end = start + place.words.len();
            if end > terms.len()
                || terms[start..end]
                    .iter()
                    .zip(&place.words)
                    .any(|(a, b)| a != b)
            {
                continue;
            }
            // A one-word name that is also a word for renting, a category, an option or a
            // state (the communes إيجار and M'kira: `kira`; المزرعة: `ferme`) means that word
            // far more often than the place. A word of a longer name (`dar` of Dar El Beida)
            // is read as the place only with the rest of the name.
            if place.words.len() == 1 && names_a_kind(&place.words[0]) {
                continue;
            }
            found(start..end, place);
        }
    }
}

/// The wilayas and communes whose names `words` hold (an ad that says `العلمة` or `Bab
/// Ezzouar`), so that the ad can be found by the names' other spellings.
pub fn places_named(words: &[&Word]) -> (Vec<i32>, Vec<i32>) {
    let terms: Vec<&str> = words
        .iter()
        .filter(|w| !is_stop_word(&w.raw))
        .map(|w| w.term.as_str())
        .collect();
    let (mut wilayas, mut communes) = (Vec::new(), Vec::new());
    each_place(&terms, |_, place| {
        if place.names_wilaya {
            wilayas.extend(place.wilayas.iter().map(|w| *w as i32));
        } else {
            communes.extend(&place.communes);
        }
    });
    wilayas.sort_unstable();
    wilayas.dedup();
    communes.sort_unstable();
    communes.dedup();
    (wilayas, communes)
}

/// What one word of a query stands for, besides itself (`Matching::Related`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WordIntent {
    /// Leaf slugs it names, narrowed by the query's other category words.
    pub categories: Vec<String>,
    /// The enum options it names (`villa`: `property_type=villa`), as (key, value).
    pub options: Vec<(String, String)>,
    /// It describes the ad's state or terms (`propre`, `neuf`, `urgent`) rather than the
    /// thing sought.
    pub descriptive: bool,
}

/// Lexicon groups (by their first word) that say how an ad is, not what it is.
const DESCRIPTIVE: &[&str] = &[
    "neuf",
    "occasion",
    "propre",
    "prix",
    "negociable",
    "facilite",
    "promotion",
    "urgent",
    "importe",
];

/// Is `term` (analysed) a word of `DESCRIPTIVE`?
fn is_descriptive(term: &str) -> bool {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        DESCRIPTIVE
            .iter()
            .flat_map(|w| analyzer().tokens(w))
            .collect()
    })
    .contains(term)
}

/// The intent of a query's analysed words.
pub fn intent_of(words: &[Word]) -> Intent {
    read(words).0
}

/// What each of `words` stands for, in order (`WordIntent`).
pub fn word_intents(words: &[Word]) -> Vec<WordIntent> {
    read(words).1
}

fn read(words: &[Word]) -> (Intent, Vec<WordIntent>) {
    let n = names();
    // Indexes into `words` of the meaningful ones.
    let kept: Vec<usize> = (0..words.len())
        .filter(|&i| !is_stop_word(&words[i].raw))
        .collect();
    let terms: Vec<&str> = kept.iter().map(|&i| words[i].term.as_str()).collect();
    let mut out = Intent::default();
    let mut each = vec![WordIntent::default(); words.len()];
    let mut in_place = vec![false; terms.len()];
    each_place(&terms, |at, place| {
        in_place[at].fill(true);
        for c in &place.wilayas {
            if !out.wilayas.contains(c) {
                out.wilayas.push(*c);
            }
        }
    });
    // Each category word narrows what the others name (`villa` names sale, rent and holiday
    // rent, `à vendre` sale alone: a villa for sale); words that name unrelated categories
    // (`location voiture`) leave all of them.
    let mut union: Vec<String> = Vec::new();
    let mut common: Option<Vec<String>> = None;
    let mut seeking = false;
    // A word that may name a part: an accessory word anywhere, or a word the reference data
    // does not know first in the query (`clé voiture`, `écran pc`; not `voiture pas cher`).
    let first = in_place.iter().position(|p| !p);
    let part_named = terms
        .iter()
        .zip(&in_place)
        .enumerate()
        .any(|(i, (t, placed))| {
            !placed
                && (analyzer().is_accessory(t)
                    || Some(i) == first
                        && !(names_a_kind(t)
                            || analyzer().is_brand(t)
                            || t.chars().any(|c| c.is_ascii_digit())))
        });
    for (i, ((t, placed), &at)) in terms.iter().zip(&in_place).zip(&kept).enumerate() {
        if *placed {
            continue;
        }
        if analyzer().is_accessory(t) {
            out.accessory = true;
            // `jeux` names games and the games category too: no strong ask. Nor is an
            // accessory word after the thing (`clio boite automatique`, `golf 7 moteur 1.6`):
            // the buyer names the part first (`boite clio`, `moteur golf 7`), as sellers do.
            let names_things = n
                .category
                .get(*t)
                .is_some_and(|leaves| leaves.iter().any(|l| !is_accessory_leaf(l)));
            out.only_accessories |= !names_things && first == Some(i);
        }
        seeking |= is_seeking(t);
        if is_rent_word(t) {
            out.rent = true;
        }
        each[at].descriptive = is_descriptive(t);
        each[at].options = n.options.get(*t).cloned().unwrap_or_default();
        let Some(leaves) = n.category.get(*t) else {
            continue;
        };
        // A word that names a thing and the parts of it (`voiture`, through `pièces auto`;
        // `telephone`, through its accessories) names the thing, the parts' category only
        // mentions it; unless another word may name the part (`clé voiture`, `écran pc`).
        let leaves: Vec<String> = if part_named || leaves.iter().all(|l| is_accessory_leaf(l)) {
            leaves.clone()
        } else {
            leaves
                .iter()
                .filter(|l| !is_accessory_leaf(l))
                .cloned()
                .collect()
        };
        each[at].categories = leaves.clone();
        for leaf in &leaves {
            if !union.contains(leaf) {
                union.push(leaf.clone());
            }
        }
        common = Some(match common {
            None => leaves,
            Some(c) => c.into_iter().filter(|l| leaves.contains(l)).collect(),
        });
    }
    out.categories = common.filter(|c| !c.is_empty()).unwrap_or(union);
    // Words that name only accessory or parts categories (`pièces`) ask for those, and so may
    // a word beside them that names a part (`clé voiture`).
    let accessory_leaf = |c: &String| is_accessory_leaf(c);
    if !out.categories.is_empty()
        && (out.categories.iter().all(accessory_leaf)
            || part_named && out.categories.iter().any(accessory_leaf))
    {
        out.accessory = true;
    }
    for w in &mut each {
        w.categories.retain(|l| out.categories.contains(l));
    }
    if out
        .categories
        .iter()
        .any(|c| c == JOB_OFFERS || c == JOB_REQUESTS)
    {
        out.job_seeker = Some(seeking);
    }
    (out, each)
}

/// By leaf ordinal: whether the leaf is one of `slugs`.
fn by_ordinal<'a>(dict: &Dictionary, slugs: impl Iterator<Item = &'a str>) -> Vec<bool> {
    let mut out = vec![false; dict.categories.len()];
    for slug in slugs {
        if let Some(slot) = dict
            .category_ord(slug)
            .and_then(|o| out.get_mut(o as usize))
        {
            *slot = true;
        }
    }
    out
}

/// Score factors per hit, from an `Intent` in the index's own ordinals.
#[derive(Debug, Clone, Default)]
pub struct Demotions {
    /// By leaf ordinal: named by the query. Empty when the query names no category.
    leaves: Vec<bool>,
    wilayas: Vec<u64>,
    accessories: bool,
    /// Whether the query asks for a rental; `None` when the ads' deal is left alone.
    rent: Option<bool>,
    /// By leaf ordinal: a rent category.
    rent_leaves: Vec<bool>,
    /// The query asks for accessories or parts only (`Intent::only_accessories`).
    things: bool,
    /// `Intent::job_seeker`, with the leaf ordinals of job offers and job requests.
    jobs: Option<(bool, Option<u64>, Option<u64>)>,
}

impl Demotions {
    pub fn new(intent: &Intent, dict: &Dictionary) -> Demotions {
        let leaves = if intent.categories.is_empty() {
            Vec::new()
        } else {
            by_ordinal(dict, intent.categories.iter().map(String::as_str))
        };
        Demotions {
            leaves,
            wilayas: intent.wilayas.clone(),
            accessories: !intent.accessory,
            rent: Some(intent.rent),
            rent_leaves: by_ordinal(dict, RENT_CATEGORIES.iter().copied()),
            things: intent.only_accessories,
            jobs: intent.job_seeker.map(|seeking| {
                (
                    seeking,
                    dict.category_ord(JOB_OFFERS),
                    dict.category_ord(JOB_REQUESTS),
                )
            }),
        }
    }

    /// Nothing to demote: the collector skips the columns.
    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
            && self.wilayas.is_empty()
            && !self.accessories
            && !self.things
            && self.rent.is_none()
            && self.jobs.is_none()
    }

    /// Calls `apply` with each demotion that applies to an ad and its factor.
    fn each(
        &self,
        leaf: Option<u64>,
        wilaya: Option<u64>,
        traits: u64,
        mut apply: impl FnMut(&'static str, f32),
    ) {
        let named = |by_ordinal: &[bool]| {
            leaf.and_then(|l| by_ordinal.get(l as usize))
                .copied()
                .unwrap_or(false)
        };
        if !self.leaves.is_empty() && !named(&self.leaves) {
            apply("outside the categories the query names", OTHER_CATEGORY);
        }
        if !self.wilayas.is_empty() && !wilaya.is_some_and(|w| self.wilayas.contains(&w)) {
            apply("outside the places the query names", OTHER_PLACE);
        }
        if self.things && traits & TRAIT_ACCESSORY == 0 {
            apply(
                "not an accessory or a part, which the query asks for",
                ACCESSORY,
            );
        }
        if let Some((seeking, offers, requests)) = self.jobs {
            if seeking && leaf.is_some() && leaf == offers {
                apply("a job offered, where the query seeks one", OTHER_DEAL);
            } else if !seeking && leaf.is_some() && leaf == requests {
                apply(
                    "someone seeking a job, where the query asks for one",
                    OTHER_DEAL,
                );
            }
        }
        if self.accessories && traits & TRAIT_ACCESSORY != 0 {
            apply(
                "an accessory or a part, which the query does not ask for",
                ACCESSORY,
            );
        }
        if let Some(rent) = self.rent {
            let for_rent = named(&self.rent_leaves) || traits & TRAIT_RENTAL != 0;
            if rent && !for_rent {
                apply("for sale, where the query asks for a rental", OTHER_DEAL);
            } else if !rent && traits & TRAIT_RENTAL != 0 {
                apply("for rent, which the query does not ask for", OTHER_DEAL);
            }
        }
    }
}

/// A query's demotions with the columns of one segment they read.
pub struct Demoting {
    demotions: Demotions,
    /// Only the columns the demotions read: each costs a lookup per hit.
    leaf: Option<Column<u64>>,
    wilaya: Option<Column<u64>>,
    traits: Option<Column<u64>>,
}

impl Demoting {
    pub fn new(demotions: &Demotions, cols: &SegmentColumns) -> Demoting {
        let d = demotions;
        let needs_leaf = !d.leaves.is_empty() || d.rent == Some(true) || d.jobs.is_some();
        let needs_traits = d.accessories || d.things || d.rent.is_some();
        Demoting {
            demotions: demotions.clone(),
            leaf: needs_leaf.then(|| cols.leaf.clone()),
            wilaya: (!d.wilayas.is_empty()).then(|| cols.wilaya.clone()),
            traits: needs_traits.then(|| cols.traits.clone()),
        }
    }

    fn each(&self, doc: DocId, apply: impl FnMut(&'static str, f32)) {
        self.demotions.each(
            self.leaf.as_ref().and_then(|c| c.first(doc)),
            self.wilaya.as_ref().and_then(|c| c.first(doc)),
            self.traits.as_ref().and_then(|c| c.first(doc)).unwrap_or(0),
            apply,
        )
    }

    /// The product of the factors that apply to `doc` (1 when none does); per hit, so
    /// nothing is collected.
    pub fn factor(&self, doc: DocId) -> f32 {
        let mut factor = 1.0;
        self.each(doc, |_, f| factor *= f);
        factor
    }

    /// Each demotion that applies to `doc`, with its factor (explanations).
    pub fn reasons(&self, doc: DocId) -> Vec<(&'static str, f32)> {
        let mut out = Vec::new();
        self.each(doc, |what, f| out.push((what, f)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(q: &str) -> Intent {
        intent_of(&analyzer().query_words(q))
    }

    #[test]
    fn category_words_name_their_categories() {
        assert_eq!(of("klim").categories, vec!["air-conditioners"]);
        assert!(of("voiture").categories.contains(&"cars".to_string()));
        assert!(of("شقة")
            .categories
            .contains(&"real-estate-rent".to_string()));
        assert!(of("iphone 13").categories.is_empty());
    }

    #[test]
    fn places_are_read_whole_and_not_as_categories() {
        assert_eq!(of("clio alger").wilayas, vec![16]);
        assert!(of("f3 bab ezzouar").wilayas.contains(&16));
        assert!(of("villa tizi ouzou").wilayas.contains(&15));
        assert!(of("iphone 13").wilayas.is_empty());
    }

    #[test]
    fn a_category_word_names_the_thing_not_its_parts() {
        // `voiture` is in the name of the parts category (`pièces auto`) too: a car query
        // must still rank a car over a headlamp.
        assert!(!of("voiture").accessory);
        assert!(!of("voiture setif").accessory);
        assert!(!of("voiture")
            .categories
            .contains(&"vehicle-parts".to_string()));
        assert!(!of("telephone").accessory);
        // A word beside it may name the part.
        assert!(of("clé voiture").accessory);
        assert!(of("pièces voiture").accessory);
        assert!(of("phone case").accessory);
    }

    #[test]
    fn an_ad_text_names_places_in_either_script() {
        let named = |text: &str| {
            let words = analyzer().words(text);
            places_named(&words.iter().collect::<Vec<_>>())
        };
        let eulma = geography()
            .communes()
            .iter()
            .find(|c| c.name_latin == "El Eulma")
            .unwrap();
        assert!(named("سيارة للبيع العلمة").1.contains(&eulma.id));
        assert!(named("voiture a vendre el eulma").1.contains(&eulma.id));
        assert_eq!(named("Oran centre").0, vec![31]);
        assert_eq!(named("iphone 13 nqi"), (vec![], vec![]));
    }

    #[test]
    fn an_accessory_word_asks_for_accessories_only_when_it_names_nothing_else() {
        assert!(of("coque iphone 15").only_accessories);
        assert!(of("phare clio 5").only_accessories);
        // `jeux` names the games-and-consoles category too.
        assert!(!of("console de jeux").only_accessories);
        assert!(!of("iphone 15").only_accessories);
    }

    #[test]
    fn a_job_query_asks_for_offers_unless_it_seeks_one() {
        assert_eq!(of("driver job").job_seeker, Some(false));
        assert_eq!(of("توظيف").job_seeker, Some(false));
        assert_eq!(of("سائق يبحث عن عمل").job_seeker, Some(true));
        assert_eq!(of("chauffeur cherche emploi").job_seeker, Some(true));
        assert_eq!(of("iphone 13").job_seeker, None);
    }

    #[test]
    fn a_word_that_names_a_kind_of_thing_is_no_place() {
        // The commune El Mezeraa (المزرعة) is a farm, `ferme` the property type.
        for q in ["ferme", "مزرعة"] {
            assert!(of(q).wilayas.is_empty(), "{q}: {:?}", of(q));
        }
        assert_eq!(of("oran").wilayas, vec![31]);
    }

    #[test]
    fn an_accessory_word_asks_for_the_part_only_when_it_comes_first() {
        assert!(of("boite clio").only_accessories);
        assert!(!of("clio boite automatique").only_accessories);
        assert!(!of("golf 7 moteur 1.6").only_accessories);
        // Nor does a word after the category word name a part.
        assert!(!of("voiture pas cher").accessory);
    }

    #[test]
    fn a_word_for_renting_is_no_place() {
        // Communes are named إيجار and M'kira: `location` and `كراء` ask for a rental.
        for q in ["location", "كراء", "kira"] {
            let i = of(q);
            assert!(i.rent, "{q}: {i:?}");
            assert!(i.wilayas.is_empty(), "{q}: {i:?}");
        }
    }

    #[test]
    fn accessory_words_ask_for_accessories() {
        assert!(of("coque iphone 13").accessory);
        assert!(of("pare choc golf 7").accessory);
        assert!(!of("iphone 13").accessory);
    }
}
