//! A search request in domain terms, checked against the catalog before it runs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use souk_domain::attributes::AttributeKind;
use souk_domain::{catalog, geography, ValidationErrors};

pub const MAX_LIMIT: usize = 100;
pub const MAX_RADIUS_KM: f64 = 500.0;
pub const MAX_QUERY_CHARS: usize = 200;
/// How deep offset pages may reach (hits skipped plus the page); cursors go further. A top-k
/// heap of this size stays cheap, while an unbounded offset would cost like a table scan.
pub const MAX_OFFSET: usize = 1_000;
/// Values one list parameter may name (`wilaya=…`, `fuel=…`): each becomes a clause.
pub const MAX_LIST_VALUES: usize = 20;
/// Words (and pieces of glued words) a query may have: each is a clause, and under typo
/// tolerance a walk of the term dictionary.
pub const MAX_QUERY_WORDS: usize = 10;
/// Queries of more words than this are not retried with typo tolerance.
pub const MAX_FUZZY_WORDS: usize = 5;

/// Words and pieces of `q` as the index sees them; a piece that is a number is no walk of
/// the term dictionary (typo tolerance leaves numbers exact), so it does not count, nor do the
/// halves of a name the lexicon knows whole (`ماك بوك`).
pub fn query_words(q: &str) -> usize {
    let a = crate::analysis::analyzer();
    a.words(q)
        .iter()
        .map(|w| {
            if a.is_canonical(&w.term) {
                return 1;
            }
            let pieces = w
                .parts
                .iter()
                .filter(|p| !p.bytes().all(|b| b.is_ascii_digit()));
            1 + pieces.count()
        })
        .sum()
}

