//! Buying credits: an order made by an account with a confirmed address (at most
//! `MAX_OPEN_ORDERS` pending, a few an hour), registered with the payment provider only when
//! its buyer opens the checkout link, the buyer sent on to the provider's page, and a return
//! route that only queues a server-to-server confirmation (`souk_worker::payments`): nothing
//! the buyer's browser brings back is believed.

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_store::payments::{self, Order, MAX_OPEN_ORDERS};
use souk_worker::payments::{
    local_reference, queue_confirm, register, ProviderKind, CHECKOUT_MINUTES,
};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use crate::usecases::billing::{idempotency_key, key_reused, with_ledger};
use crate::views::time;

/// A registration claimed this long ago without an answer may be tried again (the provider's
/// timeout is shorter).
const REGISTER_STALE_SECS: i64 = 60;
/// Returns from the payment page one client may make a minute.
const RETURNS_PER_MINUTE: u32 = 30;

/// The smallest and largest purchase, in dinars (SATIM takes 50 DA at least).
pub const MIN_PURCHASE: i64 = 200;
pub const MAX_PURCHASE: i64 = 500_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseRequest {
    /// Credits to buy (one credit is one dinar), 200–500,000.
    pub amount: i64,
    /// Unique per account: a retried request makes one order.
    pub idempotency_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: i64,
    pub amount: i64,
    /// local or satim.
    pub provider: String,
    /// pending, paid (credited) or failed.
    pub status: String,
    /// Where to send the buyer to pay, while the order is pending: this site's checkout link
    /// (valid an hour), which registers the order with the provider and redirects to its page.
    pub payment_url: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn view(o: Order, payment_url: Option<String>) -> OrderView {
    OrderView {
        id: o.id,
        amount: o.amount,
        provider: o.provider,
        status: o.status,
        payment_url,
        created_at: time(o.created_at),
    }
}

/// The checkout link of a pending order (the buyer's browser opens it; no bearer token).
fn checkout_url(state: &AppState, o: &Order) -> ApiResult<Option<String>> {
    if o.status != "pending" {
        return Ok(None);
    }
    let token = state.jwt.issue_checkout(o.id, CHECKOUT_MINUTES * 60)?;
    Ok(Some(format!(
        "{}/v1/payments/checkout/{}?t={token}",
        state.config.public_url, o.id
    )))
}

/// Purchases per account and per client address and hour: each may become a registration at
/// the provider and its checks.
async fn purchase_allowance(
    state: &AppState,
    user: i64,
    client: &crate::extract::ClientIp,
) -> ApiResult<()> {
    let per_account = state.config.limits.purchases_per_hour;
    let hour = std::time::Duration::from_secs(3600);
    let limiter = &state.limiter;
    limiter
        .hit(&format!("purchase:{user}"), per_account, hour)
        .await?;
    limiter
        .hit(
            &format!("purchase-client:{}", client.key()),
            per_account.saturating_mul(3),
            hour,
        )
        .await
}

/// Buy credits: makes a pending order and answers its checkout link, where the buyer pays
/// (it registers the order with SATIM, CIB/Edahabia, or the local test provider, and sends
/// the buyer on). Needs a confirmed address; at most 3 pending orders. The credits arrive once
/// the provider confirms the payment to the server.
#[utoipa::path(tag = "credits", security(("bearer" = [])), request_body = PurchaseRequest,
    responses((status = 201, body = OrderView), (status = 200, description = "replay of the same key", body = OrderView),
              (status = 403, description = "email_not_confirmed", body = crate::error::Problem),
              (status = 409, description = "too_many_open_orders: pay or let the pending ones lapse (an hour unopened); payments_disabled: this site has no payment provider", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
#[post("/v1/me/credits/purchases")]
pub async fn buy_credits(
    state: web::Data<AppState>,
    user: AuthUser,
    client: crate::extract::ClientIp,
    body: Json<PurchaseRequest>,
) -> ApiResult<HttpResponse> {
    let key = idempotency_key(&body.idempotency_key)?;
    let amount = body.amount;
    if !(MIN_PURCHASE..=MAX_PURCHASE).contains(&amount) {
        return Err(ApiError::field(
            "amount",
            "out_of_range",
            format!("{MIN_PURCHASE}–{MAX_PURCHASE} DZD"),
        ));
    }
    if state.config.payments.provider == ProviderKind::None {
        // The site's choice, not an outage: a 5xx would have clients retry for ever.
        return Err(ApiError::Conflict {
            code: "payments_disabled",
            detail: "this site sells no credits online (no payment provider configured)".into(),
        });
    }
    let provider = state.config.payments.name();
    let owner = user.id;
    let replay = state
        .db({
            let key = key.clone();
            move |c| Ok(payments::by_key(c, owner, &key)?)
        })
        .await?;
    if replay.is_none() {
        purchase_allowance(&state, owner, &client).await?;
    }
    let (order, fresh) = with_ledger(&state, move |c| {
        let me = crate::auth::ensure_not_banned(c, owner)?;
        // Throwaway accounts made hundreds of orders, each a registration at the provider.
        if me.email_verified_at.is_none() {
            return Err(ApiError::NotAllowed {
                code: "email_not_confirmed",
                detail: "confirm your email address to buy credits",
            });
        }
        if payments::by_key(c, owner, &key)?.is_none()
            && payments::count_open(c, owner)? >= MAX_OPEN_ORDERS
        {
            return Err(ApiError::Conflict {
                code: "too_many_open_orders",
                detail: format!(
                    "at most {MAX_OPEN_ORDERS} purchases pending: pay one, or wait for one \
                     left unopened to lapse ({CHECKOUT_MINUTES} minutes)"
                ),
            });
        }
        let (o, fresh) = payments::create(c, owner, provider, amount, &key)?;
        if o.amount != amount || o.provider != provider {
            return Err(key_reused());
        }
        Ok((o, fresh))
    })
    .await?;
    let status = if fresh {
        actix_web::http::StatusCode::CREATED
    } else {
        actix_web::http::StatusCode::OK
    };
    let url = checkout_url(&state, &order)?;
    Ok(HttpResponse::build(status).json(view(order, url)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckoutToken {
    /// The token of the checkout link the order was answered with.
    pub t: String,
}

/// The checkout link: registers the order with the payment provider (once; a retry after a
/// failed registration tries again) and redirects the buyer to the provider's page.
#[utoipa::path(tag = "credits", params(OrderId, CheckoutToken),
    responses((status = 303, description = "to the provider's payment page"),
              (status = 404, description = "unknown order, or a link that is not its or has expired", body = crate::error::Problem),
              (status = 409, description = "order_closed: paid or failed already; or being registered now", body = crate::error::Problem),
              (status = 503, description = "the payment provider cannot take the order now; open the link again", body = crate::error::Problem)))]
#[get("/v1/payments/checkout/{id}")]
pub async fn open_checkout(
    state: web::Data<AppState>,
    path: web::Path<OrderId>,
    query: web::Query<CheckoutToken>,
) -> ApiResult<HttpResponse> {
    let id = path.id;
    if query.t.len() > 512 || state.jwt.verify_checkout(&query.t) != Some(id) {
        return Err(ApiError::NotFound);
    }
    let (order, attempt) = state
        .tx(move |c| {
            let o = payments::find(c, id)?;
            if o.status != "pending" {
                return Err(ApiError::Conflict {
                    code: "order_closed",
                    detail: format!("this purchase is {} already", o.status),
                });
            }
            // One registration at a time: a double click, or a retry while the first still
            // talks to the provider, does not register the order twice.
            let attempt = payments::claim_registration(c, o.id, REGISTER_STALE_SECS)?;
            Ok((o, attempt))
        })
        .await?;
    let payment_url = match (attempt, order.payment_url.clone()) {
        (_, Some(url)) => url,
        (None, None) => {
            return Err(ApiError::Conflict {
                code: "order_closed",
                detail: "this purchase is being registered with the provider; open the link again in a minute".into(),
            })
        }
        (Some(attempt), None) => {
            let registered = register(
                &state.config.payments,
                &order,
                attempt,
                &state.config.public_url,
            )
            .await
            .map_err(|e| {
                tracing::warn!(order = order.id, error = %e, "payment provider refused the order");
                ApiError::Unavailable(
                    "the payment provider cannot take the order now; open the link again".into(),
                )
            })?;
            let (reference, url) = (registered.reference, registered.payment_url.clone());
            state
                .tx(move |c| Ok(payments::set_provider_ref(c, id, &reference, &url)?))
                .await?;
            registered.payment_url
        }
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, payment_url))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OrderId {
    pub id: i64,
}

/// One of my credit purchases (poll it after the payment page).
#[utoipa::path(tag = "credits", security(("bearer" = [])), params(OrderId),
    responses((status = 200, body = OrderView), (status = 404, body = crate::error::Problem)))]
#[get("/v1/me/credits/purchases/{id}")]
pub async fn my_purchase(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<OrderId>,
) -> ApiResult<HttpResponse> {
    let id = path.id;
    let o = state
        .db(move |c| {
            let o = payments::find(c, id)?;
            if o.user_id != user.id {
                return Err(ApiError::NotFound);
            }
            Ok(o)
        })
        .await?;
    let url = checkout_url(&state, &o)?;
    Ok(HttpResponse::Ok().json(view(o, url)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SatimReturn {
    /// SATIM's order id (`mdOrder`), as SATIM appends it to the return URL.
    #[serde(rename = "orderId")]
    pub order_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnView {
    pub order_id: i64,
    /// pending until the provider has confirmed to the server; then paid or failed.
    pub status: String,
}

/// Where SATIM's payment page sends the buyer back. Believes nothing it carries: it queues a
/// server-to-server confirmation of the order with SATIM and answers the order's state.
#[utoipa::path(tag = "credits", params(SatimReturn),
    responses((status = 200, body = ReturnView), (status = 404, body = crate::error::Problem),
              (status = 429, body = crate::error::Problem)))]
#[get("/v1/payments/satim/return")]
pub async fn satim_return(
    state: web::Data<AppState>,
    query: web::Query<SatimReturn>,
    client: crate::extract::ClientIp,
) -> ApiResult<HttpResponse> {
    if state.config.payments.provider != ProviderKind::Satim || query.order_id.len() > 64 {
        return Err(ApiError::NotFound);
    }
    state
        .limiter
        .hit(
            &format!("payment-return:{}", client.key()),
            RETURNS_PER_MINUTE,
            std::time::Duration::from_secs(60),
        )
        .await?;
    let reference = query.order_id.clone();
    let o = state
        .tx(move |c| {
            let o = payments::by_provider_ref(c, "satim", &reference)?.ok_or(ApiError::NotFound)?;
            if o.status == "pending" {
                queue_confirm(c, &o)?;
            }
            Ok(o)
        })
        .await?;
    state.wake_worker().await;
    Ok(HttpResponse::Ok().json(ReturnView {
        order_id: o.id,
        status: o.status,
    }))
}

/// The local test provider's checkout: the buyer confirms the payment of their order (only
/// when `SOUK_PAYMENT_PROVIDER` is `local`; no money moves). The worker then confirms it like
/// any provider's payment.
#[utoipa::path(tag = "credits", security(("bearer" = [])), params(OrderId),
    responses((status = 200, body = ReturnView), (status = 404, body = crate::error::Problem)))]
#[post("/v1/payments/local/checkout/{id}")]
pub async fn local_checkout(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<OrderId>,
) -> ApiResult<HttpResponse> {
    if state.config.payments.provider != ProviderKind::Local {
        return Err(ApiError::NotFound);
    }
    let id = path.id;
    let o = state
        .tx(move |c| {
            let o = payments::find(c, id)?;
            if o.user_id != user.id || o.provider != "local" {
                return Err(ApiError::NotFound);
            }
            if o.status == "pending" && o.provider_ref.is_some() {
                payments::replace_provider_ref(c, o.id, &local_reference(o.id, true))?;
                queue_confirm(c, &o)?;
            }
            Ok(o)
        })
        .await?;
    state.wake_worker().await;
    Ok(HttpResponse::Ok().json(ReturnView {
        order_id: o.id,
        status: o.status,
    }))
}
