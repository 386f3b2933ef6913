//! Buying credits: an order registered with the payment provider, the buyer sent to its page,
//! and a return route that only queues a server-to-server confirmation (`souk_worker::payments`):
//! nothing the buyer's browser brings back is believed.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_store::payments::{self, Order};
use souk_worker::payments::{local_reference, queue_confirm, register, ProviderKind};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::billing::{idempotency_key, key_reused, with_ledger};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::routes::views::time;
use crate::state::AppState;

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
    /// Where to send the buyer to pay (given when the order is made).
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

/// Buy credits: makes an order with the payment provider and answers where the buyer pays
/// (SATIM's CIB/Edahabia page, or the local test provider's checkout). The credits arrive
/// once the provider confirms the payment to the server.
#[utoipa::path(tag = "credits", security(("bearer" = [])), request_body = PurchaseRequest,
    responses((status = 201, body = OrderView), (status = 200, description = "replay of the same key", body = OrderView),
              (status = 422, body = crate::error::Problem),
              (status = 503, description = "no payment provider, or it is unreachable (retry with the same key)", body = crate::error::Problem)))]
#[post("/v1/me/credits/purchases")]
pub async fn buy_credits(
    state: web::Data<AppState>,
    user: AuthUser,
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
        return Err(ApiError::Unavailable(
            "this site sells no credits online (no payment provider configured)".into(),
        ));
    }
    let provider = state.config.payments.name();
    let owner = user.id;
    let (order, fresh, attempt) = with_ledger(&state, move |c| {
        crate::auth::ensure_not_banned(c, owner)?;
        let (o, fresh) = payments::create(c, owner, provider, amount, &key)?;
        if o.amount != amount || o.provider != provider {
            return Err(key_reused());
        }
        // One registration at a time: a double click or a retry while the first is still
        // talking to the provider does not register the order twice.
        let attempt = payments::claim_registration(c, o.id, REGISTER_STALE_SECS)?;
        Ok((o, fresh, attempt))
    })
    .await?;
    let Some(attempt) = attempt else {
        // Registered before (the buyer has the payment page), or being registered now.
        return Ok(HttpResponse::Ok().json(view(order, None)));
    };
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
            "the payment provider cannot take the order now; retry with the same key".into(),
        )
    })?;
    let (id, reference) = (order.id, registered.reference.clone());
    state
        .tx(move |c| Ok(payments::set_provider_ref(c, id, &reference)?))
        .await?;
    let status = if fresh {
        actix_web::http::StatusCode::CREATED
    } else {
        actix_web::http::StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(view(order, Some(registered.payment_url))))
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
    Ok(HttpResponse::Ok().json(view(o, None)))
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
    client: crate::client_ip::ClientIp,
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
                queue_confirm(c, o.id)?;
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
                queue_confirm(c, o.id)?;
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