fn check_list(e: &mut ValidationErrors, field: &str, len: usize) {
    if len > MAX_LIST_VALUES {
        e.push(
            field,
            "too_many_values",
            format!("at most {MAX_LIST_VALUES} values"),
        );
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Best text match first; the default when there is a query.
    Relevance,
    /// Newest first; the default without a query.
    #[default]
    Newest,
    PriceAsc,
    PriceDesc,
    /// Nearest first; needs `near`.
    Distance,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        Some(match s {
            "relevance" => Sort::Relevance,
            "newest" => Sort::Newest,
            "price_asc" => Sort::PriceAsc,
            "price_desc" => Sort::PriceDesc,
            "distance" => Sort::Distance,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Newest => "newest",
            Sort::PriceAsc => "price_asc",
            Sort::PriceDesc => "price_desc",
            Sort::Distance => "distance",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    pub lat: f64,
    pub lon: f64,
    pub radius_km: f64,
}

/// Integer bounds, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IntRange {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchRequest {
    pub q: Option<String>,
    /// Any category node; includes its subtree.
    pub category: Option<String>,
    pub wilayas: Vec<i32>,
    pub commune: Option<i32>,
    /// Only this seller's ads (a store's page).
    pub seller: Option<i64>,
    pub price: IntRange,
    /// Enum attribute → accepted values (any of them).
    pub enums: BTreeMap<String, Vec<String>>,
    /// Integer attribute → bounds.
    pub ints: BTreeMap<String, IntRange>,
    pub negotiable: Option<bool>,
    pub exchange: Option<bool>,
    pub with_photos: Option<bool>,
    /// Only ads whose seller ships (`delivery=true`).
    pub delivery: Option<bool>,
    /// Only ads showing the urgent badge (`urgent=true`; false asks for nothing).
    pub urgent: Option<bool>,
    pub near: Option<Near>,
    pub sort: Option<Sort>,
    pub limit: usize,
    /// Hits to skip before the page (numbered pages of browse); at most `MAX_OFFSET`.
    pub offset: usize,
    pub cursor: Option<String>,
    /// Compute facet counts (category, wilaya, the leaf's enum attributes).
    pub facets: bool,
}

impl SearchRequest {
    /// The sort in effect: relevance with a query, newest without.
    pub fn effective_sort(&self) -> Sort {
        self.sort
            .unwrap_or(if self.q.as_deref().is_some_and(|q| !q.trim().is_empty()) {
                Sort::Relevance
            } else {
                Sort::Newest
            })
    }

    /// Checks every parameter against the catalog and the geography; all problems at once.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::default();
        let cat = catalog();
        if let Some(q) = &self.q {
            if q.chars().count() > MAX_QUERY_CHARS {
                e.push(
                    "q",
                    "too_long",
                    format!("at most {MAX_QUERY_CHARS} characters"),
                );
            } else if query_words(q) > MAX_QUERY_WORDS {
                e.push(
                    "q",
                    "too_many_words",
                    format!("at most {MAX_QUERY_WORDS} words"),
                );
            }
        }
        // Attribute filters are only meaningful within one leaf's schema.
        let leaf = match &self.category {
            Some(slug) => match cat.get(slug) {
                None => {
                    e.push("category", "unknown_category", "no category has this slug");
                    None
                }
                Some(c) if c.is_leaf() => Some(c),
                Some(_) => None,
            },
            None => None,
        };
        check_list(&mut e, "wilaya", self.wilayas.len());
        for w in self.wilayas.iter().take(MAX_LIST_VALUES) {
            if geography().wilaya(*w).is_none() {
                e.push(
                    "wilaya",
                    "unknown_wilaya",
                    format!("no wilaya has code {w}"),
                );
            }
        }
        if let Some(c) = self.commune {
            if geography().commune(c).is_none() {
                e.push("commune", "unknown_commune", "no commune has this id");
            }
        }
        check_range(&mut e, "price", self.price);
        for (key, values) in &self.enums {
            check_list(&mut e, key, values.len());
            match leaf.and_then(|l| l.attribute(key)) {
                Some(spec) => match &spec.kind {
                    AttributeKind::Enum { .. } => {
                        for v in values.iter().take(MAX_LIST_VALUES) {
                            if spec.option(v).is_none() {
                                e.push(
                                    key.clone(),
                                    "invalid_option",
                                    format!("{v} is not a value of {key}"),
                                );
                            }
                        }
                    }
                    _ => e.push(
                        key.clone(),
                        "not_an_enum",
                        format!("{key} is not a choice attribute"),
                    ),
                },
                None => e.push(
                    key.clone(),
                    "unknown_attribute",
                    unknown_attribute(leaf.is_some()),
                ),
            }
        }
        for (key, range) in &self.ints {
            match leaf.and_then(|l| l.attribute(key)).map(|s| &s.kind) {
                Some(AttributeKind::Integer { .. }) => check_range(&mut e, key, *range),
                Some(_) => e.push(
                    format!("{key}_min"),
                    "not_a_number",
                    format!("{key} is not a numeric attribute"),
                ),
                None => e.push(
                    format!("{key}_min"),
                    "unknown_attribute",
                    unknown_attribute(leaf.is_some()),
                ),
            }
        }
        if let Some(n) = self.near {
            if !(n.lat.is_finite()
                && n.lon.is_finite()
                && (-90.0..=90.0).contains(&n.lat)
                && (-180.0..=180.0).contains(&n.lon))
            {
                e.push(
                    "near",
                    "invalid_point",
                    "near=lat,lon with a latitude in -90..90 and a longitude in -180..180",
                );
            }
            if !(n.radius_km.is_finite() && n.radius_km > 0.0 && n.radius_km <= MAX_RADIUS_KM) {
                e.push(
                    "radius_km",
                    "out_of_range",
                    format!("between 0 and {MAX_RADIUS_KM} km"),
                );
            }
        }
        if self.effective_sort() == Sort::Distance && self.near.is_none() {
            e.push(
                "sort",
                "needs_near",
                "sorting by distance needs near=lat,lon",
            );
        }
        if self.limit == 0 || self.limit > MAX_LIMIT {
            e.push(
                "limit",
                "out_of_range",
                format!("between 1 and {MAX_LIMIT}"),
            );
        }
        if self.offset + self.limit > MAX_OFFSET {
            e.push(
                "page",
                "too_deep",
                format!(
                    "numbered pages reach {MAX_OFFSET} results deep; follow next_cursor beyond"
                ),
            );
        }
        e.into_result(())
    }
}

fn unknown_attribute(has_leaf: bool) -> &'static str {
    if has_leaf {
        "this category has no such attribute"
    } else {
        "attribute filters need a leaf category (e.g. category=cars)"
    }
}

fn check_range(e: &mut ValidationErrors, name: &str, r: IntRange) {
    if let (Some(min), Some(max)) = (r.min, r.max) {
        if min > max {
            e.push(
                format!("{name}_min"),
                "min_above_max",
                format!("{name}_min must not exceed {name}_max"),
            );
        }
    }
}
