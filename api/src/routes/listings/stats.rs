//! Seller statistics: per day, views (one per viewer a day), phone reveals, new contact
//! threads and favourites added, for one ad or summed over a store's ads. Owner only.

use actix_web::{get, web};
use serde::{Deserialize, Serialize};
use souk_store::stats::{self, DayStats};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::params::ListingId;
use crate::state::AppState;
use crate::usecases::ownership::check_owned_ad;

const MAX_DAYS: i32 = 90;

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsQuery {
    /// Days back from today, 1–90 (default 30).
    pub days: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DayCounts {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub views: i64,
    pub phone_reveals: i64,
    pub threads: i64,
    pub favorites: i64,
    /// Times shown in a featured slot.
    pub promoted_impressions: i64,
    /// Times opened from a featured slot.
    pub promoted_clicks: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    /// Days with activity, oldest first (a day without any is left out).
    pub days: Vec<DayCounts>,
    pub total_views: i64,
    pub total_phone_reveals: i64,
    pub total_threads: i64,
    pub total_favorites: i64,
    pub total_promoted_impressions: i64,
    pub total_promoted_clicks: i64,
}

fn days(q: &StatsQuery) -> ApiResult<i32> {
    crate::extract::bounded_param("days", q.days, 30, MAX_DAYS)
}

fn report(rows: Vec<DayStats>) -> Stats {
    let sum = |f: fn(&DayStats) -> i64| rows.iter().map(f).sum();
    Stats {
        total_views: sum(|d| d.views),
        total_phone_reveals: sum(|d| d.phone_reveals),
        total_threads: sum(|d| d.threads),
        total_favorites: sum(|d| d.favorites),
        total_promoted_impressions: sum(|d| d.promoted_impressions),
        total_promoted_clicks: sum(|d| d.promoted_clicks),
        days: rows
            .iter()
            .map(|d| DayCounts {
                date: chrono::DateTime::from_timestamp(i64::from(d.day) * 86_400, 0)
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                views: d.views,
                phone_reveals: d.phone_reveals,
                threads: d.threads,
                favorites: d.favorites,
                promoted_impressions: d.promoted_impressions,
                promoted_clicks: d.promoted_clicks,
            })
            .collect(),
    }
}

/// Statistics of one of your ads, per day.
#[utoipa::path(tag = "listings", params(ListingId, StatsQuery), security(("bearer" = [])),
    responses((status = 200, body = Stats), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
#[get("/v1/me/listings/{id}/stats")]
pub async fn listing_stats(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ListingId>,
    q: web::Query<StatsQuery>,
) -> ApiResult<web::Json<Stats>> {
    let since = stats::today() - days(&q)? + 1;
    let id = path.id;
    let rows = state
        .db(move |conn| {
            check_owned_ad(conn, user.id, id)?;
            Ok(stats::daily(conn, &[id], since)?)
        })
        .await?;
    Ok(web::Json(report(rows)))
}

/// Statistics of your store: every ad of yours summed, per day.
#[utoipa::path(tag = "stores", params(StatsQuery), security(("bearer" = [])),
    responses((status = 200, body = Stats), (status = 404, description = "you have no store", body = crate::error::Problem)))]
#[get("/v1/me/store/stats")]
pub async fn store_stats(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<StatsQuery>,
) -> ApiResult<web::Json<Stats>> {
    let since = stats::today() - days(&q)? + 1;
    let rows = state
        .db(move |conn| {
            souk_store::stores::find_by_owner(conn, user.id)?.ok_or(ApiError::NotFound)?;
            let ids = souk_store::listings::ids_of_user(conn, user.id)?;
            Ok(stats::daily(conn, &ids, since)?)
        })
        .await?;
    Ok(web::Json(report(rows)))
}
