//! `GET /v1/search`: full text, filters, facets, sorts and cursor pagination over the index.

use actix_web::{get, web, FromRequest, HttpRequest, HttpResponse};
use souk_search::SearchRequest;
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::usecases::roles::moderator;
use crate::usecases::search::{run_bounded, run_explained};
use crate::views::search_page::SearchPage;

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
    /// Moderators and admins (bearer token): add `explain`, why each hit ranks where it
    /// does (the clauses it met and what each added, and its demotions). 401 without a
    /// token, 403 for other accounts.
    explain: Option<bool>,
}

/// Search active ads.
#[utoipa::path(tag = "search", params(SearchParams),
    responses((status = 200, body = SearchPage), (status = 400, description = "malformed cursor", body = crate::error::Problem),
              (status = 401, description = "explain=true without a token", body = crate::error::Problem),
              (status = 403, description = "explain=true by an account that does not moderate", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem), (status = 503, description = "index still building", body = crate::error::Problem)))]
#[get("/v1/search")]
pub async fn search(
    state: web::Data<AppState>,
    http: HttpRequest,
    query: web::Query<Vec<(String, String)>>,
) -> ApiResult<HttpResponse> {
    let (pairs, explain) = take_explain(query.into_inner())?;
    let req = SearchRequest::from_pairs(&pairs)?;
    if explain {
        let user = AuthUser::extract(&http).await?;
        state.db(move |conn| moderator(conn, user)).await?;
        return Ok(HttpResponse::Ok().json(run_explained(&state, req).await?));
    }
    // Off the event loop, a bounded number at once: a costly query (many words under typo
    // tolerance over a large index) then delays other searches, never /healthz or reads.
    Ok(HttpResponse::Ok().json(run_bounded(&state, req).await?))
}

/// `explain` out of the parameters (the search itself does not know it), as a boolean.
fn take_explain(pairs: Vec<(String, String)>) -> ApiResult<(Vec<(String, String)>, bool)> {
    let mut explain = false;
    let mut rest = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        if k != "explain" {
            rest.push((k, v));
            continue;
        }
        explain = match v.as_str() {
            "true" => true,
            "false" => false,
            _ => {
                let mut e = souk_domain::ValidationErrors::default();
                e.push("explain", "invalid_boolean", "true or false");
                return Err(ApiError::from(e));
            }
        };
    }
    Ok((rest, explain))
}
