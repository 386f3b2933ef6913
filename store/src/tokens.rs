//! Refresh tokens (rotated, revocable by family) and one-time tokens (email verification,
//! password reset). Only SHA-256 hashes of tokens are stored: a leaked table grants nothing.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::{one_time_tokens, refresh_tokens, users};
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshToken {
    pub id: i64,
    pub user_id: i64,
    pub family_id: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert_refresh(
    conn: &mut DbConn,
    user_id: i64,
    family_id: &str,
    token_hash: &str,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::family_id.eq(family_id),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::created_at.eq(now()),
            refresh_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find_refresh(conn: &mut DbConn, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshToken::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a token used, only if it was still unused. Returns false when another request used
/// it first: the caller must then treat the presentation as a replay.
pub fn mark_refresh_used(conn: &mut DbConn, id: i64) -> StoreResult<bool> {
    let n = diesel::update(
        refresh_tokens::table
            .find(id)
            .filter(refresh_tokens::used_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(now()))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn revoke_family(conn: &mut DbConn, family_id: &str) -> StoreResult<usize> {
    Ok(diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now()))
    .execute(conn)?)
}

/// Ends every session of a user (a ban, a deletion, a password reset): refresh tokens revoked,
/// and the account's token generation moved on, so access tokens issued before are refused by
/// every API process within a second (`revoked_since`). Returns the new generation.
pub fn revoke_all_for_user(conn: &mut DbConn, user_id: i64) -> StoreResult<i64> {
    let t = now();
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(t))
    .execute(conn)?;
    // The moderation console's sessions end with the others (ban, password reset, deletion).
    crate::console::close_sessions_of(conn, user_id)?;
    diesel::update(users::table.find(user_id))
        .set((
            users::token_generation.eq(users::token_generation + 1),
            users::tokens_revoked_at.eq(t),
        ))
        .execute(conn)?;
    generation(conn, user_id)
}

/// The current token generation of a user, written into each access token issued.
pub fn generation(conn: &mut DbConn, user_id: i64) -> StoreResult<i64> {
    Ok(users::table
        .find(user_id)
        .select(users::token_generation)
        .first(conn)?)
}

/// The users whose sessions were ended since `since`, with their current generation, newest
/// first, at most `limit`. Ordered and limited by the index (users_tokens_revoked, holding only
/// accounts whose sessions were ever ended), so a generic plan cannot read more; the
/// query-plan test flagged the plain range as a third of the users.
pub fn revoked_since(
    conn: &mut DbConn,
    since: NaiveDateTime,
    limit: i64,
) -> StoreResult<Vec<(i64, i64)>> {
    Ok(users::table
        .filter(users::tokens_revoked_at.gt(since))
        .order(users::tokens_revoked_at.desc())
        .limit(limit)
        .select((users::id, users::token_generation))
        .load(conn)?)
}

/// What a one-time token is for; a token of one purpose never works for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
    /// The one-click renewal link of an expiry email: `<listing id>.<random>`.
    RenewListing,
    /// The unsubscribe link of an alert email: `s<saved search id>.<random>` or `p.<random>`
    /// (price-drop alerts).
    Unsubscribe,
    /// A live-stream ticket (`POST /v1/me/events/ticket`), for clients that cannot send a
    /// bearer token (EventSource): `<session generation>.<random>`, a minute, single use.
    EventsTicket,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
            TokenPurpose::RenewListing => "renew_listing",
            TokenPurpose::Unsubscribe => "unsubscribe",
            TokenPurpose::EventsTicket => "events_ticket",
        }
    }
}

pub fn insert_one_time(
    conn: &mut DbConn,
    user_id: i64,
    purpose: TokenPurpose,
    token_hash: &str,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(one_time_tokens::table)
        .values((
            one_time_tokens::user_id.eq(user_id),
            one_time_tokens::purpose.eq(purpose.as_str()),
            one_time_tokens::token_hash.eq(token_hash),
            one_time_tokens::created_at.eq(now()),
            one_time_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Uses up every unused token of `purpose` for a user (after a reset, older reset mails die).
pub fn consume_all(conn: &mut DbConn, user_id: i64, purpose: TokenPurpose) -> StoreResult<usize> {
    Ok(diesel::update(
        one_time_tokens::table
            .filter(one_time_tokens::user_id.eq(user_id))
            .filter(one_time_tokens::purpose.eq(purpose.as_str()))
            .filter(one_time_tokens::used_at.is_null()),
    )
    .set(one_time_tokens::used_at.eq(now()))
    .execute(conn)?)
}

/// Uses up a one-time token. Returns its user when the token exists, has this purpose, is
/// unexpired and unused; the single conditional UPDATE makes a second use fail even when
/// two requests race.
pub fn consume_one_time(
    conn: &mut DbConn,
    purpose: TokenPurpose,
    token_hash: &str,
) -> StoreResult<Option<i64>> {
    let t = now();
    let user: Option<i64> = diesel::update(
        one_time_tokens::table
            .filter(one_time_tokens::token_hash.eq(token_hash))
            .filter(one_time_tokens::purpose.eq(purpose.as_str()))
            .filter(one_time_tokens::used_at.is_null())
            .filter(one_time_tokens::expires_at.gt(t)),
    )
    .set(one_time_tokens::used_at.eq(t))
    .returning(one_time_tokens::user_id)
    .get_result(conn)
    .optional()?;
    Ok(user)
}

/// The user of a usable (unused, unexpired) one-time token, without using it up: lets a
/// caller refuse a bad token before doing costly work (hashing a new password).
pub fn peek_one_time(
    conn: &mut DbConn,
    purpose: TokenPurpose,
    token_hash: &str,
) -> StoreResult<Option<i64>> {
    Ok(one_time_tokens::table
        .filter(one_time_tokens::token_hash.eq(token_hash))
        .filter(one_time_tokens::purpose.eq(purpose.as_str()))
        .filter(one_time_tokens::used_at.is_null())
        .filter(one_time_tokens::expires_at.gt(now()))
        .select(one_time_tokens::user_id)
        .first(conn)
        .optional()?)
}

/// Creates a one-time token `<subject>.<random>` for `user_id` and stores its hash; the subject
/// (a listing id, say) tells the consumer what the token is about without a lookup table.
pub fn mint(
    conn: &mut DbConn,
    user_id: i64,
    purpose: TokenPurpose,
    subject: &str,
    expires_at: NaiveDateTime,
) -> StoreResult<String> {
    let token = format!("{subject}.{}", crate::secret::random_token());
    insert_one_time(
        conn,
        user_id,
        purpose,
        &crate::secret::token_hash(&token),
        expires_at,
    )?;
    Ok(token)
}
