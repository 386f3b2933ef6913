//! What a search answers: hits, facet counts, the next page's cursor. Plain data, kept apart
//! from the engine that computes it so that the result cache holds it without knowing the
//! engine.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::doc::Summary;

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    #[serde(flatten)]
    pub summary: Summary,
    pub distance_km: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CategoryCount {
    pub slug: String,
    pub parent: Option<String>,
    pub count: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    /// Every category node with matches; a parent counts its whole subtree.
    pub category: Vec<CategoryCount>,
    /// Wilaya code → count.
    pub wilaya: BTreeMap<i32, u64>,
    /// For a leaf category: enum attribute → value → count.
    pub attributes: BTreeMap<String, BTreeMap<String, u64>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub total: u64,
    pub hits: Vec<Hit>,
    pub facets: Option<Facets>,
    pub next_cursor: Option<String>,
    /// True when the words were matched with one typo allowed.
    pub fuzzy: bool,
    /// True when one word of several matched nothing and the results hold the others.
    pub partial: bool,
    /// True when the words found fewer than a default page of ads and the results also hold
    /// the ads of the categories (or options) they name whose text lacks them
    /// (`Matching::Related`).
    pub related: bool,
    /// Featured ads matching the request, shown above the hits; one that was among this
    /// page's hits left them for its slot (never twice on a page).
    pub promoted: Vec<Hit>,
}
