//! Marks bought by the day for one's own ad (featured, urgent) and scheduled bumps. Paid
//! like a bump: days a store plan includes first, then credits (`souk_store::billing`).

use actix_web::{delete, get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_domain::visibility::{next_bump_at, products, Mark};
use souk_store::bump_schedules::{self, Schedule};
use souk_store::StoreError;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::params::ListingId;
use crate::state::AppState;
use crate::usecases::billing::{ensure_active, idempotency_key};
use crate::usecases::ownership::{check_owned_ad, ensure_shown, owned_ad};
use crate::usecases::promotions::Order;
use crate::views::time;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromotionRequest {
    /// `featured` (shown above matching search and browse pages) or `urgent` (a badge,
    /// and the `urgent=true` filter).
    pub product: String,
    /// Days to add, 1 to the product's `max_days` (GET /v1/products).
    pub days: i64,
    /// Unique per account: a retried purchase pays once.
    pub idempotency_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromotionView {
    pub product: String,
    /// The mark runs until then (days bought again are added to the days left).
    pub until: chrono::DateTime<chrono::Utc>,
    /// Days the store plan covered.
    pub from_plan: i64,
    /// Credits spent (0 on a replay).
    pub charged: i64,
    pub balance: i64,
    /// True when this key had already bought it (nothing was spent now).
    pub replayed: bool,
}

/// Make my active ad featured or urgent for some days (days included in my store plan first
/// for featured, then credits: `price_per_day` × days).
#[utoipa::path(tag = "credits", security(("bearer" = [])), params(ListingId), request_body = PromotionRequest,
    responses((status = 200, body = PromotionView), (status = 402, description = "not enough credits", body = crate::error::Problem),
              (status = 403, description = "not your ad (usecases::ownership)", body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, description = "the ad is not active, or hidden", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/v1/listings/{id}/promotions")]
pub async fn promote(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ListingId>,
    body: Json<PromotionRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let key = idempotency_key(&body.idempotency_key)?;
    let mark = Mark::parse(&body.product)
        .ok_or_else(|| ApiError::field("product", "invalid_option", "featured or urgent"))?;
    let bought = crate::usecases::promotions::buy_mark(
        &state,
        &Order {
            owner: user.id,
            listing: path.id,
            mark,
            days: body.days,
            key,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(PromotionView {
        product: mark.as_str().into(),
        until: time(bought.until),
        from_plan: bought.from_plan,
        charged: bought.charged,
        balance: bought.balance,
        replayed: bought.replayed,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// A bump every this many days (1 to `scheduled_bumps.max_every_days`).
    pub every_days: i32,
    /// For this many weeks (1 to `scheduled_bumps.max_weeks`).
    pub weeks: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleView {
    pub every_days: i32,
    pub next_at: chrono::DateTime<chrono::Utc>,
    pub ends_at: chrono::DateTime<chrono::Utc>,
    /// Bumps made (or skipped) so far.
    pub runs: i32,
    /// active, done or stopped.
    pub status: String,
    /// Why it stopped: by_seller, insufficient_credits, not_active.
    pub stop_reason: Option<String>,
}

impl From<Schedule> for ScheduleView {
    fn from(s: Schedule) -> Self {
        ScheduleView {
            every_days: s.every_days,
            next_at: time(s.next_at),
            ends_at: time(s.ends_at),
            runs: s.runs,
            status: s.status,
            stop_reason: s.stop_reason,
        }
    }
}

/// Bump my active ad every few days for some weeks. The first bump is made by the worker's
/// next pass (about a minute), or once the ad may be bumped again; each is paid when made (a bump included in my store plan, else
/// credits); the schedule stops when one cannot be paid or the ad is no longer active.
#[utoipa::path(tag = "credits", security(("bearer" = [])), params(ListingId), request_body = ScheduleRequest,
    responses((status = 201, body = ScheduleView), (status = 403, description = "not your ad (usecases::ownership)", body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, description = "the ad is not active, hidden, or already has a schedule", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/v1/listings/{id}/bump-schedule")]
pub async fn schedule_bumps(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ListingId>,
    body: Json<ScheduleRequest>,
) -> ApiResult<HttpResponse> {
    let limits = &products().scheduled_bumps;
    // A bump at most once a day: a schedule cannot ask for more.
    if !(1..=limits.max_every_days as i32).contains(&body.every_days) {
        return Err(ApiError::field(
            "every_days",
            "out_of_range",
            format!("1–{} days", limits.max_every_days),
        ));
    }
    if !(1..=limits.max_weeks).contains(&body.weeks) {
        return Err(ApiError::field(
            "weeks",
            "out_of_range",
            format!("1–{} weeks", limits.max_weeks),
        ));
    }
    let (id, owner, every, weeks) = (path.id, user.id, body.every_days, body.weeks);
    let s = state
        .tx(move |c| {
            let l = owned_ad(c, owner, id)?;
            ensure_shown(&l, "promoted")?;
            ensure_active(&l, "promoted")?;
            // The first bump as soon as the ad may be bumped again.
            let now = souk_store::now();
            let first = next_bump_at(l.bumped_at, now).unwrap_or(now);
            bump_schedules::create(c, id, owner, every, first, weeks).map_err(|e| match e {
                StoreError::Conflict("schedule_exists") => ApiError::Conflict {
                    code: "schedule_exists",
                    detail: "this ad already has a bump schedule; stop it first".into(),
                },
                other => other.into(),
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(ScheduleView::from(s)))
}

/// My ad's latest bump schedule.
#[utoipa::path(tag = "credits", security(("bearer" = [])), params(ListingId),
    responses((status = 200, body = ScheduleView), (status = 403, description = "not your ad (usecases::ownership)", body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
#[get("/v1/listings/{id}/bump-schedule")]
pub async fn get_schedule(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ListingId>,
) -> ApiResult<HttpResponse> {
    let (id, owner) = (path.id, user.id);
    let s = state
        .db(move |c| {
            check_owned_ad(c, owner, id)?;
            bump_schedules::latest_of(c, id)?.ok_or(ApiError::NotFound)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ScheduleView::from(s)))
}

/// Stop my ad's bump schedule (bumps already made stay paid).
#[utoipa::path(tag = "credits", security(("bearer" = [])), params(ListingId),
    responses((status = 204), (status = 403, description = "not your ad (usecases::ownership)", body = crate::error::Problem), (status = 404, description = "no active schedule", body = crate::error::Problem)))]
#[delete("/v1/listings/{id}/bump-schedule")]
pub async fn stop_schedule(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ListingId>,
) -> ApiResult<HttpResponse> {
    let (id, owner) = (path.id, user.id);
    state
        .tx(move |c| {
            owned_ad(c, owner, id)?;
            let s = bump_schedules::active_of(c, id)?.ok_or(ApiError::NotFound)?;
            bump_schedules::stop(c, s.id, "by_seller")?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
