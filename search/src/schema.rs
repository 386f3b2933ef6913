//! The index schema, derived from the category catalog: one fast column per enum and per
//! integer attribute key, so that filters and facet counts read columns, never documents.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};

use souk_domain::attributes::AttributeKind;
use souk_domain::Catalog;
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, FAST,
    INDEXED, STORED,
};

/// Every field of the index, resolved once.
#[derive(Clone)]
pub struct Fields {
    pub id: Field,
    /// Title words (twice, as a boost) and body words, in one field: one posting list per
    /// word is cheaper to search than a union over two fields.
    pub text: Field,
    /// Sound keys of the ad's own words (`sound::sound_keys`): consulted, with a low weight,
    /// only for query words the exact terms barely know.
    pub sound: Field,
    /// The title's words and their neighbouring pairs (`doc::head_terms`): optional clauses
    /// that lift an ad whose title the query is.
    pub head: Field,
    /// The same of the brand and model attributes (`doc::name_words`): the ad is that thing,
    /// not an accessory or a part that names it.
    pub named: Field,
    /// The ad's brand and model (`terms::model_term`): suggestions list the models ads
    /// name, with their counts, from this field's terms.
    pub model: Field,
    /// The head words within the ad's leaf category (`in_category`): similar ads are one
    /// pruned union of short posting lists.
    pub cat_head: Field,
    /// Indexed category ordinals of the leaf and all its ancestors (subtree filters).
    pub cat: Field,
    /// Each of `cat`'s ordinals combined with the wilaya (`cat_in_wilaya`): browsing a category
    /// in a wilaya, the commonest filter pair, reads one short posting list instead of
    /// intersecting two long ones.
    pub cat_wilaya: Field,
    /// Each of `cat`'s ordinals combined with each of the ad's cells (`cat_in_cell`).
    pub cat_cell: Field,
    /// Fast column: the leaf's ordinal (facet counts).
    pub leaf: Field,
    pub wilaya: Field,
    pub commune: Field,
    /// The seller's user id (a store's page searches within its ads; a fair price counts one
    /// ad per seller).
    pub seller: Field,
    /// Unix seconds the seller's account was made, `u64::MAX` while its address is not
    /// confirmed (`ListingDoc::seller_since_us`).
    pub seller_since: Field,
    pub price: Field,
    pub created: Field,
    /// Expiry time (µs); hits past it are skipped until the sweep removes them.
    pub expires: Field,
    /// Until when (µs) the ad is featured / shows the urgent badge; absent when never bought
    /// or past at projection. Checked against the time of the search, so a mark ends on time
    /// even before the worker's sweep re-projects the ad.
    pub featured_until: Field,
    pub urgent_until: Field,
    /// Fast column of what an ad is beside its words (`TRAIT_ACCESSORY`): read per hit to
    /// rank the thing itself over its accessories (`intent::Demotions`).
    pub traits: Field,
    pub flags: Field,
    pub lat: Field,
    pub lon: Field,
    pub cell: Field,
    /// The hash of the ad's fair-price peer key (`souk_domain::price_hint::peer_key`): the
    /// comparables of a price hint are one posting list.
    pub peer: Field,
    pub summary: Field,
    /// Enum attribute key → u64 column of value ordinals (see `EnumDictionary`).
    pub enums: BTreeMap<String, Field>,
    /// Integer attribute key → i64 column.
    pub ints: BTreeMap<String, Field>,
}

pub const FLAG_NEGOTIABLE: u64 = 1;
pub const FLAG_EXCHANGE: u64 = 2;
pub const FLAG_PHOTOS: u64 = 3;
/// The seller ships (delivers himself or by courier).
pub const FLAG_DELIVERS: u64 = 4;
/// Bought the urgent badge (still to be checked against `urgent_until`).
pub const FLAG_URGENT: u64 = 5;

/// `traits` bit: the ad sells an accessory or a part (its category is one of those, or its
/// title starts with a word that names one: `coque`, `phare`, `jeu`).
pub const TRAIT_ACCESSORY: u64 = 1;
/// `traits` bit: the ad offers a thing for rent in a category of things for sale (a car-hire
/// agency among cars): its title says `location`, `كراء`, `kra`.
pub const TRAIT_RENTAL: u64 = 2;

/// Stable numbering of categories and enum values, from the catalog's order.
#[derive(Debug, Clone)]
pub struct Dictionary {
    pub categories: Vec<String>,
    cat_ord: BTreeMap<String, u64>,
    /// key → sorted distinct values; the ordinal is the position.
    pub enum_values: BTreeMap<String, Vec<String>>,
    pub int_keys: BTreeSet<String>,
}

