//! Confirmed phones and phone reveals. A number is confirmed by a 6-digit code sent to it by
//! SMS (stored hashed, 10 minutes, 5 attempts, a minute between sends, limits per account,
//! per number and per client); one confirmed number belongs to one account. Ads no longer
//! carry the number: a signed-in buyer reveals it, each reveal counted and limited.

use actix_web::{post, web, HttpResponse};
use rand::Rng;
use serde::{Deserialize, Serialize};
use souk_domain::account::{is_mobile, normalize_phone};
use souk_domain::Language;
use souk_store::{phones, users};
use souk_worker::sms::{enqueue_sms, Sms};
use utoipa::ToSchema;

use crate::auth::secret::token_hash;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::ClientIp;
use crate::extract::Json;
use crate::routes::accounts::account::Me;
use crate::state::AppState;

const CODE_MINUTES: i64 = 10;
const CODE_ATTEMPTS: i32 = 5;
const RESEND_SECS: u64 = 60;
const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);
const DAY: std::time::Duration = std::time::Duration::from_secs(86_400);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneRequest {
    /// An Algerian number in any usual spelling (`0551 23 45 67`, `+213 551…`).
    #[schema(example = "0551 23 45 67")]
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CodeSent {
    /// The number the code went to, as stored (E.164).
    pub phone: String,
    /// Seconds the code stays valid.
    pub expires_in: i64,
    /// Seconds before another code can be asked for.
    pub resend_after: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeConfirm {
    /// The 6 digits of the SMS.
    #[schema(example = "123456")]
    pub code: String,
}

fn code_hash(user: i64, phone: &str, code: &str) -> String {
    token_hash(&format!("{user}:{phone}:{code}"))
}

fn invalid_code() -> ApiError {
    ApiError::bad_request(
        "invalid_code",
        "this code is wrong or expired; ask for a new one",
    )
}

/// The limits an SMS passes before it is queued: per client, account and number by the hour
/// and the day, a minute between an account's codes, then the site's hourly and daily budget
/// (a circuit breaker: refused with 503, counted, logged once an hour).
async fn sms_allowance(
    state: &AppState,
    user: i64,
    client: &ClientIp,
    phone: &str,
) -> ApiResult<()> {
    let limits = &state.config.limits;
    let limiter = &state.limiter;
    limiter
        .hit(&format!("otp-ip:{}", client.key()), 20, HOUR)
        .await?;
    limiter.hit(&format!("otp-acct:{user}"), 5, HOUR).await?;
    limiter
        .hit(
            &format!("otp-acct-day:{user}"),
            limits.sms_per_account_per_day,
            DAY,
        )
        .await?;
    limiter.hit(&format!("otp-num:{phone}"), 5, HOUR).await?;
    limiter
        .hit(
            &format!("otp-num-day:{phone}"),
            limits.sms_per_number_per_day,
            DAY,
        )
        .await?;
    limiter
        .claim(
            &format!("otp-cool:{user}"),
            std::time::Duration::from_secs(RESEND_SECS),
        )
        .await?;
    let budget = [
        ("otp-budget-hour", limits.sms_budget_per_hour, HOUR),
        ("otp-budget-day", limits.sms_budget_per_day, DAY),
    ];
    for (key, limit, window) in budget {
        if limiter.hit(key, limit, window).await.is_err() {
            metrics::counter!("souk_sms_refused_total", "reason" => "budget").increment(1);
            let hour = chrono::Utc::now().timestamp() / 3600;
            if BUDGET_LOGGED_HOUR.swap(hour, std::sync::atomic::Ordering::Relaxed) != hour {
                tracing::error!(
                    key,
                    limit,
                    "SMS budget spent: phone codes refused until the window moves on \
                     (SOUK_SMS_BUDGET_PER_HOUR, SOUK_SMS_BUDGET_PER_DAY)"
                );
            }
            return Err(ApiError::Unavailable(
                "phone codes cannot be sent now; try again later".into(),
            ));
        }
    }
    Ok(())
}

/// The hour the spent SMS budget was last logged in, so it is logged once an hour.
static BUDGET_LOGGED_HOUR: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Send a confirmation code by SMS to your phone number.
#[utoipa::path(tag = "accounts", request_body = PhoneRequest, security(("bearer" = [])),
    responses((status = 202, body = CodeSent),
              (status = 403, description = "email_not_confirmed", body = crate::error::Problem),
              (status = 409, description = "phone_taken: confirmed by another account", body = crate::error::Problem),
              (status = 422, description = "invalid_phone, not_mobile", body = crate::error::Problem), (status = 429, body = crate::error::Problem),
              (status = 503, description = "the site's SMS budget is spent for now", body = crate::error::Problem)))]
