//! Running a search over this process's index, for every route that lists ads (search,
//! browse, stores, profiles, similar): validation, the bounded pool, the result cache, the
//! promoted slots' impressions.

use souk_search::{SearchError, SearchRequest};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::views::search_page::{hit_view, SearchHit, SearchPage};

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
    in_pool(state, move |st| run_as(st, req, freshness)).await
}

/// `search` in the bounded search pool (`AppState::searches`).
async fn in_pool(
    state: &AppState,
    search: impl FnOnce(&AppState) -> ApiResult<SearchPage> + Send + 'static,
) -> ApiResult<SearchPage> {
    let st = state.clone();
    state
        .searches
        .run_within(Some(SEARCH_QUEUE_WAIT), move || search(&st))
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
    let (_, results, now_us) = search_now(state, &req, freshness)?;
    Ok(page_of(state, results, now_us))
}

/// `run` with the reasons of each hit's rank (`explain=true`, moderators only: the caller
/// checks the role). Never from the cache.
pub async fn run_explained(state: &AppState, req: SearchRequest) -> ApiResult<SearchPage> {
    in_pool(state, move |st| {
        let (index, results, now_us) = search_now(st, &req, Freshness::Exact)?;
        let explained = index
            .explain(&req, &results, now_us)
            .map_err(search_error)?;
        let mut page = page_of(st, results, now_us);
        page.explain = Some(explained.into_iter().map(Into::into).collect());
        Ok(page)
    })
    .await
}

/// Validates `req` and searches this process's index now: the index, its results and the
/// time they were taken at.
fn search_now(
    state: &AppState,
    req: &SearchRequest,
    freshness: Freshness,
) -> ApiResult<(
    std::sync::Arc<souk_search::SearchIndex>,
    souk_search::SearchResults,
    i64,
)> {
    req.validate()?;
    let index = ready_index(state)?;
    let now_us = chrono::Utc::now().timestamp_micros();
    // A search is about a millisecond of CPU: run it on the worker, a hop to the blocking
    // pool would cost a noticeable share of that.
    let results = if freshness == Freshness::Shared && state.config.browse_cache {
        index.search_cached(req, now_us)
    } else {
        index.search(req, now_us)
    };
    Ok((index, results.map_err(search_error)?, now_us))
}

fn search_error(e: SearchError) -> ApiError {
    match e {
        SearchError::BadCursor => ApiError::bad_request(
            "invalid_cursor",
            "this cursor is malformed or belongs to another sort",
        ),
        other => ApiError::Internal(other.to_string()),
    }
}

/// The page clients get of `results`; counts the promoted slots' impressions.
fn page_of(state: &AppState, results: souk_search::SearchResults, now_us: i64) -> SearchPage {
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
    SearchPage {
        promoted,
        total: results.total,
        items,
        facets: results.facets,
        next_cursor: results.next_cursor,
        fuzzy: results.fuzzy,
        partial: results.partial,
        related: results.related,
        explain: None,
    }
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
