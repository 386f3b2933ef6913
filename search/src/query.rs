//! Turns a `SearchRequest` into tantivy queries. Filters that are facets (category, wilaya,
//! enum attributes) are kept apart, so facet counts can leave out a facet's own filter.

use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;

use crate::cells::covering;
use crate::intent::{intent_of, Demotions};
use crate::request::{IntRange, SearchRequest};
use crate::schema::{
    cat_in_cell, cat_in_wilaya, Dictionary, Fields, FLAG_DELIVERS, FLAG_EXCHANGE, FLAG_NEGOTIABLE,
    FLAG_PHOTOS, FLAG_URGENT,
};
use crate::text::{any_of, text_query, DocFreq};
pub use crate::text::{Labelled, Lookup, Matching};

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
    /// The text stands for more than its words (`TextQuery::widens`).
    widens: bool,
    /// Score factors for ads that disagree with what the query names (`intent`).
    pub demotions: Demotions,
    /// The text query's scoring clauses, each with what it stands for (`explain`).
    pub clauses: Vec<Labelled>,
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

    /// The text stands for more than its words (`Matching::Related`): worth a search of its
    /// own.
    pub fn widens(&self) -> bool {
        self.widens
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

/// Documents with any of `values` in `field`, unscored (`text::any_of`); none for no values.
pub(crate) fn u64_set(field: Field, values: impl IntoIterator<Item = u64>) -> Box<dyn Query> {
    let any = any_of(values.into_iter().map(|v| Term::from_field_u64(field, v)));
    Box::new(ConstScoreQuery::new(
        any.unwrap_or_else(|| Box::new(EmptyQuery)),
        0.0,
    ))
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
        .and_then(|q| text_query(fields, dict, req.category.as_deref(), q, matching, df));
    let widens = text.as_ref().is_some_and(|t| t.widens);
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
        widens,
        demotions,
        clauses,
    }
}
