//! Listings: post, read, edit, mark sold, renew, delete, browse.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use chrono::Duration;
use serde::Deserialize;
use souk_domain::{catalog, geography, ListingStatus};
use souk_search::{SearchRequest, Sort};
use souk_store::listings::{self, Listing};
use souk_store::users::User;
use souk_store::{now, photos, stores, users, DbConn};
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use crate::usecases::search::Freshness;
use crate::views::{listing_view, summaries, ListingPage, ListingSummary, ListingView, StoreBadge};

use crate::params::paging;
use crate::params::ListingId;
use crate::params::PageQuery;
pub use crate::routes::listings::input::{LatLon, ListingUpdate, NewListing};
use crate::usecases::posting::duplicate_ad;

/// The ownership rule for every write: unknown or deleted listings are 404, someone else's 403.
pub fn owned_listing(conn: &mut DbConn, id: i64, user: AuthUser) -> ApiResult<Listing> {
    crate::usecases::ownership::owned_ad(conn, user.id, id)
}

fn load_view(conn: &mut DbConn, l: Listing) -> ApiResult<ListingView> {
    let seller = users::find_user(conn, l.user_id)?;
    view_with_seller(conn, l, &seller)
}

/// The view of an ad whose seller is already loaded: its photos and the seller's store.
fn view_with_seller(conn: &mut DbConn, l: Listing, seller: &User) -> ApiResult<ListingView> {
    let photos = photos::list_photos(conn, l.id)?;
    view_with_photos(conn, l, &photos, seller)
}

/// The view of an ad whose seller and photos are already loaded: the seller's store.
fn view_with_photos(
    conn: &mut DbConn,
    l: Listing,
    photos: &[photos::Photo],
    seller: &User,
) -> ApiResult<ListingView> {
    let store = stores::find_by_owner(conn, l.user_id)?.map(|s| StoreBadge::from(&s));
    listing_view(l, photos, seller, store)
}

fn expiry(state: &AppState) -> chrono::NaiveDateTime {
    now() + Duration::days(state.config.listing_ttl_days)
}

/// Post an ad. It is active at once and expires after the configured number of days. The
/// text of one of your active ads again (other price or punctuation) is refused: renew or
/// edit that ad instead.
#[utoipa::path(tag = "listings", request_body = NewListing, security(("bearer" = [])),
    responses((status = 201, body = ListingView), (status = 401, body = crate::error::Problem),
              (status = 409, description = "duplicate_ad: you have an active ad with this text; edit or renew it", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
#[post("/v1/listings")]
pub async fn create_listing(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<NewListing>,
) -> ApiResult<HttpResponse> {
    state
        .limiter
        .hit(
            &format!("post:{}", user.id),
            state.config.limits.post_per_hour,
            std::time::Duration::from_secs(3600),
        )
        .await?;
    let valid = body
        .into_inner()
        .into_draft()?
        .validate(catalog(), geography())?;
    crate::content_rules::check_listing(&valid.title, &valid.description, &valid.attributes)?;
    let expires = expiry(&state);
    let phone_required = state.config.require_phone_to_post;
    // The comparables' prices go with the trust check (a bait price is one of its signals).
    let fair = crate::usecases::fair_price::fair_price(
        &state,
        &valid.category,
        &valid.attributes,
        valid.wilaya,
        Some(user.id),
    );
    let view = state
        .tx(move |conn| {
            let me = crate::auth::ensure_not_banned(conn, user.id)?;
            crate::auth::ensure_phone_if(phone_required, &me)?;
            // Reposting one's own active ad (to climb back up the list) is refused: the
            // seller is pointed at renewing or editing it.
            if let Some(existing) = listings::own_duplicate(conn, user.id, &valid)? {
                return Err(duplicate_ad(existing));
            }
            crate::usecases::posting::take_posting_quota(conn, user.id)?;
            let l = listings::insert_listing(conn, user.id, &valid, expires)?;
            souk_worker::signals::queue_check(conn, l.id, fair)?;
            // The seller was read above, and a new ad has no photos yet.
            view_with_photos(conn, l, &[], &me)
        })
        .await?;
    state.wake_worker().await;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/listings/{}", view.id)))
        .json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadFrom {
    /// `promoted` when opened from a featured slot (counted in the seller's statistics as a
    /// click, once per viewer a day).
    pub from: Option<String>,
}

/// Read an ad. Public; counts a view (one per viewer a day) unless the seller is looking.
#[utoipa::path(tag = "listings", params(ListingId, ReadFrom),
    responses((status = 200, body = ListingView), (status = 404, body = crate::error::Problem)))]
#[get("/v1/listings/{id}")]
pub async fn get_listing(
    state: web::Data<AppState>,
    path: web::Path<ListingId>,
    viewer: Option<AuthUser>,
    client: crate::extract::ClientIp,
    from: web::Query<ReadFrom>,
) -> ApiResult<HttpResponse> {
    let id = path.id;
    let from_slot = match from.from.as_deref() {
        None => false,
        Some("promoted") => true,
        Some(_) => {
            return Err(ApiError::field(
                "from",
                "invalid_option",
                "promoted, or nothing",
            ));
        }
    };
    let (mut view, attributes) = state
        .public_db(viewer.map(|v| v.id), move |conn| {
            let (l, seller) = listings::get_visible_listing_with_seller(conn, id)?;
            let attributes = l.attributes()?;
            Ok((view_with_seller(conn, l, &seller)?, attributes))
        })
        .await?;
    view.price_hint = crate::usecases::fair_price::fair_price(
        &state,
        &view.category.slug,
        &attributes,
        view.wilaya.id,
        Some(view.seller.id),
    )
    .map(|f| crate::views::price_hint::hint_view(&view.category.slug, f, view.price));
    // The entity tag leaves out the view counter, which moves with every read: a client that
    // has the ad gets 304 until the ad itself changes.
    let counted = view.views;
    view.views = 0;
    let etag = crate::http_cache::etag_of(
        &serde_json::to_vec(&view).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    view.views = counted;
    if viewer.is_none_or(|v| v.id != view.seller.id) {
        // One view per viewer (account, else client) and ad a day, as large sites count:
        // reloading an ad does not inflate it. Counted in Redis or memory and written to the
        // database in batches; the count shown includes this view, not the ones pending.
        let who = viewer.map_or_else(|| client.key(), |v| format!("u{}", v.id));
        let first_today = state
            .limiter
            .claim(
                &format!("seen:{id}:{who}"),
                std::time::Duration::from_secs(86_400),
            )
            .await
            .is_ok();
        if first_today {
            state.views.count(id).await;
            view.views += 1;
        }
        if from_slot
            && state
                .limiter
                .claim(
                    &format!("slot:{id}:{who}"),
                    std::time::Duration::from_secs(86_400),
                )
                .await
                .is_ok()
        {
            state
                .views
                .count_promoted(&[id], crate::view_counts::PromotedStat::Click);
        }
    }
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::ETAG, etag))
        .json(view))
}

