//! What the index knows of a listing, and how it becomes a tantivy document.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use souk_domain::attributes::AttributeKind;
use souk_domain::price_hint::peer_key;
use souk_domain::{catalog, geography, AttributeValue, Attributes};
use tantivy::TantivyDocument;

use crate::analysis::{analyzer, Word};
use crate::cells::cells_of;
use crate::schema::{
    cat_in_cell, cat_in_wilaya, in_category, Dictionary, Fields, FLAG_DELIVERS, FLAG_EXCHANGE,
    FLAG_NEGOTIABLE, FLAG_PHOTOS, FLAG_URGENT, TRAIT_ACCESSORY, TRAIT_RENTAL,
};
use crate::sound::sound_keys;

/// An active listing as the index needs it. Built by the caller from its own rows; the search
/// crate never reads the database.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingDoc {
    pub id: i64,
    pub title: String,
    pub description: String,
    /// Leaf category slug.
    pub category: String,
    pub attributes: Attributes,
    pub price: Option<i64>,
    pub negotiable: bool,
    pub exchange: bool,
    pub wilaya: i32,
    pub commune: i32,
    pub lat: f64,
    pub lon: f64,
    /// Unix time in microseconds.
    pub created_at_us: i64,
    /// The last paid bump (µs): "newest" orders by it when later than the posting.
    pub bumped_at_us: Option<i64>,
    pub expires_at_us: i64,
    /// Storage key of the first photo, if any.
    pub thumbnail: Option<String>,
    pub seller_id: i64,
    /// When the seller's account was made, if its address is confirmed (`None` otherwise):
    /// only ads of accounts old enough feed the suggestions (`suggest`).
    pub seller_since_us: Option<i64>,
    /// The seller's store, shown with the ad in results.
    pub store: Option<StoreRef>,
    /// none, seller or courier.
    pub delivery: String,
    /// Featured until then (µs); `None` when not featured now. A featured ad is also kept in
    /// the index's shelf of promoted ads.
    pub featured_until_us: Option<i64>,
    /// Shows the urgent badge until then (µs); `None` when not now.
    pub urgent_until_us: Option<i64>,
}

/// A store as results show it next to an ad.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoreRef {
    pub slug: String,
    pub name: String,
}

/// The stored part of a hit: what a result list shows, without a database round trip.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub id: i64,
    pub title: String,
    pub price: Option<i64>,
    pub negotiable: bool,
    pub category: String,
    pub wilaya: i32,
    pub commune: i32,
    pub lat: f64,
    pub lon: f64,
    pub thumbnail: Option<String>,
    pub created_at_us: i64,
    #[serde(default)]
    pub store: Option<StoreRef>,
    /// none, seller or courier (documents written before it say nothing: none).
    #[serde(default = "no_delivery")]
    pub delivery: String,
    /// The seller (hits carry the seller's rating, looked up by it).
    #[serde(default)]
    pub seller_id: i64,
    /// The urgent badge's end (µs), if bought: shown while in the future.
    #[serde(default)]
    pub urgent_until_us: Option<i64>,
}

fn no_delivery() -> String {
    "none".into()
}

/// Analysed words that describe an ad without being in its text: category names and enum
/// labels in Arabic, French and English, and place names, so "appartement" finds "شقة" through
/// its property type and "وهران" finds an ad in Oran. They come from reference data, so they
/// are analysed once and reused for every document.
struct ImpliedWords {
    category: HashMap<String, Vec<String>>,
    option: HashMap<(String, String), Vec<String>>,
    commune: HashMap<i32, Vec<String>>,
    wilaya: HashMap<i32, Vec<String>>,
}