impl Dictionary {
    pub fn from_catalog(catalog: &Catalog) -> Dictionary {
        let categories: Vec<String> = catalog.all().map(|c| c.slug.clone()).collect();
        let cat_ord = categories
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i as u64))
            .collect();
        let mut enum_values: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut int_keys = BTreeSet::new();
        for leaf in catalog.leaves() {
            for a in &leaf.attributes {
                match &a.kind {
                    AttributeKind::Enum { options } => {
                        enum_values
                            .entry(a.key.clone())
                            .or_default()
                            .extend(options.iter().map(|o| o.value.clone()));
                    }
                    AttributeKind::Integer { .. } => {
                        int_keys.insert(a.key.clone());
                    }
                    _ => {}
                }
            }
        }
        Dictionary {
            categories,
            cat_ord,
            enum_values: enum_values
                .into_iter()
                .map(|(k, v)| (k, v.into_iter().collect()))
                .collect(),
            int_keys,
        }
    }

    pub fn category_ord(&self, slug: &str) -> Option<u64> {
        self.cat_ord.get(slug).copied()
    }

    pub fn enum_ord(&self, key: &str, value: &str) -> Option<u64> {
        self.enum_values
            .get(key)?
            .binary_search_by(|v| v.as_str().cmp(value))
            .ok()
            .map(|i| i as u64)
    }

    pub fn enum_value(&self, key: &str, ord: u64) -> Option<&str> {
        self.enum_values
            .get(key)?
            .get(ord as usize)
            .map(String::as_str)
    }

    /// Changes whenever the schema, the numbering or the text analysis would: an index built
    /// under another fingerprint is rebuilt rather than misread.
    pub fn fingerprint(&self) -> String {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        SCHEMA_VERSION.hash(&mut h);
        self.categories.hash(&mut h);
        self.enum_values.hash(&mut h);
        self.int_keys.hash(&mut h);
        crate::analysis::LEXICON_JSON.hash(&mut h);
        crate::sound::RULES_VERSION.hash(&mut h);
        format!("{:016x}", h.finish())
    }
}

/// The text field's tokenizer: our analyzer runs before tantivy (it needs the lexicon and the
/// reference data), so the field receives its terms joined by spaces and only splits them.
/// (A pre-tokenized value would be serialised to JSON and parsed back for every document.)
pub const TERMS_TOKENIZER: &str = "souk_terms";

/// Registers `TERMS_TOKENIZER` on an index; needed before writing to it.
pub fn register_tokenizer(index: &tantivy::Index) {
    index.tokenizers().register(
        TERMS_TOKENIZER,
        tantivy::tokenizer::WhitespaceTokenizer::default(),
    );
}

/// Bump when the code's idea of a document changes: the fields, the analysis, and what
/// `doc.rs` adds from reference data and `intent.rs` (implied words, places read in titles,
/// category words). The lexicon and the sound rules are hashed on their own.
const SCHEMA_VERSION: u32 = 13;

/// The `cat_cell` term of a category ordinal in a cell (cells use the low 50 bits).
pub fn cat_in_cell(category_ord: u64, cell: u64) -> u64 {
    (category_ord << 50) | (cell & ((1 << 50) - 1))
}

/// The `cat_head` term of a word in a leaf category.
pub fn in_category(leaf_ord: u64, term: &str) -> String {
    format!("{leaf_ord}:{term}")
}

/// The `cat_wilaya` term of a category ordinal in a wilaya.
pub fn cat_in_wilaya(category_ord: u64, wilaya: u64) -> u64 {
    (category_ord << 8) | (wilaya & 0xff)
}

pub fn build(dict: &Dictionary) -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TERMS_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let words_only = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TERMS_TOKENIZER)
            .set_index_option(IndexRecordOption::Basic),
    );
    let fast_indexed = NumericOptions::default().set_indexed().set_fast();
    let mut enums = BTreeMap::new();
    for key in dict.enum_values.keys() {
        enums.insert(
            key.clone(),
            b.add_u64_field(&format!("e_{key}"), fast_indexed.clone()),
        );
    }
    let mut ints = BTreeMap::new();
    for key in &dict.int_keys {
        ints.insert(
            key.clone(),
            b.add_i64_field(&format!("n_{key}"), fast_indexed.clone()),
        );
    }
    let fields = Fields {
        id: b.add_u64_field("id", INDEXED | FAST),
        text: b.add_text_field("text", text.clone()),
        sound: b.add_text_field("sound", text),
        head: b.add_text_field("head", words_only.clone()),
        named: b.add_text_field("named", words_only.clone()),
        model: b.add_text_field("model", words_only.clone()),
        cat_head: b.add_text_field("cat_head", words_only),
        cat: b.add_u64_field("cat", INDEXED),
        cat_wilaya: b.add_u64_field("cat_wilaya", INDEXED),
        cat_cell: b.add_u64_field("cat_cell", INDEXED),
        leaf: b.add_u64_field("leaf", FAST),
        wilaya: b.add_u64_field("wilaya", fast_indexed.clone()),
        commune: b.add_u64_field("commune", fast_indexed.clone()),
        seller: b.add_u64_field("seller", INDEXED | FAST),
        seller_since: b.add_u64_field("seller_since", FAST),
        price: b.add_i64_field("price", fast_indexed.clone()),
        created: b.add_i64_field("created", FAST),
        expires: b.add_i64_field("expires", FAST),
        featured_until: b.add_i64_field("featured_until", FAST),
        urgent_until: b.add_i64_field("urgent_until", FAST),
        traits: b.add_u64_field("traits", FAST),
        flags: b.add_u64_field("flags", INDEXED),
        lat: b.add_f64_field("lat", FAST),
        lon: b.add_f64_field("lon", FAST),
        cell: b.add_u64_field("cell", INDEXED),
        peer: b.add_u64_field("peer", INDEXED),
        summary: b.add_bytes_field("summary", STORED),
        enums,
        ints,
    };
    (b.build(), fields)
}
