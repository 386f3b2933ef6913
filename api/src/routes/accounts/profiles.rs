//! Public seller profiles: who sells, since when, from where, how they answer.

use actix_web::{get, web};
use serde::Serialize;
use souk_store::{conversations, stores, users};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::params::UserId;
use crate::state::AppState;
use crate::usecases::search::active_ads;
use crate::views::{time, wilaya_ref, PlaceRef, StoreBadge};

#[derive(Debug, Serialize, ToSchema)]
pub struct SellerProfile {
    pub id: i64,
    pub display_name: String,
    pub member_since: chrono::DateTime<chrono::Utc>,
    pub wilaya: Option<PlaceRef>,
    pub active_ads: i64,
    /// Share of buyers' threads the seller answered (0–1); null before any thread.
    pub response_rate: Option<f64>,
    /// Median time to the first answer, in minutes; null before any answer.
    pub response_time_minutes: Option<i64>,
    /// The seller confirmed their email address.
    pub email_verified: bool,
    /// The seller confirmed their phone by a code sent to it.
    pub phone_verified: bool,
    /// Only when the seller chose to publish it.
    pub phone: Option<String>,
    pub store: Option<StoreBadge>,
    /// Visible ratings from real exchanges: count, average, distribution.
    pub rating: crate::views::rating::RatingSummary,
}

/// A seller's public profile. Never their email; their phone only when published.
#[utoipa::path(tag = "profiles", params(UserId),
    responses((status = 200, body = SellerProfile), (status = 404, body = crate::error::Problem)))]
#[get("/v1/users/{id}")]
pub async fn get_profile(
    state: web::Data<AppState>,
    path: web::Path<UserId>,
    viewer: Option<AuthUser>,
) -> ApiResult<web::Json<SellerProfile>> {
    let id = path.id;
    let search = state.search.clone();
    let p = state
        .public_db(viewer.map(|v| v.id), move |conn| {
            let u = users::find_user(conn, id)?;
            if u.banned_at.is_some() {
                return Err(ApiError::NotFound);
            }
            let stats = conversations::seller_response_stats(conn, id)?;
            Ok(SellerProfile {
                id: u.id,
                display_name: u.display_name,
                member_since: time(u.created_at),
                wilaya: u.wilaya.map(wilaya_ref),
                active_ads: active_ads(conn, Some(&search), id)?,
                response_rate: (stats.threads > 0)
                    .then(|| stats.answered as f64 / stats.threads as f64),
                response_time_minutes: stats.median_response_secs.map(|s| s / 60),
                email_verified: u.email_verified_at.is_some(),
                phone_verified: u.phone_verified_at.is_some(),
                // Only a number this account confirmed by a code: an unconfirmed one may be
                // anyone's (even one another account confirmed).
                phone: if u.phone_public && u.phone_verified_at.is_some() {
                    u.phone
                } else {
                    None
                },
                store: stores::find_by_owner(conn, id)?.map(|s| StoreBadge::from(&s)),
                rating: crate::usecases::ratings::summary_of(conn, id)?.0,
            })
        })
        .await?;
    Ok(web::Json(p))
}