fn implied_words() -> &'static ImpliedWords {
    static W: OnceLock<ImpliedWords> = OnceLock::new();
    W.get_or_init(|| {
        let a = analyzer();
        let three = |l: &souk_domain::Localized| a.tokens(&format!("{} {} {}", l.ar, l.fr, l.en));
        let cat = catalog();
        let mut option = HashMap::new();
        for leaf in cat.leaves() {
            for spec in &leaf.attributes {
                if let AttributeKind::Enum { options } = &spec.kind {
                    for o in options {
                        option
                            .entry((spec.key.clone(), o.value.clone()))
                            .or_insert_with(|| three(&o.label));
                    }
                }
            }
        }
        let geo = geography();
        ImpliedWords {
            category: cat
                .all()
                .map(|c| {
                    (
                        c.slug.clone(),
                        cat.path(&c.slug)
                            .iter()
                            .flat_map(|p| three(&p.name))
                            .collect(),
                    )
                })
                .collect(),
            option,
            commune: geo
                .communes()
                .iter()
                .map(|c| (c.id, a.tokens(&format!("{} {}", c.name_latin, c.name_ar))))
                .collect(),
            wilaya: geo
                .wilayas()
                .iter()
                .map(|w| (w.code, a.tokens(&format!("{} {}", w.name_latin, w.name_ar))))
                .collect(),
        }
    })
}

/// The body's words: the description, free-text attributes, the implied words, and the words
/// the title's and description's words imply (`Analyzer::implied`).
fn body_tokens(doc: &ListingDoc, title: &[Word], description: &[Word]) -> Vec<String> {
    let a = analyzer();
    let w = implied_words();
    let mut out: Vec<String> = terms_of(description).collect();
    // Words the text implies, once each, and only where they name the ad's category (a Poco
    // F3 is a phone, not an apartment).
    let mut implied: Vec<String> = title
        .iter()
        .chain(description)
        .flat_map(|w| a.implied(&w.term))
        .filter(|t| crate::intent::names_leaf(t, &doc.category))
        .cloned()
        .collect();
    implied.sort();
    implied.dedup();
    out.extend(implied);
    out.extend(w.category.get(&doc.category).into_iter().flatten().cloned());
    if let Some(leaf) = catalog().get(&doc.category) {
        for spec in &leaf.attributes {
            match (&spec.kind, doc.attributes.get(&spec.key)) {
                (AttributeKind::Enum { .. }, Some(AttributeValue::Text(v))) => {
                    out.extend(
                        w.option
                            .get(&(spec.key.clone(), v.clone()))
                            .into_iter()
                            .flatten()
                            .cloned(),
                    );
                }
                (AttributeKind::Text { .. }, Some(AttributeValue::Text(v))) => {
                    out.extend(a.tokens(v))
                }
                _ => {}
            }
        }
    }
    out.extend(w.wilaya.get(&doc.wilaya).into_iter().flatten().cloned());
    out.extend(w.commune.get(&doc.commune).into_iter().flatten().cloned());
    // Places the title names, in their other spellings (`العلمة` is El Eulma). Not the
    // description's: it names places for other reasons (`10 min from Oran`), and every name
    // read there is one more false reading (a word that is also a commune's name).
    let (wilayas, communes) = crate::intent::places_named(&title.iter().collect::<Vec<_>>());
    for code in wilayas.iter().filter(|c| **c != doc.wilaya) {
        out.extend(w.wilaya.get(code).into_iter().flatten().cloned());
    }
    for id in communes.iter().filter(|c| **c != doc.commune) {
        out.extend(w.commune.get(id).into_iter().flatten().cloned());
    }
    out
}

/// The words of an ad's brand and model attributes: a query word among them says the ad is
/// that thing (`schema::Fields::named`), more than a title or description can.
pub fn name_words(category: &str, attributes: &Attributes) -> Vec<Word> {
    let a = analyzer();
    let mut out = Vec::new();
    if let Some(AttributeValue::Text(brand)) = attributes.get("brand") {
        // The label in the lexicon's spelling (`mercedes_benz` → Mercedes-Benz → mercedes).
        let label = catalog()
            .get(category)
            .and_then(|leaf| leaf.attributes.iter().find(|s| s.key == "brand"))
            .and_then(|spec| match &spec.kind {
                AttributeKind::Enum { options } => options.iter().find(|o| &o.value == brand),
                _ => None,
            });
        if let Some(o) = label.filter(|o| o.value != "other") {
            out.extend(a.words(&o.label.fr));
        }
    }
    if let Some(AttributeValue::Text(model)) = attributes.get("model") {
        out.extend(a.words(model));
    }
    out
}

