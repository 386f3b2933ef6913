//! Saved searches: a search's filters kept under a name; the worker emails new matching ads
//! (instantly or as a daily digest), each ad once, with an unsubscribe link.

use std::collections::BTreeMap;

use actix_web::{delete, get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_domain::text::line_field;
use souk_domain::ValidationErrors;
use souk_search::SearchRequest;
use souk_store::saved_searches::{self, SavedSearch, DAILY, INSTANT};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use crate::views::time;

/// Saved searches per account.
pub const MAX_SAVED_SEARCHES: i64 = 20;
/// Parameters of `GET /v1/search` that make no sense in an alert.
const NOT_SAVED: [&str; 4] = ["cursor", "limit", "facets", "sort"];

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSavedSearch {
    /// 1–80 characters.
    #[schema(example = "Clio diesel Alger")]
    pub name: String,
    /// The parameters of `GET /v1/search` (without cursor, limit, facets, sort), as an object.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>, example = json!({"q": "clio", "category": "cars", "wilaya": "16", "fuel": "diesel", "price_max": 2000000}))]
    pub query: BTreeMap<String, serde_json::Value>,
    /// `instant` (default) or `daily`.
    pub frequency: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedSearchView {
    pub id: i64,
    pub name: String,
    pub query: BTreeMap<String, String>,
    pub frequency: String,
    pub last_sent_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn view(s: SavedSearch) -> SavedSearchView {
    SavedSearchView {
        id: s.id,
        name: s.name,
        query: souk_worker::alerts::query_pairs(&s.query)
            .into_iter()
            .collect(),
        frequency: s.frequency,
        last_sent_at: s.last_sent_at.map(time),
        created_at: time(s.created_at),
    }
}

/// A saved search that passed the checks, ready to store.
struct ValidSavedSearch {
    name: String,
    pairs: Vec<(String, String)>,
    frequency: &'static str,
}

/// Checks the query like `GET /v1/search` would; returns it as stored pairs.
fn validate(body: &NewSavedSearch) -> ApiResult<ValidSavedSearch> {
    let mut e = ValidationErrors::default();
    let name = line_field(&mut e, "name", &body.name, 1, 80);
    let frequency = match body.frequency.as_deref().unwrap_or(INSTANT) {
        INSTANT => INSTANT,
        DAILY => DAILY,
        _ => {
            e.push("frequency", "invalid_option", "instant or daily");
            INSTANT
        }
    };
    let mut pairs = Vec::new();
    for (k, v) in &body.query {
        let field = format!("query.{k}");
        if NOT_SAVED.contains(&k.as_str()) {
            e.push(field, "not_allowed", "not part of a saved search");
            continue;
        }
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => {
                e.push(field, "invalid_type", "a string, number or boolean");
                continue;
            }
        };
        pairs.push((k.clone(), text));
    }
    if pairs.is_empty() && e.0.is_empty() {
        e.push("query", "empty", "at least one word or filter");
    }
    e.into_result(())?;
    let req = SearchRequest::from_pairs(&pairs).map_err(prefix_query)?;
    req.validate().map_err(prefix_query)?;
    Ok(ValidSavedSearch {
        name,
        pairs,
        frequency,
    })
}

fn prefix_query(mut e: ValidationErrors) -> ApiError {
    for f in &mut e.0 {
        f.field = format!("query.{}", f.field);
    }
    e.into()
}

/// Save a search. Alerts cover ads posted from now on.
#[utoipa::path(tag = "saved searches", request_body = NewSavedSearch, security(("bearer" = [])),
    responses((status = 201, body = SavedSearchView), (status = 401, body = crate::error::Problem),
              (status = 409, description = "too many saved searches", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/v1/me/saved-searches")]
pub async fn create_saved_search(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<NewSavedSearch>,
) -> ApiResult<HttpResponse> {
    let ValidSavedSearch {
        name,
        pairs,
        frequency,
    } = validate(&body)?;
    let stored = serde_json::to_string(&pairs).map_err(|e| ApiError::Internal(e.to_string()))?;
    let saved = state
        .tx(move |conn| {
            crate::auth::ensure_not_banned(conn, user.id)?;
            // Two concurrent creations would both count 19 and both insert.
            souk_store::users::lock_user(conn, user.id)?;
            if saved_searches::count_for_user(conn, user.id)? >= MAX_SAVED_SEARCHES {
                return Err(ApiError::Conflict {
                    code: "too_many_saved_searches",
                    detail: format!("at most {MAX_SAVED_SEARCHES} saved searches"),
                });
            }
            Ok(saved_searches::create(
                conn, user.id, &name, &stored, frequency,
            )?)
        })
        .await?;
    Ok(HttpResponse::Created().json(view(saved)))
}

/// Your saved searches.
#[utoipa::path(tag = "saved searches", security(("bearer" = [])),
    responses((status = 200, body = Vec<SavedSearchView>), (status = 401, body = crate::error::Problem)))]
#[get("/v1/me/saved-searches")]
pub async fn my_saved_searches(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<web::Json<Vec<SavedSearchView>>> {
    let all = state
        .db(move |conn| Ok(saved_searches::list_for_user(conn, user.id)?))
        .await?;
    Ok(web::Json(all.into_iter().map(view).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SavedSearchId {
    /// Saved search id.
    pub id: i64,
}

/// Delete one of your saved searches (its alerts stop).
#[utoipa::path(tag = "saved searches", params(SavedSearchId), security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
#[delete("/v1/me/saved-searches/{id}")]
pub async fn delete_saved_search(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<SavedSearchId>,
) -> ApiResult<HttpResponse> {
    let id = path.id;
    let deleted = state
        .tx(move |conn| Ok(saved_searches::delete(conn, user.id, id)?))
        .await?;
    if !deleted {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}
