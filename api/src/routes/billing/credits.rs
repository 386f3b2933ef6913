//! Credits and the first product bought with them, the bump. Credits come from an admin's
//! grant (here or `souk-api grant-credits`); every movement is a ledger row
//! (`souk_store::credits`), and a request carries an idempotency key so a retry moves
//! credits once.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_domain::trust::Role;
use souk_domain::visibility::{next_bump_at, products};
use souk_store::credits::{self, Movement};
use souk_store::StoreError;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::params::ListingId;
use crate::state::AppState;
use crate::usecases::billing::{
    earlier_movement, ensure_active, idempotency_key, spend_error, with_ledger,
};
use crate::usecases::credits::{grant_in, MAX_GRANT};
use crate::usecases::ownership::{ensure_shown, owned_ad};
use crate::views::time;

/// Movements shown with the balance.
const SHOWN_MOVEMENTS: i64 = 50;

#[derive(Debug, Serialize, ToSchema)]
pub struct MovementView {
    /// Positive for credits in, negative for spending (one credit is one dinar).
    pub amount: i64,
    pub balance_after: i64,
    /// grant, bump, ...
    pub reason: String,
    pub listing_id: Option<i64>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<credits::Movement> for MovementView {
    fn from(m: credits::Movement) -> Self {
        MovementView {
            amount: m.amount,
            balance_after: m.balance_after,
            reason: m.reason,
            listing_id: m.listing_id,
            created_at: time(m.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreditsView {
    pub balance: i64,
    /// DZD: one credit is one dinar.
    pub currency: String,
    /// The latest movements, newest first (at most 50).
    pub movements: Vec<MovementView>,
}

/// My credit balance and latest movements.
#[utoipa::path(tag = "credits", security(("bearer" = [])),
    responses((status = 200, body = CreditsView), (status = 401, body = crate::error::Problem)))]
#[get("/v1/me/credits")]
pub async fn my_credits(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let (balance, movements) = state
        .db(move |c| {
            Ok((
                credits::balance(c, user.id)?,
                credits::movements(c, user.id, SHOWN_MOVEMENTS)?,
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(CreditsView {
        balance,
        currency: products().currency.clone(),
        movements: movements.into_iter().map(MovementView::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    pub user_id: i64,
    /// Credits to give, 1–10,000,000.
    pub amount: i64,
    /// Why (kept in the ledger and the moderation log), 3–200 characters.
    pub reason: String,
    /// Unique per account: a retried grant gives once.
    pub idempotency_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantView {
    pub movement: MovementView,
    pub balance: i64,
    /// True when this key had already granted (nothing was added now).
    pub replayed: bool,
}

/// Give credits to an account (admins only; logged).
#[utoipa::path(tag = "credits", security(("bearer" = [])), request_body = GrantRequest,
    responses((status = 201, body = GrantView), (status = 200, description = "replay of the same key", body = GrantView),
              (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/v1/admin/credits")]
pub async fn grant(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<GrantRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let key = idempotency_key(&body.idempotency_key)?;
    if !(1..=MAX_GRANT).contains(&body.amount) {
        return Err(ApiError::field(
            "amount",
            "out_of_range",
            format!("1–{MAX_GRANT} credits"),
        ));
    }
    let reason = body.reason.trim().to_string();
    if !(3..=200).contains(&reason.chars().count()) {
        return Err(ApiError::field("reason", "length", "3–200 characters"));
    }
    let admin = user.id;
    let (target, amount) = (body.user_id, body.amount);
    let (balance, done) = with_ledger(&state, move |c| {
        let me = crate::auth::ensure_not_banned(c, admin)?;
        if Role::parse(&me.role) != Some(Role::Admin) {
            return Err(ApiError::Forbidden("admins only"));
        }
        let done = grant_in(c, target, amount, &reason, &key, Some(admin))?;
        // A replay answers with today's balance, not the one after its movement.
        Ok((credits::balance(c, target)?, done))
    })
    .await?;
    let status = if done.replayed {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::CREATED
    };
    Ok(HttpResponse::build(status).json(GrantView {
        balance,
        movement: done.movement.into(),
        replayed: done.replayed,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BumpRequest {
    /// Unique per account: a retried bump charges once.
    pub idempotency_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BumpView {
    pub bumped_at: chrono::DateTime<chrono::Utc>,
    /// Credits spent (0 on a replay, or when the store plan included the bump).
    pub charged: i64,
    /// 1 when the store plan's included bumps paid for it.
    pub from_plan: i64,
    pub balance: i64,
}

/// Put my active ad back at the top of "newest" (a bump included in my store plan, else
/// `products.bump.price` credits; once a day per ad).
#[utoipa::path(tag = "credits", security(("bearer" = [])), params(ListingId), request_body = BumpRequest,
    responses((status = 200, body = BumpView), (status = 402, description = "not enough credits", body = crate::error::Problem),
              (status = 403, description = "not your ad (usecases::ownership)", body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, description = "bumped less than a day ago, not active, or hidden", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/v1/listings/{id}/bump")]
pub async fn bump(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ListingId>,
    body: Json<BumpRequest>,
) -> ApiResult<HttpResponse> {
    let key = idempotency_key(&body.idempotency_key)?;
    let (id, owner) = (path.id, user.id);
    let view = with_ledger(&state, move |c| {
        let l = owned_ad(c, owner, id)?;
        ensure_shown(&l, "bumped")?;
        let same = |d: &Movement| d.reason == "bump" && d.listing_id == Some(id);
        if let Some(done) = earlier_movement(c, owner, &key, same)? {
            return Ok(BumpView {
                bumped_at: time(l.bumped_at.unwrap_or(done.created_at)),
                charged: 0,
                from_plan: 0,
                balance: credits::balance(c, owner)?,
            });
        }
        ensure_active(&l, "bumped")?;
        let now = souk_store::time::now();
        if let Some(at) = next_bump_at(l.bumped_at, now) {
            return Err(ApiError::Conflict {
                code: "bumped_recently",
                detail: format!(
                    "this ad can be bumped again from {} UTC",
                    at.format("%Y-%m-%d %H:%M")
                ),
            });
        }
        let paid =
            souk_worker::visibility::paid_bump(c, owner, id, &key, now).map_err(|e| match e {
                StoreError::Conflict("bumped_recently") => ApiError::Conflict {
                    code: "bumped_recently",
                    detail: "this ad was bumped less than a day ago, or is no longer active".into(),
                },
                other => spend_error(other),
            })?;
        Ok(BumpView {
            bumped_at: time(now),
            charged: paid.charged,
            from_plan: paid.from_plan,
            balance: paid.movement.balance_after,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