/// Does the category sell named products (its schema has a brand or a model)? There the
/// title names the thing sold; in accessories and parts it names what they fit.
fn sells_named_products(category: &str) -> bool {
    catalog().get(category).is_some_and(|c| {
        c.attributes
            .iter()
            .any(|a| a.key == "brand" || a.key == "model")
    })
}

/// The words that name an ad: its title's, then its brand's and model's.
pub fn head_words(title: &str, category: &str, attributes: &Attributes) -> Vec<Word> {
    let mut out = analyzer().words(title);
    out.extend(name_words(category, attributes));
    out
}

/// The terms of words that name an ad (`head_terms`).
pub struct HeadTerms {
    /// Each word and the pieces of glued ones.
    pub words: Vec<String>,
    /// Each pair of neighbouring pieces (`note 12` and `note12` both give `note_12`), so the
    /// whole model name outranks a part of it.
    pub pairs: Vec<String>,
}

impl HeadTerms {
    /// Words and pairs, as one field holds them.
    fn joined(&self) -> String {
        let mut all = self.words.clone();
        all.extend(self.pairs.iter().cloned());
        all.join(" ")
    }
}

/// The meaningful pieces of `words` in order: each word, or the pieces of a glued one
/// (`note12` is `note`, `12`), without the little words queries drop
/// (`analysis::Analyzer::query_words`), so `pomme de terre` is `pomme`, `terre` on both sides.
pub fn units(words: &[Word]) -> Vec<&str> {
    let mut units: Vec<&str> = Vec::new();
    for w in words {
        if crate::analysis::is_stop_word(&w.raw) {
            continue;
        }
        // A name the lexicon knows whole (`ps5` from `playstation 5`) is one unit; a glued
        // word it does not (`clio4`) is its pieces.
        if w.parts.is_empty() || analyzer().is_canonical(&w.term) {
            units.push(&w.term);
        } else {
            units.extend(w.parts.iter().map(String::as_str));
        }
    }
    units
}

/// The head fields' terms of `words` (see `HeadTerms`).
pub fn head_terms(words: &[Word]) -> HeadTerms {
    let mut out = Vec::new();
    for w in words {
        out.push(w.term.clone());
        out.extend(w.parts.iter().cloned());
    }
    HeadTerms {
        words: out,
        pairs: units(words)
            .windows(2)
            .map(|p| format!("{}_{}", p[0], p[1]))
            .collect(),
    }
}

/// A model name as terms of the `named` field: the whole name and each of its endings
/// (`iPhone 13 Pro` gives `=iphone_13_pro`, `=13_pro`, `=pro`). A query names the model
/// exactly when one of its runs of words is one of these (`query::model_clauses`): `iphone 13`
/// is the iPhone 13's whole name and no ending of the 13 Pro's.
pub fn model_phrases(model: &str) -> Vec<String> {
    let words = analyzer().words(model);
    let units = units(&words);
    (0..units.len())
        .map(|i| model_phrase(&units[i..]))
        .collect()
}

/// The `named` term of a run of model words (`model_phrases`).
pub fn model_phrase(units: &[&str]) -> String {
    format!("={}", units.join("_"))
}

/// Does the ad offer for rent in a category of things for sale (`schema::TRAIT_RENTAL`)?
pub fn is_rental(category: &str, title: &[Word]) -> bool {
    !crate::intent::RENT_CATEGORIES.contains(&category)
        && title.iter().any(|w| crate::intent::is_rent_word(&w.term))
}

/// Is the ad an accessory or a part (`schema::TRAIT_ACCESSORY`)?
pub fn is_accessory(category: &str, title: &[Word]) -> bool {
    crate::intent::is_accessory_leaf(category)
        || title
            .iter()
            .find(|w| !crate::analysis::is_stop_word(&w.raw))
            .is_some_and(|w| analyzer().is_accessory(&w.term))
}

