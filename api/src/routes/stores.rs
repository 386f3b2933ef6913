//! Stores: a seller's shop window, opened in one request (name, speciality, region), with a
//! public page, logo and banner through the photo pipeline, and a search within its ads.

use actix_multipart::Multipart;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_domain::account::phone_field;
use souk_domain::text::{line_field, optional_text_field, text_field};
use souk_domain::trust::store_slug;
use souk_domain::{catalog, geography, ValidationErrors};
use souk_search::SearchRequest;
use souk_store::stores::{self, Store, StoreFields};
use souk_store::{users, DbConn, StoreError};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::indexing::SearchService;
use crate::params::explicit;
use crate::params::PhotoUpload;
use crate::state::AppState;
use crate::usecases::image_upload::{admit_upload, receive_image};
use crate::usecases::search::{active_ads, run_bounded};
use crate::views::search_page::SearchPage;
use crate::views::{category_ref, commune_ref, photo_url, time, wilaya_ref, CategoryRef, PlaceRef};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStore {
    /// 2–60 characters.
    #[schema(example = "Auto Prestige Blida")]
    pub name: String,
    /// The page's address, `/v1/stores/{slug}`; made from the name when absent. Latin
    /// letters, digits and dashes, 3–40; reserved words are refused.
    #[schema(example = "auto-prestige")]
    pub slug: Option<String>,
    /// A top-level category slug (GET /v1/categories), e.g. `vehicles`.
    #[schema(example = "vehicles")]
    pub speciality: String,
    #[schema(example = 9)]
    pub wilaya: i32,
    pub commune: Option<i32>,
    /// 10–2,000 characters.
    pub description: String,
    /// The store's public phone.
    pub phone: Option<String>,
    /// Free text, e.g. "Sat–Thu 9:00–18:00" (at most 200 characters).
    pub opening_hours: Option<String>,
}

