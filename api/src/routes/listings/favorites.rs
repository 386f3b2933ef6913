//! Favourites: ads a buyer keeps; a lower price on one is emailed to them.

use actix_web::{delete, get, put, web, HttpResponse};
use souk_store::{favorites, listings};

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::params::{paging, ListingId, PageQuery};
use crate::routes::listings::ads::page_of;
use crate::state::AppState;
use crate::views::ListingPage;

/// Keep an ad in your favourites (any visible ad; adding twice is harmless).
#[utoipa::path(tag = "favorites", params(ListingId), security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
#[put("/v1/me/favorites/{id}")]
pub async fn add_favorite(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ListingId>,
) -> ApiResult<HttpResponse> {
    let id = path.id;
    state
        .tx(move |conn| {
            crate::auth::ensure_not_banned(conn, user.id)?;
            listings::get_visible_listing(conn, id)?;
            favorites::add(conn, user.id, id)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Remove an ad from your favourites (removing one that is not there is harmless).
#[utoipa::path(tag = "favorites", params(ListingId), security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::Problem)))]
#[delete("/v1/me/favorites/{id}")]
pub async fn remove_favorite(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ListingId>,
) -> ApiResult<HttpResponse> {
    let id = path.id;
    state
        .tx(move |conn| Ok(favorites::remove(conn, user.id, id)?))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Your favourites, latest added first (sold and expired ones stay listed with their status).
#[utoipa::path(tag = "favorites", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = ListingPage), (status = 401, body = crate::error::Problem)))]
#[get("/v1/me/favorites")]
pub async fn my_favorites(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<PageQuery>,
) -> ApiResult<web::Json<ListingPage>> {
    let (page, per_page) = paging(q.page, q.per_page)?;
    let result = state
        .db(move |conn| {
            let (items, total) = favorites::list(conn, user.id, page, per_page)?;
            page_of(conn, items, total, page, per_page)
        })
        .await?;
    Ok(web::Json(result))
}