/// The sound keys of the ad's own words (title twice, description, free-text attributes):
/// see `sound`. Implied words (category names, places) come from reference data, where the
/// lexicon already knows every spelling.
fn sound_terms(doc: &ListingDoc, title: &[Word], description: &[Word]) -> Vec<String> {
    let a = analyzer();
    let mut out: Vec<String> = Vec::new();
    let mut add = |raw: &str, times: usize| {
        sound_keys_cached(raw, |keys| {
            for _ in 0..times {
                out.extend(keys.iter().cloned());
            }
        })
    };
    for w in title {
        add(&w.raw, 2);
    }
    for w in description {
        add(&w.raw, 1);
    }
    for v in doc.attributes.values() {
        if let AttributeValue::Text(t) = v {
            for w in a.words(t) {
                add(&w.raw, 1);
            }
        }
    }
    out
}

/// `sound_keys` through a per-thread memo: ads repeat the same few thousand words, and a
/// rebuild asks for them hundreds of thousands of times.
fn sound_keys_cached(raw: &str, with: impl FnOnce(&[String])) {
    thread_local! {
        static MEMO: std::cell::RefCell<HashMap<String, Vec<String>>> =
            std::cell::RefCell::new(HashMap::new());
    }
    /// Words remembered per thread before the memo starts afresh.
    const MEMO_WORDS: usize = 200_000;
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if let Some(keys) = m.get(raw) {
            return with(keys);
        }
        if m.len() >= MEMO_WORDS {
            m.clear();
        }
        let keys = sound_keys(raw);
        with(&keys);
        m.insert(raw.to_string(), keys);
    })
}

/// Each word's term and, for glued words, their pieces (what `Analyzer::tokens` gives).
fn terms_of(words: &[Word]) -> impl Iterator<Item = String> + '_ {
    words
        .iter()
        .flat_map(|w| std::iter::once(w.term.clone()).chain(w.parts.iter().cloned()))
}

