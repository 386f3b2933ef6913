//! `GET /v1/search`: full text, filters, facets, sorts and cursor pagination over the index.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use souk_domain::ValidationErrors;
use souk_search::{Facets, Near, SearchError, SearchRequest, Sort};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};
use crate::routes::views::{commune_ref, photo_url, time, PlaceRef};
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
    price_min: Option<i64>,
    price_max: Option<i64>,
    negotiable: Option<bool>,
    exchange: Option<bool>,
    with_photos: Option<bool>,
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
    pub negotiable: bool,
    pub category: String,
    pub wilaya: PlaceRef,
    pub commune: PlaceRef,
    pub thumbnail_url: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Kilometres from `near`, when given.
    pub distance_km: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    /// Matches in all pages.
    pub total: u64,
    pub items: Vec<SearchHit>,
    /// Counts per category node (with parent), wilaya, and the leaf's enum attributes. A
    /// facet's counts ignore its own filter, for multi-select.
    #[schema(value_type = Option<Object>)]
    pub facets: Option<Facets>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// True when the results allow one typo per long word.
    pub fuzzy: bool,
}

fn number<T: std::str::FromStr>(e: &mut ValidationErrors, name: &str, v: &str) -> Option<T> {
    match v.trim().parse() {
        Ok(x) => Some(x),
        Err(_) => {
            e.push(
                name.to_string(),
                "invalid_number",
                format!("{v:?} is not a number"),
            );
            None
        }
    }
}

fn boolean(e: &mut ValidationErrors, name: &str, v: &str) -> Option<bool> {
    match v {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => {
            e.push(name.to_string(), "invalid_boolean", "true or false");
            None
        }
    }
}

/// Builds the request from raw pairs (repeated keys allowed); shape errors all at once.
pub fn parse(pairs: &[(String, String)]) -> Result<SearchRequest, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let mut r = SearchRequest {
        limit: 20,
        facets: true,
        ..Default::default()
    };
    let mut radius = None;
    let mut near = None;
    for (k, v) in pairs {
        match k.as_str() {
            "q" => r.q = Some(v.clone()).filter(|s| !s.trim().is_empty()),
            "category" => r.category = Some(v.clone()),
            "wilaya" => {
                for w in v.split(',').filter(|s| !s.is_empty()) {
                    r.wilayas.extend(number::<i32>(&mut e, "wilaya", w));
                }
            }
            "commune" => r.commune = number(&mut e, k, v),
            "price_min" => r.price.min = number(&mut e, k, v),
            "price_max" => r.price.max = number(&mut e, k, v),
            "negotiable" => r.negotiable = boolean(&mut e, k, v),
            "exchange" => r.exchange = boolean(&mut e, k, v),
            "with_photos" => r.with_photos = boolean(&mut e, k, v),
            "facets" => r.facets = boolean(&mut e, k, v).unwrap_or(true),
            "near" => match v.split_once(',') {
                Some((a, b)) => {
                    near = number::<f64>(&mut e, "near", a).zip(number::<f64>(&mut e, "near", b))
                }
                None => e.push("near", "invalid_point", "near=lat,lon"),
            },
            "radius_km" => radius = number::<f64>(&mut e, k, v),
            "sort" => match Sort::parse(v) {
                Some(s) => r.sort = Some(s),
                None => e.push(
                    "sort",
                    "invalid_option",
                    "relevance, newest, price_asc, price_desc or distance",
                ),
            },
            "limit" => r.limit = number(&mut e, k, v).unwrap_or(0),
            "cursor" => r.cursor = Some(v.clone()),
            other => {
                if let Some(key) = other.strip_suffix("_min") {
                    let entry = r.ints.entry(key.to_string()).or_default();
                    entry.min = number(&mut e, other, v);
                } else if let Some(key) = other.strip_suffix("_max") {
                    let entry = r.ints.entry(key.to_string()).or_default();
                    entry.max = number(&mut e, other, v);
                } else {
                    let values = v.split(',').filter(|s| !s.is_empty()).map(str::to_string);
                    r.enums.entry(other.to_string()).or_default().extend(values);
                }
            }
        }
    }
    if let Some((lat, lon)) = near {
        r.near = Some(Near {
            lat,
            lon,
            radius_km: radius.unwrap_or(25.0),
        });
    } else if radius.is_some() {
        e.push("radius_km", "needs_near", "radius_km needs near=lat,lon");
    }
    e.into_result(r)
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
    let req = parse(&query)?;
    req.validate()?;
    let service = state.search.clone();
    if !service.is_ready() {
        return Err(ApiError::Unavailable(
            "the search index is being built; try again shortly".into(),
        ));
    }
    let now_us = chrono::Utc::now().timestamp_micros();
    let index = service.index();
    // A search is about a millisecond of CPU: run it on the worker, a hop to the blocking
    // pool would cost a noticeable share of that.
    let results = index.search(&req, now_us).map_err(|e| match e {
        SearchError::BadCursor => ApiError::bad_request(
            "invalid_cursor",
            "this cursor is malformed or belongs to another sort",
        ),
        other => ApiError::Internal(other.to_string()),
    })?;
    let items = results
        .hits
        .into_iter()
        .map(|h| SearchHit {
            id: h.summary.id,
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
            distance_km: h.distance_km.map(|d| (d * 100.0).round() / 100.0),
        })
        .collect();
    Ok(HttpResponse::Ok().json(SearchPage {
        total: results.total,
        items,
        facets: results.facets,
        next_cursor: results.next_cursor,
        fuzzy: results.fuzzy,
    }))
}
