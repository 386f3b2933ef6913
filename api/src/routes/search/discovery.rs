//! Finding ads beyond the search box: suggestions as one types, and the ads like the one on
//! screen. Both answer from the index, in memory.

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_search::similar::SimilarTo;
use souk_search::suggest::{Lang, Suggestion};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};
use crate::extract::bounded_param;
use crate::params::ListingId;
use crate::state::AppState;
use crate::usecases::search::{ready_index, SEARCH_QUEUE_WAIT};
use crate::views::search_page::{hit_view, SearchHit};

/// Longest text a suggestion is looked up for: past it, one is searching, not typing.
const MAX_TYPED_CHARS: usize = 100;
const DEFAULT_SUGGESTIONS: usize = 8;
const MAX_SUGGESTIONS: usize = 20;
const DEFAULT_SIMILAR: usize = 10;
const MAX_SIMILAR: usize = 30;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// What was typed so far, in either script (at most 100 characters). Under two letters
    /// the list is empty.
    pub q: String,
    /// Language of names for text typed in Latin letters: `fr` (default) or `en`; Arabic
    /// letters get Arabic names.
    pub lang: Option<String>,
    /// 1–20, default 8.
    pub limit: Option<usize>,
}

/// One completion. Brands and models carry the words to search (`q`), categories their
/// slug, places their wilaya code; `count` is how many active ads it finds (refreshed every
/// minute or so).
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionView {
    pub text: String,
    /// brand, model, category or place.
    pub kind: String,
    pub count: u64,
    pub q: Option<String>,
    pub category: Option<String>,
    pub wilaya: Option<i32>,
}

impl From<Suggestion> for SuggestionView {
    fn from(s: Suggestion) -> Self {
        SuggestionView {
            text: s.text,
            kind: s.kind.as_str().into(),
            count: s.count,
            q: s.q,
            category: s.category,
            wilaya: s.wilaya,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionList {
    pub suggestions: Vec<SuggestionView>,
}

/// Completions of what a buyer is typing: brands, models, categories and places, in the
/// script typed (`peu` → Peugeot, `بي` → بيجو), one slip tolerated from the fourth letter.
#[utoipa::path(tag = "search", params(SuggestParams),
    responses((status = 200, body = SuggestionList), (status = 422, body = crate::error::Problem),
              (status = 503, description = "index still building", body = crate::error::Problem)))]
#[get("/v1/search/suggest")]
pub async fn suggest(
    state: web::Data<AppState>,
    params: web::Query<SuggestParams>,
) -> ApiResult<HttpResponse> {
    let p = params.into_inner();
    if p.q.chars().count() > MAX_TYPED_CHARS {
        return Err(ApiError::field(
            "q",
            "too_long",
            format!("at most {MAX_TYPED_CHARS} characters"),
        ));
    }
    let lang = match p.lang.as_deref() {
        None | Some("fr") => Lang::Fr,
        Some("en") => Lang::En,
        Some("ar") => Lang::Ar,
        Some(_) => {
            return Err(ApiError::field("lang", "invalid", "fr, en or ar"));
        }
    };
    let limit = bounded_param("limit", p.limit, DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS)?;
    let index = ready_index(&state)?;
    // Microseconds from memory, but the first call builds the list: with the searches,
    // off the event loop and bounded.
    let suggestions = state
        .searches
        .run_within(Some(SEARCH_QUEUE_WAIT), move || {
            index.suggest(&p.q, lang, limit)
        })
        .await?
        .into_iter()
        .map(SuggestionView::from)
        .collect();
    Ok(HttpResponse::Ok().json(SuggestionList { suggestions }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SimilarParams {
    /// 1–30, default 10.
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarList {
    pub items: Vec<SearchHit>,
}

/// Active ads like this one: same category, its name words (title, brand, model), close in
/// price and place; other sellers' ads first. Works for a sold or expired ad too.
#[utoipa::path(tag = "listings", params(ListingId, SimilarParams),
    responses((status = 200, body = SimilarList), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem),
              (status = 503, description = "index still building", body = crate::error::Problem)))]
#[get("/v1/listings/{id}/similar")]
pub async fn similar(
    state: web::Data<AppState>,
    path: web::Path<ListingId>,
    params: web::Query<SimilarParams>,
) -> ApiResult<HttpResponse> {
    let limit = bounded_param("limit", params.limit, DEFAULT_SIMILAR, MAX_SIMILAR)?;
    let id = path.id;
    let listing = state
        .db(move |conn| Ok(souk_store::listings::get_visible_listing(conn, id)?))
        .await?;
    let attributes = listing.attributes()?;
    let index = ready_index(&state)?;
    let now_us = chrono::Utc::now().timestamp_micros();
    let hits = state
        .searches
        .run_within(Some(SEARCH_QUEUE_WAIT), move || {
            let ad = SimilarTo {
                id: listing.id,
                title: &listing.title,
                category: &listing.category,
                attributes: &attributes,
                price: listing.price,
                wilaya: listing.wilaya,
                seller_id: listing.user_id,
            };
            index.similar(&ad, limit, now_us)
        })
        .await?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let now_us = chrono::Utc::now().timestamp_micros();
    let items = hits
        .into_iter()
        .map(|h| hit_view(&state, h, now_us))
        .collect();
    Ok(HttpResponse::Ok().json(SimilarList { items }))
}
