//! A page of search hits as every list shows it (search, browse, a store's or a seller's ads,
//! similar ads).

use serde::Serialize;
use souk_search::Facets;
use utoipa::ToSchema;

use crate::state::AppState;
use crate::views::{
    commune_ref, photo_url, price_display, time, wilaya_ref, Names, PlaceRef, StoreBadge,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    pub id: i64,
    pub title: String,
    pub price: Option<i64>,
    /// The price as readers say it, per language, in the category's unit.
    pub price_display: Option<Names>,
    /// Whether the seller ships: none, seller or courier.
    pub delivery: String,
    pub negotiable: bool,
    pub category: String,
    pub wilaya: PlaceRef,
    pub commune: PlaceRef,
    pub thumbnail_url: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Kilometres from `near`, when given, to 0.1 km.
    pub distance_km: Option<f64>,
    /// The seller's store, when they have one.
    pub store: Option<StoreBadge>,
    /// The seller's average and count of visible ratings; null before any (refreshed every
    /// minute or so).
    pub seller_rating: Option<crate::seller_ratings::SellerRating>,
    /// True for the featured ads of `promoted` (show them marked as such: "À la une").
    pub promoted: bool,
    /// The seller bought the urgent badge and it is still running.
    pub urgent: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    /// Matches in all pages.
    pub total: u64,
    pub items: Vec<SearchHit>,
    /// Counts per category node (with parent), wilaya, and the leaf's enum attributes. A
    /// facet's counts ignore its own filter, for multi-select.
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub facets: Option<Facets>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// True when the results allow one typo per long word.
    pub fuzzy: bool,
    /// True when no ad held every word together and the results hold all words but one.
    pub partial: bool,
    /// True when the words found fewer than 20 ads (sorted by relevance), so the results also
    /// hold, after the ads that say them, the other ads of the category a word names (`laptop`,
    /// `ثلاجة`) within the request's category, or of the kind it names (`villa`); words that
    /// describe an ad (`propre`, `nqi`) then only rank. Cursors keep it.
    pub related: bool,
    /// Up to 2 featured ads that match this page's query and filters, to show above `items`
    /// and marked as promoted; they take turns from page to page. One that is among this page's
    /// hits leaves `items` for its slot (never twice on a page; `total` and `next_cursor` are
    /// the organic list's). Open one with `GET /v1/listings/{id}?from=promoted`.
    pub promoted: Vec<SearchHit>,
    /// With `explain=true` (moderators and admins): why each ad of `promoted` and `items`
    /// is where it is, in that order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Vec<HitExplanation>>,
}

/// Why a hit ranks where it does (`GET /v1/search?explain=true`).
#[derive(Debug, Serialize, ToSchema)]
pub struct HitExplanation {
    pub id: i64,
    /// The relevance score, demotions applied (0 without words: the sort's order then).
    pub score: f32,
    /// exact, fuzzy (one typo per long word), partial (all words but one) or related (words
    /// or the category they name).
    pub matching: String,
    /// The query's clauses the ad met and what each added, best first: `word «…»` (every
    /// word must match; title words count twice), `title word/pair`, `brand, model or product
    /// word/pair`, `model name «…»` (the words are the ad's model name or its ending).
    pub clauses: Vec<ClauseScore>,
    /// Factors under one for an ad outside the categories or places the query names, or an
    /// accessory when the query asks for none.
    pub demotions: Vec<DemotionFactor>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClauseScore {
    pub what: String,
    pub score: f32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DemotionFactor {
    pub what: String,
    pub factor: f32,
}

impl From<souk_search::explain::Explanation> for HitExplanation {
    fn from(e: souk_search::explain::Explanation) -> Self {
        HitExplanation {
            id: e.id,
            score: e.score,
            matching: e.matching.into(),
            clauses: e
                .clauses
                .into_iter()
                .map(|c| ClauseScore {
                    what: c.what,
                    score: c.score,
                })
                .collect(),
            demotions: e
                .demotions
                .into_iter()
                .map(|d| DemotionFactor {
                    what: d.what,
                    factor: d.factor,
                })
                .collect(),
        }
    }
}

/// A hit as lists show it (`now_us`: whether its urgent badge still runs).
pub fn hit_view(state: &AppState, h: souk_search::Hit, now_us: i64) -> SearchHit {
    SearchHit {
        promoted: false,
        urgent: h.summary.urgent_until_us.is_some_and(|u| u > now_us),
        id: h.summary.id,
        price_display: price_display(&h.summary.category, h.summary.price),
        delivery: h.summary.delivery,
        title: h.summary.title,
        price: h.summary.price,
        negotiable: h.summary.negotiable,
        category: h.summary.category,
        wilaya: wilaya_ref(h.summary.wilaya),
        commune: commune_ref(h.summary.commune),
        thumbnail_url: h.summary.thumbnail.map(|k| photo_url(&k, "thumb")),
        created_at: time(
            chrono::DateTime::from_timestamp_micros(h.summary.created_at_us)
                .unwrap_or_default()
                .naive_utc(),
        ),
        // To 100 m, as the ads' public coordinates (domain::listing::public_point): a finer
        // distance from several searches would place the seller's door.
        distance_km: h.distance_km.map(|d| (d * 10.0).round() / 10.0),
        seller_rating: state.seller_ratings.get(h.summary.seller_id),
        store: h.summary.store.map(|s| StoreBadge {
            slug: s.slug,
            name: s.name,
        }),
    }
}
