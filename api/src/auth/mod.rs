//! Accounts and sessions: argon2id passwords, short-lived JWT access tokens, rotated
//! refresh tokens revocable by family, emailed one-time tokens.

pub mod extractor;
pub mod generations;
pub mod jwt;
pub mod password;
pub mod secret;

pub use extractor::AuthUser;

/// Refuses a banned account (a ban revokes refresh tokens; an access token lives on for at
/// most its short lifetime, so writes check too).
pub fn ensure_not_banned(
    conn: &mut souk_store::DbConn,
    user_id: i64,
) -> Result<souk_store::users::User, crate::error::ApiError> {
    let u = souk_store::users::find_user(conn, user_id)?;
    // An access token of a deleted account lives a few minutes more: it writes nothing.
    if u.deleted_at.is_some() {
        return Err(crate::error::ApiError::Unauthorized {
            code: "account_deleted",
            detail: "this account was deleted",
        });
    }
    if u.banned_at.is_some() {
        return Err(crate::error::ApiError::Banned(
            u.banned_reason.clone().unwrap_or_default(),
        ));
    }
    Ok(u)
}

/// Refuses an account without a confirmed phone where the operator requires one
/// (`SOUK_REQUIRE_PHONE_TO_POST`, `SOUK_REQUIRE_PHONE_TO_CONTACT`).
pub fn ensure_phone_if(
    required: bool,
    user: &souk_store::users::User,
) -> Result<(), crate::error::ApiError> {
    if required && user.phone_verified_at.is_none() {
        return Err(crate::error::ApiError::NotAllowed {
            code: "phone_not_confirmed",
            detail: "confirm your phone first (POST /v1/me/phone)",
        });
    }
    Ok(())
}