/// Fields to change; absent ones stay, `null` clears the optional ones. Moving to another
/// wilaya without naming a commune clears the commune. The slug never changes (links to the
/// page would break).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StorePatch {
    pub name: Option<String>,
    pub speciality: Option<String>,
    pub wilaya: Option<i32>,
    #[serde(default, deserialize_with = "explicit")]
    #[schema(value_type = Option<i32>)]
    pub commune: Option<Option<i32>>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "explicit")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "explicit")]
    #[schema(value_type = Option<String>)]
    pub opening_hours: Option<Option<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StoreOwner {
    pub id: i64,
    pub display_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StoreView {
    pub slug: String,
    pub name: String,
    pub speciality: CategoryRef,
    pub wilaya: PlaceRef,
    pub commune: Option<PlaceRef>,
    pub description: String,
    pub phone: Option<String>,
    pub opening_hours: Option<String>,
    pub logo_url: Option<String>,
    pub banner_url: Option<String>,
    pub owner: StoreOwner,
    /// Active ads of the store (search them with GET /v1/stores/{slug}/listings).
    pub active_ads: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// `index`: count the active ads there (public reads; see `search::active_ads`).
fn view(conn: &mut DbConn, s: Store, index: Option<&SearchService>) -> ApiResult<StoreView> {
    let owner = users::find_user(conn, s.owner_id)?;
    Ok(StoreView {
        speciality: category_ref(&s.speciality),
        wilaya: wilaya_ref(s.wilaya),
        commune: s.commune.map(commune_ref),
        logo_url: s.logo_key.as_deref().map(|k| photo_url(k, "thumb")),
        banner_url: s.banner_key.as_deref().map(|k| photo_url(k, "large")),
        active_ads: active_ads(conn, index, s.owner_id)?,
        owner: StoreOwner {
            id: owner.id,
            display_name: owner.display_name,
        },
        created_at: time(s.created_at),
        slug: s.slug,
        name: s.name,
        description: s.description,
        phone: s.phone,
        opening_hours: s.opening_hours,
    })
}

/// The checked fields of a store, every problem reported at once.
fn validate(n: NewStore) -> Result<StoreFields, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let name = line_field(&mut e, "name", &n.name, 2, 60);
    if catalog().roots().all(|c| c.slug != n.speciality) {
        e.push(
            "speciality",
            "unknown_category",
            "a top-level category slug",
        );
    }
    match geography().wilaya(n.wilaya) {
        None => e.push("wilaya", "unknown_wilaya", "no wilaya has this code"),
        Some(_) => {
            if let Some(c) = n.commune {
                if geography()
                    .commune(c)
                    .is_none_or(|c| c.wilaya_code != n.wilaya)
                {
                    e.push("commune", "unknown_commune", "not a commune of this wilaya");
                }
            }
        }
    }
    let description = text_field(&mut e, "description", &n.description, 10, 2000);
    let phone = phone_field(&mut e, "phone", n.phone.as_deref());
    let opening_hours =
        optional_text_field(&mut e, "opening_hours", n.opening_hours.as_deref(), 200);
    e.into_result(StoreFields {
        name,
        speciality: n.speciality,
        wilaya: n.wilaya,
        commune: n.commune,
        description,
        phone,
        opening_hours,
    })
}

/// Open your store (one per account). Its page is public at once; your ads show it.
#[utoipa::path(tag = "stores", request_body = NewStore, security(("bearer" = [])),
    responses((status = 201, body = StoreView), (status = 401, body = crate::error::Problem),
              (status = 409, description = "you have a store already, or the slug is taken", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/v1/stores")]
pub async fn create_store(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<NewStore>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let slug_source = body.slug.clone().unwrap_or_else(|| body.name.clone());
    let slug = store_slug(&slug_source);
    let fields = validate(body);
    if let Ok(f) = &fields {
        // The name shows next to every ad of the store: the same rules as an ad's title.
        crate::content_rules::check(&f.name, &f.description)?;
    }
    let (slug, fields) = match (slug, fields) {
        (Ok(s), Ok(f)) => (s, f),
        (slug, fields) => {
            let mut e = fields.err().unwrap_or_default();
            if let Err(why) = slug {
                e.push("slug", "invalid_slug", why);
            }
            return Err(e.into());
        }
    };
    let created = state
        .tx(move |conn| {
            crate::auth::ensure_not_banned(conn, user.id)?;
            let s = stores::create(conn, user.id, &slug, &fields).map_err(|e| match e {
                StoreError::Conflict("store_exists") => ApiError::Conflict {
                    code: "store_exists",
                    detail: "you have a store already".into(),
                },
                StoreError::Conflict(_) => ApiError::Conflict {
                    code: "slug_taken",
                    detail: "another store has this address".into(),
                },
                other => other.into(),
            })?;
            view(conn, s, None)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/stores/{}", created.slug)))
        .json(created))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StoreSlug {
    /// The store's slug.
    pub slug: String,
}

/// A store's public page.
#[utoipa::path(tag = "stores", params(StoreSlug),
    responses((status = 200, body = StoreView), (status = 404, body = crate::error::Problem)))]
#[get("/v1/stores/{slug}")]
pub async fn get_store(
    state: web::Data<AppState>,
    path: web::Path<StoreSlug>,
    viewer: Option<AuthUser>,
) -> ApiResult<web::Json<StoreView>> {
    let slug = path.into_inner().slug;
    let search = state.search.clone();
    let v = state
        .public_db(viewer.map(|v| v.id), move |conn| {
            let s = stores::find_by_slug(conn, &slug)?;
            if users::find_user(conn, s.owner_id)?.banned_at.is_some() {
                return Err(ApiError::NotFound);
            }
            view(conn, s, Some(&search))
        })
        .await?;
    Ok(web::Json(v))
}

/// The store, if `user` owns it; 404 when it does not exist, 403 when it is someone else's.
fn owned_store(conn: &mut DbConn, slug: &str, user: AuthUser) -> ApiResult<Store> {
    let s = stores::find_by_slug(conn, slug)?;
    if s.owner_id != user.id {
        return Err(ApiError::Forbidden("only the owner can change this store"));
    }
    crate::auth::ensure_not_banned(conn, user.id)?;
    Ok(s)
}

/// Edit your store (owner only).
#[utoipa::path(tag = "stores", params(StoreSlug), request_body = StorePatch, security(("bearer" = [])),
    responses((status = 200, body = StoreView), (status = 401, body = crate::error::Problem),
              (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[patch("/v1/stores/{slug}")]
pub async fn update_store(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<StoreSlug>,
    body: Json<StorePatch>,
) -> ApiResult<web::Json<StoreView>> {
    let slug = path.into_inner().slug;
    let p = body.into_inner();
    let v = state
        .tx(move |conn| {
            let s = owned_store(conn, &slug, user)?;
            let moved = p.wilaya.is_some_and(|w| w != s.wilaya);
            let merged = NewStore {
                name: p.name.unwrap_or(s.name),
                slug: None,
                speciality: p.speciality.unwrap_or(s.speciality),
                wilaya: p.wilaya.unwrap_or(s.wilaya),
                commune: match p.commune {
                    Some(c) => c,
                    None if moved => None,
                    None => s.commune,
                },
                description: p.description.unwrap_or(s.description),
                phone: p.phone.unwrap_or(s.phone),
                opening_hours: p.opening_hours.unwrap_or(s.opening_hours),
            };
            let fields = validate(merged)?;
            crate::content_rules::check(&fields.name, &fields.description)?;
            let updated = stores::update(conn, s.id, &fields)?;
            view(conn, updated, None)
        })
        .await?;
    Ok(web::Json(v))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StoreImagePath {
    /// The store's slug.
    pub slug: String,
    /// `logo` or `banner`.
    pub kind: String,
}

/// Set the store's logo or banner (owner only): the same pipeline as ad photos (format
/// sniffed, metadata stripped, re-encoded).
#[utoipa::path(tag = "stores", params(StoreImagePath), security(("bearer" = [])),
    request_body(content = PhotoUpload, content_type = "multipart/form-data"),
    responses((status = 200, body = StoreView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 413, body = crate::error::Problem),
              (status = 415, body = crate::error::Problem), (status = 429, body = crate::error::Problem), (status = 503, body = crate::error::Problem)))]
#[post("/v1/stores/{slug}/{kind}")]
pub async fn upload_store_image(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<StoreImagePath>,
    req: HttpRequest,
    form: Multipart,
) -> ApiResult<web::Json<StoreView>> {
    let StoreImagePath { slug, kind } = path.into_inner();
    let banner = match kind.as_str() {
        "logo" => false,
        "banner" => true,
        _ => return Err(ApiError::NotFound),
    };
    let s2 = slug.clone();
    state
        .db(move |conn| owned_store(conn, &s2, user).map(|_| ()))
        .await?;
    let permit = admit_upload(&state, user.id, &req).await?;
    let image = receive_image(&state, form, &permit).await?;
    let key = image.key.clone();
    let saved = state
        .tx(move |conn| {
            let s = owned_store(conn, &slug, user)?;
            let old = stores::set_image(conn, s.id, banner, &key)?;
            let fresh = stores::find(conn, s.id)?;
            Ok((view(conn, fresh, None)?, old))
        })
        .await;
    let (v, old) = match saved {
        Ok(saved) => saved,
        Err(e) => {
            // No row names the new files: they would stay on disk for ever.
            state.remove_photo_files(vec![image.key]).await;
            return Err(e);
        }
    };
    if let Some(old) = old {
        state.remove_photo_files(vec![old]).await;
    }
    Ok(web::Json(v))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StoreListingsQuery {
    /// Words to look for within the store's ads.
    pub q: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The store's active ads, newest first, or matching `q` (through the search index).
#[utoipa::path(tag = "stores", params(StoreSlug, StoreListingsQuery),
    responses((status = 200, body = SearchPage), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[get("/v1/stores/{slug}/listings")]
pub async fn store_listings(
    state: web::Data<AppState>,
    path: web::Path<StoreSlug>,
    q: web::Query<StoreListingsQuery>,
) -> ApiResult<web::Json<SearchPage>> {
    let slug = path.into_inner().slug;
    let owner = state
        .db(move |conn| Ok(stores::find_by_slug(conn, &slug)?.owner_id))
        .await?;
    let q = q.into_inner();
    let req = SearchRequest {
        q: q.q.filter(|s| !s.trim().is_empty()),
        seller: Some(owner),
        limit: q.limit.unwrap_or(20),
        cursor: q.cursor,
        facets: false,
        ..Default::default()
    };
    Ok(web::Json(run_bounded(&state, req).await?))
}

/// Registers this context's handlers and documents them in the OpenAPI document.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_store)
        .service(store_listings)
        .service(get_store)
        .service(update_store)
        .service(upload_store_image);
}