#[post("/v1/me/phone")]
pub async fn send_code(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientIp,
    body: Json<PhoneRequest>,
) -> ApiResult<HttpResponse> {
    let phone = normalize_phone(&body.phone).ok_or_else(|| {
        ApiError::field(
            "phone",
            "invalid_phone",
            "an Algerian number, e.g. 0551 23 45 67",
        )
    })?;
    // SMS pumping: codes sent to landlines and premium ranges are paid by the site.
    if !is_mobile(&phone) {
        return Err(ApiError::field(
            "phone",
            "not_mobile",
            "codes go to mobile numbers only (05, 06 or 07)",
        ));
    }
    let me = state
        .db(move |conn| crate::auth::ensure_not_banned(conn, user.id))
        .await?;
    if me.email_verified_at.is_none() {
        return Err(ApiError::NotAllowed {
            code: "email_not_confirmed",
            detail: "confirm your email address before your phone",
        });
    }
    sms_allowance(&state, user.id, &client, &phone).await?;
    let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000));
    let to = phone.clone();
    state
        .tx(move |conn| {
            crate::auth::ensure_not_banned(conn, user.id)?;
            if phones::confirmed_elsewhere(conn, &to, user.id)? {
                return Err(ApiError::Conflict {
                    code: "phone_taken",
                    detail: "another account has confirmed this number".into(),
                });
            }
            let u = users::find_user(conn, user.id)?;
            let expires = souk_store::now() + chrono::Duration::minutes(CODE_MINUTES);
            phones::new_code(conn, user.id, &to, &code_hash(user.id, &to, &code), expires)?;
            let lang = Language::parse(&u.language).unwrap_or_default();
            enqueue_sms(
                conn,
                Sms {
                    to: to.clone(),
                    text: souk_worker::templates::sms_code(lang, &code, CODE_MINUTES),
                },
            )?;
            Ok(())
        })
        .await?;
    state.wake_worker().await;
    Ok(HttpResponse::Accepted().json(CodeSent {
        phone,
        expires_in: CODE_MINUTES * 60,
        resend_after: RESEND_SECS,
    }))
}

/// Confirm your phone with the code of the SMS. Five wrong codes and it is dead.
#[utoipa::path(tag = "accounts", request_body = CodeConfirm, security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 400, body = crate::error::Problem),
              (status = 409, description = "phone_taken: confirmed by another account meanwhile", body = crate::error::Problem)))]
#[post("/v1/me/phone/confirm")]
pub async fn confirm_code(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<CodeConfirm>,
) -> ApiResult<web::Json<Me>> {
    let code = body.into_inner().code.trim().to_string();
    let outcome = state
        .tx(move |conn| {
            let Some(pending) = phones::pending_code(conn, user.id)? else {
                return Ok(Err(invalid_code()));
            };
            // The attempt is taken before the compare (and stays taken though the request
            // fails: the transaction commits), so parallel guesses get five between them.
            if !phones::take_attempt(conn, pending.id, CODE_ATTEMPTS)? {
                return Ok(Err(invalid_code()));
            }
            let expected = code_hash(user.id, &pending.phone, &code);
            if !crate::auth::secret::constant_time_eq(
                expected.as_bytes(),
                pending.code_hash.as_bytes(),
            ) {
                return Ok(Err(invalid_code()));
            }
            phones::confirm(conn, &pending)?;
            Ok(Ok(users::find_user(conn, user.id)?))
        })
        .await?;
    Ok(web::Json(Me::from(outcome?)))
}
