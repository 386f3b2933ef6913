//! Credit grants by admins: from `POST /v1/admin/credits` and from `souk-api grant-credits`
//! alike, in the ledger (an idempotency key each) and in the moderation log.

use souk_store::credits::{self, Appended, NewMovement};
use souk_store::DbConn;

use crate::error::{ApiError, ApiResult};
use crate::usecases::billing::earlier_movement;

/// The most one grant may give (a slip of the keyboard should not mint a fortune).
pub const MAX_GRANT: i64 = 10_000_000;

/// A grant inside the caller's transaction, logged with the moderation actions.
pub fn grant_in(
    c: &mut DbConn,
    target: i64,
    amount: i64,
    reason: &str,
    key: &str,
    by: Option<i64>,
) -> ApiResult<Appended> {
    let account = souk_store::users::find_user(c, target)?;
    if account.deleted_at.is_some() {
        return Err(ApiError::NotFound);
    }
    earlier_movement(c, target, key, |d| {
        d.reason == "grant" && d.amount == amount
    })?;
    let done = credits::append(
        c,
        &NewMovement {
            user_id: target,
            amount,
            reason: "grant",
            listing_id: None,
            granted_by: by,
            idempotency_key: key,
        },
    )?;
    if !done.replayed {
        souk_store::moderation::log(
            c,
            by,
            &format!("grant_credits:{amount}"),
            "user",
            target,
            reason,
        )?;
    }
    Ok(done)
}
