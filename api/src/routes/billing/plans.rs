//! The price list, and store plans: a monthly period of ads, bumps and featured days, paid in
//! credits and renewed by the worker while `auto_renew` holds.

use actix_web::{delete, get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_domain::visibility::{products, Products};
use souk_store::billing::{self, Purchase};
use souk_store::plans::{self, Subscription};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use crate::usecases::billing::{earlier_movement, idempotency_key, spend_error, with_ledger};
use crate::views::time;
use souk_store::credits::Movement;

/// Prices (DZD; one credit is one dinar) of the bump, featured and urgent days, the limits of
/// scheduled bumps, the active ads a store keeps without a plan, and the store plans.
#[utoipa::path(tag = "credits",
    responses((status = 200, description = "the price list", body = Object)))]
#[get("/v1/products")]
pub async fn price_list() -> HttpResponse {
    let p: &Products = products();
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(p)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub plan: String,
    /// Credits charged per period.
    pub price: i64,
    pub period_start: chrono::DateTime<chrono::Utc>,
    pub period_end: chrono::DateTime<chrono::Utc>,
    pub ads_included: i32,
    pub ads_used: i32,
    pub bumps_included: i32,
    pub bumps_used: i32,
    pub featured_days_included: i32,
    pub featured_days_used: i32,
    /// Renewed (and charged) by the worker at `period_end` while true.
    pub auto_renew: bool,
    /// active, or lapsed (not renewed).
    pub status: String,
}

impl From<Subscription> for PlanView {
    fn from(s: Subscription) -> Self {
        PlanView {
            plan: s.plan,
            price: s.price,
            period_start: time(s.period_start),
            period_end: time(s.period_end),
            ads_included: s.ads_included,
            ads_used: s.ads_used,
            bumps_included: s.bumps_included,
            bumps_used: s.bumps_used,
            featured_days_included: s.featured_days_included,
            featured_days_used: s.featured_days_used,
            auto_renew: s.auto_renew,
            status: s.status,
        }
    }
}

/// My store plan (current or lapsed); 404 when I never had one.
#[utoipa::path(tag = "credits", security(("bearer" = [])),
    responses((status = 200, body = PlanView), (status = 404, body = crate::error::Problem)))]
#[get("/v1/me/plan")]
pub async fn my_plan(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let s = state
        .db(move |c| plans::of_user(c, user.id)?.ok_or(ApiError::NotFound))
        .await?;
    Ok(HttpResponse::Ok().json(PlanView::from(s)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeRequest {
    /// A plan's key (GET /v1/products).
    pub plan: String,
    /// Renew at each period's end (default true).
    pub auto_renew: Option<bool>,
    /// Unique per account: a retried request pays once.
    pub idempotency_key: String,
}

/// Subscribe my store to a plan: the first period is charged now. Needs a store; refused
/// while a period is running (stop the renewal and subscribe again at its end to change).
#[utoipa::path(tag = "credits", security(("bearer" = [])), request_body = SubscribeRequest,
    responses((status = 201, body = PlanView), (status = 200, description = "replay of the same key", body = PlanView),
              (status = 402, description = "not enough credits", body = crate::error::Problem),
              (status = 409, description = "no store, or a period is running", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/v1/me/plan")]
pub async fn subscribe(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<SubscribeRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let key = idempotency_key(&body.idempotency_key)?;
    let plan = products()
        .plan(&body.plan)
        .ok_or_else(|| {
            let keys: Vec<&str> = products().plans.iter().map(|p| p.key.as_str()).collect();
            ApiError::field("plan", "invalid_option", keys.join(", "))
        })?
        .clone();
    let (owner, auto_renew) = (user.id, body.auto_renew.unwrap_or(true));
    let (view, created) = with_ledger(&state, move |c| {
        crate::auth::ensure_not_banned(c, owner)?;
        let same = |d: &Movement| d.reason == "plan" && d.amount == -plan.price;
        if earlier_movement(c, owner, &key, same)?.is_some() {
            let s = plans::of_user(c, owner)?.ok_or(ApiError::NotFound)?;
            return Ok((PlanView::from(s), false));
        }
        if souk_store::stores::find_by_owner(c, owner)?.is_none() {
            return Err(ApiError::Conflict {
                code: "store_required",
                detail: "plans are for stores: open your store first (POST /v1/stores)".into(),
            });
        }
        if plans::current(c, owner)?.is_some() {
            return Err(ApiError::Conflict {
                code: "plan_active",
                detail: "a period of your plan is running; to change plan, turn renewal off \
                         (DELETE /v1/me/plan) and subscribe again when it ends"
                    .into(),
            });
        }
        billing::pay(
            c,
            &Purchase {
                user_id: owner,
                reason: "plan",
                listing_id: None,
                units: 1,
                unit_price: plan.price,
                included: None,
                idempotency_key: &key,
            },
        )
        .map_err(spend_error)?;
        let s = plans::start(c, owner, &plan, auto_renew)?;
        Ok((PlanView::from(s), true))
    })
    .await?;
    let status = if created {
        actix_web::http::StatusCode::CREATED
    } else {
        actix_web::http::StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(view))
}

/// Stop my plan's renewal: the period paid for runs to its end, then the plan lapses.
#[utoipa::path(tag = "credits", security(("bearer" = [])),
    responses((status = 200, body = PlanView), (status = 404, body = crate::error::Problem)))]
#[delete("/v1/me/plan")]
pub async fn cancel_renewal(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let s = state
        .tx(move |c| {
            plans::of_user(c, user.id)?.ok_or(ApiError::NotFound)?;
            plans::set_auto_renew(c, user.id, false)?;
            plans::of_user(c, user.id)?.ok_or(ApiError::NotFound)
        })
        .await?;
    Ok(HttpResponse::Ok().json(PlanView::from(s)))
}