/// Edits and renewals of one ad per hour (`SOUK_RATE_CHANGES_PER_AD_PER_HOUR`): each queues a
/// trust check and a feed row and empties the browse cache. Counted per (user, ad), so a
/// stranger's refused attempts never use up the owner's.
async fn limit_changes(state: &AppState, user: AuthUser, id: i64) -> ApiResult<()> {
    crate::usecases::renewal::limit_changes(state, user.id, id).await
}

/// Edit an ad (seller only). Sold ads cannot be edited.
#[utoipa::path(tag = "listings", params(ListingId), request_body = ListingUpdate, security(("bearer" = [])),
    responses((status = 200, body = ListingView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
#[patch("/v1/listings/{id}")]
pub async fn update_listing(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ListingId>,
    body: Json<ListingUpdate>,
) -> ApiResult<web::Json<ListingView>> {
    let id = path.id;
    let patch = body.into_inner().into_patch()?;
    limit_changes(&state, user, id).await?;
    let st = state.clone();
    let view = state
        .tx(move |conn| {
            let current = owned_listing(conn, id, user)?;
            if current.status()? == ListingStatus::Sold {
                return Err(ApiError::Conflict {
                    code: "listing_sold",
                    detail: "a sold listing cannot be edited".into(),
                });
            }
            let valid = patch
                .apply(current.to_draft()?)
                .validate(catalog(), geography())?;
            crate::content_rules::check_listing(
                &valid.title,
                &valid.description,
                &valid.attributes,
            )?;
            let l = listings::update_listing(conn, id, &valid)?;
            souk_worker::alerts::queue_price_drop(conn, id, current.price, l.price)?;
            let fair = crate::usecases::fair_price::fair_price(
                &st,
                &valid.category,
                &valid.attributes,
                valid.wilaya,
                Some(user.id),
            );
            souk_worker::signals::queue_check(conn, id, fair)?;
            load_view(conn, l)
        })
        .await?;
    state.wake_worker().await;
    Ok(web::Json(view))
}

/// Delete an ad (seller only). It disappears at once; its photos are removed from disk.
#[utoipa::path(tag = "listings", params(ListingId), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
#[delete("/v1/listings/{id}")]
pub async fn delete_listing(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ListingId>,
) -> ApiResult<HttpResponse> {
    let id = path.id;
    let (removed, wake) = state
        .tx(move |conn| {
            owned_listing(conn, id, user)?;
            listings::set_status(conn, id, ListingStatus::Deleted)?;
            let wake = souk_worker::live::ad_closed(conn, id, "deleted")?;
            Ok((photos::delete_all_photos(conn, id)?, wake))
        })
        .await?;
    state.events.notify(&wake).await;
    state
        .remove_photo_files(removed.into_iter().map(|p| p.storage_key).collect())
        .await;
    Ok(HttpResponse::NoContent().finish())
}

/// Mark an active ad as sold (seller only). It leaves browse and search.
#[utoipa::path(tag = "listings", params(ListingId), security(("bearer" = [])),
    responses((status = 200, body = ListingView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
#[post("/v1/listings/{id}/sold")]
pub async fn mark_sold(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ListingId>,
) -> ApiResult<web::Json<ListingView>> {
    let id = path.id;
    let view = state
        .tx(move |conn| {
            let l = owned_listing(conn, id, user)?;
            if l.status()? != ListingStatus::Active {
                return Err(ApiError::Conflict {
                    code: "not_active",
                    detail: format!("the listing is {}", l.status()?.as_str()),
                });
            }
            let l = listings::set_status(conn, id, ListingStatus::Sold)?;
            let wake = souk_worker::live::ad_closed(conn, id, "sold")?;
            Ok((load_view(conn, l)?, wake))
        })
        .await?;
    let (view, wake) = view;
    state.events.notify(&wake).await;
    Ok(web::Json(view))
}

/// Renew an active or expired ad for another full period (seller only).
#[utoipa::path(tag = "listings", params(ListingId), security(("bearer" = [])),
    responses((status = 200, body = ListingView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 429, body = crate::error::Problem)))]
#[post("/v1/listings/{id}/renew")]
pub async fn renew_listing(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ListingId>,
) -> ApiResult<web::Json<ListingView>> {
    let id = path.id;
    limit_changes(&state, user, id).await?;
    let expires = crate::usecases::renewal::new_expiry(&state);
    let st = state.clone();
    let view = state
        .tx(move |conn| {
            let l = owned_listing(conn, id, user)?;
            let l = crate::usecases::renewal::renew(&st, conn, user.id, &l, expires)?;
            load_view(conn, l)
        })
        .await?;
    state.wake_worker().await;
    Ok(web::Json(view))
}

/// A result page: the listings with the first photo of each as thumbnail.
pub fn page_of(
    conn: &mut DbConn,
    items: Vec<Listing>,
    total: i64,
    page: i64,
    per_page: i64,
) -> ApiResult<ListingPage> {
    let ids: Vec<i64> = items.iter().map(|l| l.id).collect();
    let photos = photos::photos_of(conn, &ids)?;
    let owners: Vec<i64> = items.iter().map(|l| l.user_id).collect();
    let stores = stores::of_owners(conn, &owners)?
        .iter()
        .map(|s| (s.owner_id, StoreBadge::from(s)))
        .collect();
    Ok(ListingPage {
        items: summaries(items, &photos, &stores),
        page,
        per_page,
        total,
        next_cursor: None,
        promoted: Vec::new(),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BrowseQuery {
    /// Any category slug; includes its whole subtree.
    pub category: Option<String>,
    /// Wilaya code (1–69).
    pub wilaya: Option<i32>,
    /// Commune id (e.g. 1601).
    pub commune: Option<i32>,
    /// 1-based page number; numbered pages reach 1,000 results deep (`page × per_page`),
    /// `next_cursor` goes further.
    pub page: Option<i64>,
    /// Items per page, 1–100 (default 20).
    pub per_page: Option<i64>,
    /// `next_cursor` of the previous page (instead of `page`).
    pub cursor: Option<String>,
}

/// Browse active ads, newest first. Served by the search index, like `/v1/search` without
/// words (no table scan; identical requests within a second share one result), and a change
/// shows within about a second. `total` is exact.
#[utoipa::path(tag = "listings", params(BrowseQuery),
    responses((status = 200, body = ListingPage), (status = 400, description = "malformed cursor", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem), (status = 503, description = "index still building, or too many searches at once", body = crate::error::Problem)))]
#[get("/v1/listings")]
pub async fn browse(
    state: web::Data<AppState>,
    q: web::Query<BrowseQuery>,
) -> ApiResult<web::Json<ListingPage>> {
    let q = q.into_inner();
    let (page, per_page) = paging(q.page, q.per_page)?;
    if q.cursor.is_some() && page > 1 {
        return Err(ApiError::field(
            "cursor",
            "conflicts_with_page",
            "give either page or cursor",
        ));
    }
    let req = SearchRequest {
        category: q.category,
        wilayas: q.wilaya.into_iter().collect(),
        commune: q.commune,
        sort: Some(Sort::Newest),
        limit: per_page as usize,
        offset: ((page - 1) * per_page) as usize,
        cursor: q.cursor,
        facets: false,
        ..Default::default()
    };
    let found = crate::usecases::search::run_bounded_as(&state, req, Freshness::Shared).await?;
    Ok(web::Json(ListingPage {
        items: found.items.into_iter().map(ListingSummary::from).collect(),
        page,
        per_page,
        total: found.total as i64,
        next_cursor: found.next_cursor,
        promoted: found
            .promoted
            .into_iter()
            .map(ListingSummary::from)
            .collect(),
    }))
}

/// The signed-in user's ads in every status but deleted, newest first.
#[utoipa::path(tag = "listings", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = ListingPage), (status = 401, body = crate::error::Problem)))]
#[get("/v1/me/listings")]
pub async fn my_listings(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<PageQuery>,
) -> ApiResult<web::Json<ListingPage>> {
    let (page, per_page) = paging(q.page, q.per_page)?;
    let result = state
        .db(move |conn| {
            let (items, total) = listings::list_for_user(conn, user.id, page, per_page)?;
            page_of(conn, items, total, page, per_page)
        })
        .await?;
    Ok(web::Json(result))
}
