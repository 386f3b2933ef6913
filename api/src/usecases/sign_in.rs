//! Checking a password at sign-in, for the API (`POST /v1/auth/login`) and the moderation
//! console alike: the same limits per client and per address, the same growing wait after
//! failures on an address (skipped from a known device), the same answer whether or not the
//! address has an account.

use souk_domain::account::{canonical_email, login_delay_secs, normalize_email};
use souk_store::users::{self, User};

use crate::auth::password::{dummy_hash, verify_password};
use crate::auth::secret::token_hash;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The limiter key of a mailbox's failed logins (whether or not it has an account, so the
/// answer tells nothing about that; per mailbox, so aliases share it).
pub fn login_failures_key(email: &str) -> String {
    format!("login-fail:{}", canonical_email(email))
}

fn login_slot_key(email: &str) -> String {
    format!("login-slot:{}", canonical_email(email))
}

/// Failures a device token may see before it stops skipping the wait.
const DEVICE_FAILURES: u32 = 5;

fn device_failures_key(token: &str) -> String {
    format!("login-fail-dev:{}", token_hash(token))
}

/// Refuses a login attempt on `email` while the address must wait after its failures. Once
/// the wait is over, one attempt at a time gets through until its outcome is known: a botnet
/// firing together when the wait ends gets one guess, not one per bot.
async fn check_address_delay(state: &AppState, email: &str) -> ApiResult<()> {
    let (failures, last_ms) = state.limiter.failures(&login_failures_key(email)).await;
    let wait = login_delay_secs(failures);
    if wait == 0 {
        return Ok(());
    }
    let ready_at_ms = last_ms + wait * 1000;
    let now_ms = chrono::Utc::now().timestamp_millis().max(0) as u64;
    if now_ms < ready_at_ms {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: (ready_at_ms - now_ms).div_ceil(1000),
        });
    }
    // Held until this attempt's answer (both outcomes release it), not only for the wait:
    // under load a hash can outlast a one-second wait, and a second guess would run beside it.
    state
        .limiter
        .claim(
            &login_slot_key(email),
            std::time::Duration::from_secs(wait.max(LOGIN_SLOT_HOLD_SECS)),
        )
        .await
}

/// The longest one attempt on a waiting address may hold its slot (a stopped process's slot
/// frees after it).
const LOGIN_SLOT_HOLD_SECS: u64 = 60;

/// After a successful login or a password reset: the address's failures stop counting.
pub async fn end_address_wait(state: &AppState, email: &str) {
    state
        .limiter
        .clear_failures(&login_failures_key(email))
        .await;
    state.limiter.release(&login_slot_key(email)).await;
}

/// The account of `email` when `password` is its password, within the limits of `client`
/// (`ClientIp::key`) and of the address; a banned account is refused, told only to whoever
/// knows the password.
pub async fn check_password(
    state: &AppState,
    client: &str,
    email: &str,
    password: String,
    device_token: Option<&str>,
) -> ApiResult<User> {
    let user = check_credentials(state, client, email, password, device_token).await?;
    // Told only to whoever knows the password.
    if user.banned_at.is_some() {
        let reason = user.banned_reason.unwrap_or_default();
        return Err(ApiError::Banned(match user.banned_until {
            Some(until) => format!("{reason} (until {} UTC)", until.format("%Y-%m-%d %H:%M")),
            None => reason,
        }));
    }
    Ok(user)
}

/// `check_password` that lets a banned account through: for its appeal, which needs proof
/// that the appellant holds the account, and nothing more.
pub async fn check_credentials(
    state: &AppState,
    client: &str,
    email: &str,
    password: String,
    device_token: Option<&str>,
) -> ApiResult<User> {
    let email = normalize_email(email).unwrap_or_default();
    // Per address and client, and per client: one client can guess neither one password nor many.
    let minute = std::time::Duration::from_secs(60);
    let per_min = state.config.limits.login_per_minute;
    let limiter = &state.limiter;
    limiter
        .hit(&format!("login:{email}:{client}"), per_min, minute)
        .await?;
    limiter
        .hit(&format!("login-ip:{client}"), per_min * 5, minute)
        .await?;
    let lookup = email.clone();
    let user = state
        .db(move |c| Ok(users::find_user_by_mailbox(c, &lookup)?))
        .await?;
    // Per mailbox, whatever the client: many clients cannot guess one password either.
    let device = match (&user, device_token) {
        (Some(u), Some(t))
            if t.len() <= 2048 && state.jwt.is_known_device(t, u.id, &u.password_hash) =>
        {
            let (n, _) = limiter.failures(&device_failures_key(t)).await;
            (n < DEVICE_FAILURES).then(|| t.to_string())
        }
        _ => None,
    };
    if device.is_none() {
        check_address_delay(state, &email).await?;
    }
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_string());
    let ok = match state
        .passwords
        .run(move || verify_password(&password, &hash))
        .await
    {
        Ok(ok) => ok,
        Err(e) => {
            limiter.release(&login_slot_key(&email)).await;
            return Err(e);
        }
    };
    let user = match user {
        Some(u) if ok => u,
        _ => {
            limiter.record_failure(&login_failures_key(&email)).await;
            if let Some(t) = &device {
                limiter.record_failure(&device_failures_key(t)).await;
            }
            limiter.release(&login_slot_key(&email)).await;
            return Err(ApiError::Unauthorized {
                code: "invalid_credentials",
                detail: "wrong email or password",
            });
        }
    };
    end_address_wait(state, &email).await;
    Ok(user)
}
