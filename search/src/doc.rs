//! What the index knows of a listing, and how it becomes a tantivy document.

use serde::{Deserialize, Serialize};
use souk_domain::attributes::AttributeKind;
use souk_domain::{catalog, geography, AttributeValue, Attributes};
use tantivy::tokenizer::{PreTokenizedString, Token};
use tantivy::TantivyDocument;

use crate::analysis::analyzer;
use crate::cells::cells_of;
use crate::schema::{Dictionary, Fields, FLAG_EXCHANGE, FLAG_NEGOTIABLE, FLAG_PHOTOS};

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
    pub expires_at_us: i64,
    /// Storage key of the first photo, if any.
    pub thumbnail: Option<String>,
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
}

fn pre_tokenized(text: String, tokens: Vec<String>) -> PreTokenizedString {
    let tokens = tokens
        .into_iter()
        .enumerate()
        .map(|(i, t)| Token {
            offset_from: 0,
            offset_to: 0,
            position: i,
            text: t,
            position_length: 1,
        })
        .collect();
    PreTokenizedString { text, tokens }
}

/// Words that describe the ad without being in its text: category names and enum labels in
/// Arabic, French and English, and the place names, so "appartement" finds "شقة" through its
/// property type and "وهران" finds an ad in Oran.
fn implied_text(doc: &ListingDoc) -> String {
    let mut out = String::new();
    let cat = catalog();
    for c in cat.path(&doc.category) {
        for s in [&c.name.ar, &c.name.fr, &c.name.en] {
            out.push_str(s);
            out.push(' ');
        }
    }
    if let Some(leaf) = cat.get(&doc.category) {
        for spec in &leaf.attributes {
            if let (AttributeKind::Enum { .. }, Some(AttributeValue::Text(v))) =
                (&spec.kind, doc.attributes.get(&spec.key))
            {
                if let Some(o) = spec.option(v) {
                    for s in [&o.label.ar, &o.label.fr, &o.label.en] {
                        out.push_str(s);
                        out.push(' ');
                    }
                }
            }
            if let (AttributeKind::Text { .. }, Some(AttributeValue::Text(v))) =
                (&spec.kind, doc.attributes.get(&spec.key))
            {
                out.push_str(v);
                out.push(' ');
            }
        }
    }
    let geo = geography();
    if let Some(w) = geo.wilaya(doc.wilaya) {
        out.push_str(&format!("{} {} ", w.name_latin, w.name_ar));
    }
    if let Some(c) = geo.commune(doc.commune) {
        out.push_str(&format!("{} {} ", c.name_latin, c.name_ar));
    }
    out
}

pub fn to_document(doc: &ListingDoc, fields: &Fields, dict: &Dictionary) -> TantivyDocument {
    let a = analyzer();
    let mut d = TantivyDocument::default();
    d.add_u64(fields.id, doc.id as u64);
    d.add_pre_tokenized_text(
        fields.title,
        pre_tokenized(String::new(), a.tokens(&doc.title)),
    );
    let body = format!("{} {}", doc.description, implied_text(doc));
    d.add_pre_tokenized_text(fields.body, pre_tokenized(String::new(), a.tokens(&body)));
    for c in catalog().path(&doc.category) {
        if let Some(o) = dict.category_ord(&c.slug) {
            d.add_u64(fields.cat, o);
        }
    }
    if let Some(o) = dict.category_ord(&doc.category) {
        d.add_u64(fields.leaf, o);
    }
    d.add_u64(fields.wilaya, doc.wilaya as u64);
    d.add_u64(fields.commune, doc.commune as u64);
    if let Some(p) = doc.price {
        d.add_i64(fields.price, p);
    }
    d.add_i64(fields.created, doc.created_at_us);
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
    d.add_f64(fields.lat, doc.lat);
    d.add_f64(fields.lon, doc.lon);
    for c in cells_of(doc.lat, doc.lon) {
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
    };
    d.add_bytes(
        fields.summary,
        &serde_json::to_vec(&summary).unwrap_or_default(),
    );
    d
}
