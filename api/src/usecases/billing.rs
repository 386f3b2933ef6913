//! What every paid route shares: the idempotency key's form, the retry of a transaction that
//! lost a race for the account's ledger, and the problems a purchase can end in.

use souk_store::{listings, DbConn, StoreError};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Attempts when another movement of the same account lands first.
const RACE_ATTEMPTS: usize = 3;

pub fn idempotency_key(key: &str) -> ApiResult<String> {
    let ok = (8..=100).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'));
    if !ok {
        return Err(ApiError::field(
            "idempotency_key",
            "invalid",
            "8–100 characters: letters, digits, - _ : .",
        ));
    }
    Ok(key.to_string())
}

/// Runs `f` in a write transaction, again (up to 3 times) when another movement of the same
/// account landed first: the next try reads the new balance.
pub async fn with_ledger<T, F>(state: &AppState, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: Fn(&mut DbConn) -> ApiResult<T> + Clone + Send + 'static,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match state.tx(f.clone()).await {
            Err(ApiError::Conflict {
                code: "ledger_race",
                ..
            }) if attempt < RACE_ATTEMPTS => continue,
            other => return other,
        }
    }
}

/// An idempotency key already used for another movement (another ad, a grant, another
/// amount): the request is refused rather than answered with that movement.
/// The idempotent replay check of every paid request, in one place: the ledger movement
/// `key` already made for `user`, when it was this same request (`same`); 422
/// `idempotency_key_reused` when the key made another; `None` when it is new.
pub fn earlier_movement(
    c: &mut DbConn,
    user: i64,
    key: &str,
    same: impl Fn(&souk_store::credits::Movement) -> bool,
) -> ApiResult<Option<souk_store::credits::Movement>> {
    match souk_store::credits::by_key(c, user, key)? {
        Some(done) if same(&done) => Ok(Some(done)),
        Some(_) => Err(key_reused()),
        None => Ok(None),
    }
}

pub fn key_reused() -> ApiError {
    ApiError::field(
        "idempotency_key",
        "idempotency_key_reused",
        "this key was used for another request; send a new key for a new request",
    )
}

pub fn spend_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict("idempotency_key_reused") => key_reused(),
        StoreError::Conflict("insufficient_credits") => ApiError::PaymentRequired {
            code: "insufficient_credits",
            detail: "not enough credits for this; buy or ask for more".into(),
        },
        other => other.into(),
    }
}

/// 409 `not_active` unless the ad is active (only an active ad can be `what`: bumped, ...).
pub fn ensure_active(l: &listings::Listing, what: &str) -> ApiResult<()> {
    if l.status()? != souk_domain::ListingStatus::Active {
        return Err(ApiError::Conflict {
            code: "not_active",
            detail: format!("only an active ad can be {what}; renew it first"),
        });
    }
    Ok(())
}