pub fn to_document(doc: &ListingDoc, fields: &Fields, dict: &Dictionary) -> TantivyDocument {
    let a = analyzer();
    let mut d = TantivyDocument::default();
    d.add_u64(fields.id, doc.id as u64);
    let title_words = a.words(&doc.title);
    let description = a.words(&doc.description);
    let title: Vec<String> = terms_of(&title_words).collect();
    let body = body_tokens(doc, &title_words, &description);
    d.add_text(
        fields.sound,
        sound_terms(doc, &title_words, &description).join(" "),
    );
    let head = head_terms(&title_words);
    let mut naming = name_words(&doc.category, &doc.attributes);
    if sells_named_products(&doc.category) {
        naming.extend(title_words.iter().cloned());
    }
    let named = head_terms(&naming);
    let mut words = title.clone();
    words.extend(title);
    // The words naming the thing sold once more: a one-word query, answered from this field
    // alone (`query::text_query`), ranks the product above an accessory that names it.
    words.extend(named.words.iter().cloned());
    words.extend(body);
    // Already analysed: the index only splits them apart again (see `schema::TERMS_TOKENIZER`).
    d.add_text(fields.text, words.join(" "));

    if let Some(leaf) = dict.category_ord(&doc.category) {
        let mut in_leaf: Vec<String> = head
            .words
            .iter()
            .chain(&named.words)
            .map(|t| in_category(leaf, t))
            .collect();
        in_leaf.sort();
        in_leaf.dedup();
        d.add_text(fields.cat_head, in_leaf.join(" "));
    }
    d.add_text(fields.head, head.joined());
    let mut named_terms = named.joined();
    if let Some(AttributeValue::Text(model)) = doc.attributes.get("model") {
        for phrase in model_phrases(model) {
            named_terms.push(' ');
            named_terms.push_str(&phrase);
        }
    }
    d.add_text(fields.named, named_terms);
    if let (Some(AttributeValue::Text(brand)), Some(AttributeValue::Text(model))) =
        (doc.attributes.get("brand"), doc.attributes.get("model"))
    {
        if let Some(t) = crate::terms::model_term(brand, model) {
            d.add_text(fields.model, t);
        }
    }
    let cells = cells_of(doc.lat, doc.lon);
    for c in catalog().path(&doc.category) {
        if let Some(o) = dict.category_ord(&c.slug) {
            d.add_u64(fields.cat, o);
            d.add_u64(fields.cat_wilaya, cat_in_wilaya(o, doc.wilaya as u64));
            for cell in &cells {
                d.add_u64(fields.cat_cell, cat_in_cell(o, *cell));
            }
        }
    }
    if let Some(o) = dict.category_ord(&doc.category) {
        d.add_u64(fields.leaf, o);
    }
    d.add_u64(fields.wilaya, doc.wilaya as u64);
    d.add_u64(fields.commune, doc.commune as u64);
    d.add_u64(fields.seller, doc.seller_id as u64);
    d.add_u64(
        fields.seller_since,
        doc.seller_since_us
            .map_or(u64::MAX, |us| (us / 1_000_000).max(0) as u64),
    );
    if let Some(key) = peer_key(&doc.category, &doc.attributes, doc.wilaya) {
        d.add_u64(fields.peer, crate::terms::peer_term(&key));
    }
    if let Some(p) = doc.price {
        d.add_i64(fields.price, p);
    }
    // "Newest" orders by when the ad last came to the top: posted, or bumped since.
    d.add_i64(
        fields.created,
        doc.created_at_us.max(doc.bumped_at_us.unwrap_or(i64::MIN)),
    );
    d.add_i64(fields.expires, doc.expires_at_us);
    if doc.negotiable {
        d.add_u64(fields.flags, FLAG_NEGOTIABLE);
    }
    if doc.exchange {
        d.add_u64(fields.flags, FLAG_EXCHANGE);
    }
    if doc.thumbnail.is_some() {
        d.add_u64(fields.flags, FLAG_PHOTOS);
    }
    if doc.delivery != "none" {
        d.add_u64(fields.flags, FLAG_DELIVERS);
    }
    if let Some(until) = doc.urgent_until_us {
        d.add_u64(fields.flags, FLAG_URGENT);
        d.add_i64(fields.urgent_until, until);
    }
    if let Some(until) = doc.featured_until_us {
        d.add_i64(fields.featured_until, until);
    }
    let mut traits = 0;
    if is_accessory(&doc.category, &title_words) {
        traits |= TRAIT_ACCESSORY;
    }
    if is_rental(&doc.category, &title_words) {
        traits |= TRAIT_RENTAL;
    }
    d.add_u64(fields.traits, traits);
    d.add_f64(fields.lat, doc.lat);
    d.add_f64(fields.lon, doc.lon);
    for c in cells {
        d.add_u64(fields.cell, c);
    }
    for (key, value) in &doc.attributes {
        match value {
            AttributeValue::Text(v) => {
                if let (Some(f), Some(o)) = (fields.enums.get(key), dict.enum_ord(key, v)) {
                    d.add_u64(*f, o);
                }
            }
            AttributeValue::Integer(i) => {
                if let Some(f) = fields.ints.get(key) {
                    d.add_i64(*f, *i);
                }
            }
            AttributeValue::Bool(_) => {}
        }
    }
    let summary = Summary {
        id: doc.id,
        title: doc.title.clone(),
        price: doc.price,
        negotiable: doc.negotiable,
        category: doc.category.clone(),
        wilaya: doc.wilaya,
        commune: doc.commune,
        lat: doc.lat,
        lon: doc.lon,
        thumbnail: doc.thumbnail.clone(),
        created_at_us: doc.created_at_us,
        store: doc.store.clone(),
        delivery: doc.delivery.clone(),
        seller_id: doc.seller_id,
        urgent_until_us: doc.urgent_until_us,
    };
    d.add_bytes(
        fields.summary,
        &serde_json::to_vec(&summary).unwrap_or_default(),
    );
    d
}
