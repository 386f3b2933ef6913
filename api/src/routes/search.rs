//! `GET /v1/search`: full text, filters, facets, sorts and cursor pagination over the index.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use souk_search::{Facets, SearchError, SearchRequest};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};
use crate::routes::views::{commune_ref, photo_url, time, PlaceRef, StoreBadge};
use crate::state::AppState;

/// The fixed parameters. Attribute filters come on top, named after the leaf category's
/// schema (GET /v1/categories): `<enum key>=v1,v2` (e.g. `fuel=diesel,lpg`) and
/// `<integer key>_min` / `_max` (e.g. `year_min=2015`, `mileage_max=100000`).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SearchParams {
    /// Words in Arabic, French or Darija; typos are tolerated when exact words find little.
    q: Option<String>,
    /// A category slug; includes its whole subtree.
    category: Option<String>,
    /// Wilaya code(s), comma-separated or repeated.
    wilaya: Option<String>,
    commune: Option<i32>,
    /// Only this seller's ads (user id).
    seller: Option<i64>,
    /// In `price_unit` (default dinars).
    price_min: Option<f64>,
    price_max: Option<f64>,
    /// `dzd` (default), `million` (10,000 DZD) or `milliard` (10,000,000 DZD):
    /// `price_max=300&price_unit=million` is 3,000,000 DZD at most.
    price_unit: Option<String>,
    negotiable: Option<bool>,
    exchange: Option<bool>,
    with_photos: Option<bool>,
    /// Only ads whose seller ships (delivers himself or by courier).
    delivery: Option<bool>,
    /// Only ads showing the urgent badge (`true`; `false` is the same as leaving it out).
    urgent: Option<bool>,
    /// `lat,lon`; with `radius_km` (default 25, at most 500).
    near: Option<String>,
    radius_km: Option<f64>,
    /// relevance (default with q), newest (default without), price_asc, price_desc, distance.
    sort: Option<String>,
    /// 1–100, default 20.
    limit: Option<usize>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Include facet counts (default true).
    facets: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    pub id: i64,
    pub title: String,
    pub price: Option<i64>,
    /// The price as readers say it, per language, in the category's unit.
    pub price_display: Option<crate::routes::views::Names>,
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
    /// Up to 2 featured ads that match this page's query and filters, to show above `items`
    /// and marked as promoted; they take turns from page to page and are never ads already in
    /// `items`. Open one with `GET /v1/listings/{id}?from=promoted`.
    pub promoted: Vec<SearchHit>,
}

/// Search active ads.
#[utoipa::path(tag = "search", params(SearchParams),
    responses((status = 200, body = SearchPage), (status = 400, description = "malformed cursor", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem), (status = 503, description = "index still building", body = crate::error::Problem)))]
#[get("/v1/search")]
pub async fn search(
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> ApiResult<HttpResponse> {
    let req = SearchRequest::from_pairs(&query)?;
    // Off the event loop, a bounded number at once: a costly query (many words under typo
    // tolerance over a large index) then delays other searches, never /healthz or reads.
    Ok(HttpResponse::Ok().json(run_bounded(&state, req).await?))
}

/// How long a search waits for a slot before the client is told to retry.
pub(crate) const SEARCH_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// `run` off the event loop, a bounded number at once (`AppState::searches`).
pub async fn run_bounded(state: &AppState, req: SearchRequest) -> ApiResult<SearchPage> {
    run_bounded_as(state, req, Freshness::Exact).await
}

/// `run_as` in the bounded search pool, off the event loops: a deep page is a collect over
/// the whole index, and on an event loop it would hold up every request queued behind it.
pub async fn run_bounded_as(
    state: &AppState,
    req: SearchRequest,
    freshness: Freshness,
) -> ApiResult<SearchPage> {
    let st = state.clone();
    state
        .searches
        .run_within(Some(SEARCH_QUEUE_WAIT), move || run_as(&st, req, freshness))
        .await?
}

/// Validates and runs a search over this process's index, as a page of hits.
pub fn run(state: &AppState, req: SearchRequest) -> ApiResult<SearchPage> {
    run_as(state, req, Freshness::Exact)
}

/// Whether a list may come from a result under a second old of the same request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Exact,
    /// Lists that many clients ask alike (browse pages), when `SOUK_BROWSE_CACHE` allows.
    Shared,
}

/// `run`, possibly from the index's short-lived result cache.
pub fn run_as(state: &AppState, req: SearchRequest, freshness: Freshness) -> ApiResult<SearchPage> {
    req.validate()?;
    let index = ready_index(state)?;
    let now_us = chrono::Utc::now().timestamp_micros();
    // A search is about a millisecond of CPU: run it on the worker, a hop to the blocking
    // pool would cost a noticeable share of that.
    let results = if freshness == Freshness::Shared && state.config.browse_cache {
        index.search_cached(&req, now_us)
    } else {
        index.search(&req, now_us)
    };
    let results = results.map_err(|e| match e {
        SearchError::BadCursor => ApiError::bad_request(
            "invalid_cursor",
            "this cursor is malformed or belongs to another sort",
        ),
        other => ApiError::Internal(other.to_string()),
    })?;
    let items = results
        .hits
        .into_iter()
        .map(|h| hit_view(state, h, now_us))
        .collect();
    let shown: Vec<i64> = results.promoted.iter().map(|h| h.summary.id).collect();
    state
        .views
        .count_promoted(&shown, crate::view_counts::PromotedStat::Impression);
    let promoted = results
        .promoted
        .into_iter()
        .map(|h| SearchHit {
            promoted: true,
            ..hit_view(state, h, now_us)
        })
        .collect();
    Ok(SearchPage {
        promoted,
        total: results.total,
        items,
        facets: results.facets,
        next_cursor: results.next_cursor,
        fuzzy: results.fuzzy,
        partial: results.partial,
    })
}

/// This process's index, or 503 while it is being built.
pub(crate) fn ready_index(state: &AppState) -> ApiResult<std::sync::Arc<souk_search::SearchIndex>> {
    if !state.search.is_ready() {
        return Err(ApiError::Unavailable(
            "the search index is being built; try again shortly".into(),
        ));
    }
    Ok(state.search.index())
}

/// A hit as lists show it (`now_us`: whether its urgent badge still runs).
pub fn hit_view(state: &AppState, h: souk_search::Hit, now_us: i64) -> SearchHit {
    SearchHit {
        promoted: false,
        urgent: h.summary.urgent_until_us.is_some_and(|u| u > now_us),
        id: h.summary.id,
        price_display: crate::routes::views::price_display(&h.summary.category, h.summary.price),
        delivery: h.summary.delivery,
        title: h.summary.title,
        price: h.summary.price,
        negotiable: h.summary.negotiable,
        category: h.summary.category,
        wilaya: crate::routes::views::wilaya_ref(h.summary.wilaya),
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

/// A seller's active ads: counted by the index when `index` is given and built (no count over
/// the table on a public read), otherwise on the seller's rows (owner paths, which must see
/// their own writes at once, and while the index is being built).
pub fn active_ads(
    conn: &mut souk_store::DbConn,
    index: Option<&crate::indexing::SearchService>,
    seller: i64,
) -> ApiResult<i64> {
    if let Some(service) = index.filter(|s| s.is_ready()) {
        let req = SearchRequest {
            seller: Some(seller),
            limit: 1,
            facets: false,
            ..Default::default()
        };
        let now_us = chrono::Utc::now().timestamp_micros();
        if let Ok(found) = service.index().search(&req, now_us) {
            return Ok(found.total as i64);
        }
    }
    Ok(souk_store::listings::count_active_of_user(conn, seller)?)
}
