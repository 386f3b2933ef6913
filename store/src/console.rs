//! The moderation console's state: browser sessions of moderators, and claims on the items
//! of the queue (one moderator works an item at a time).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::{console_sessions, moderation_claims};
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = console_sessions)]
pub struct ConsoleSession {
    pub id: i64,
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn open_session(
    conn: &mut DbConn,
    token_hash: &str,
    user_id: i64,
    csrf_token: &str,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    // Sessions that ran out go when a new one opens: the table stays the size of the team.
    diesel::delete(console_sessions::table.filter(console_sessions::expires_at.le(now())))
        .execute(conn)?;
    diesel::insert_into(console_sessions::table)
        .values((
            console_sessions::token_hash.eq(token_hash),
            console_sessions::user_id.eq(user_id),
            console_sessions::csrf_token.eq(csrf_token),
            console_sessions::created_at.eq(now()),
            console_sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The live session of a cookie's token hash.
pub fn find_session(conn: &mut DbConn, token_hash: &str) -> StoreResult<Option<ConsoleSession>> {
    Ok(console_sessions::table
        .filter(console_sessions::token_hash.eq(token_hash))
        .filter(console_sessions::expires_at.gt(now()))
        .select(ConsoleSession::as_select())
        .first(conn)
        .optional()?)
}

pub fn close_session(conn: &mut DbConn, token_hash: &str) -> StoreResult<()> {
    diesel::delete(console_sessions::table.filter(console_sessions::token_hash.eq(token_hash)))
        .execute(conn)?;
    Ok(())
}

/// Ends every console session of a user (banned, role taken away).
pub fn close_sessions_of(conn: &mut DbConn, user_id: i64) -> StoreResult<usize> {
    Ok(
        diesel::delete(console_sessions::table.filter(console_sessions::user_id.eq(user_id)))
            .execute(conn)?,
    )
}

/// Who holds the claim on `item`, while it lasts.
pub fn claim_holder(conn: &mut DbConn, item: &str) -> StoreResult<Option<i64>> {
    Ok(moderation_claims::table
        .find(item)
        .filter(moderation_claims::expires_at.gt(now()))
        .select(moderation_claims::moderator_id)
        .first(conn)
        .optional()?)
}

/// Claims `item` for `moderator` until `until`, unless another moderator holds it: the
/// holder either way. Safe against a concurrent claim: the row is inserted or taken over in
/// one statement each, never deleted and re-made.
pub fn claim(
    conn: &mut DbConn,
    item: &str,
    moderator: i64,
    until: NaiveDateTime,
) -> StoreResult<i64> {
    // `ON CONFLICT DO NOTHING`: a concurrent claim's violation would abort the transaction.
    let sql = match conn {
        DbConn::Pg(_) => "INSERT INTO moderation_claims (item, moderator_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        DbConn::Sqlite(_) => "INSERT INTO moderation_claims (item, moderator_id, expires_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    };
    let inserted = diesel::sql_query(sql)
        .bind::<diesel::sql_types::Text, _>(item)
        .bind::<diesel::sql_types::BigInt, _>(moderator)
        .bind::<diesel::sql_types::Timestamp, _>(until)
        .execute(conn)?;
    if inserted == 1 {
        return Ok(moderator);
    }
    // Ours already (extended), or run out (taken over); another's live claim stays.
    let taken = diesel::update(
        moderation_claims::table.find(item).filter(
            moderation_claims::moderator_id
                .eq(moderator)
                .or(moderation_claims::expires_at.le(now())),
        ),
    )
    .set((
        moderation_claims::moderator_id.eq(moderator),
        moderation_claims::expires_at.eq(until),
    ))
    .execute(conn)?;
    if taken == 1 {
        return Ok(moderator);
    }
    Ok(claim_holder(conn, item)?.unwrap_or(moderator))
}

/// Spends `moderator`'s live claim on `item` for a decision: `false` when they do not hold
/// it (another does, it ran out, or a decision spent it already: a double submit decides
/// once).
pub fn spend_claim(conn: &mut DbConn, item: &str, moderator: i64) -> StoreResult<bool> {
    let n = diesel::delete(
        moderation_claims::table
            .find(item)
            .filter(moderation_claims::moderator_id.eq(moderator))
            .filter(moderation_claims::expires_at.gt(now())),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// Items claimed now, with their holders (for the queue page).
pub fn live_claims(conn: &mut DbConn, items: &[String]) -> StoreResult<Vec<(String, i64)>> {
    Ok(moderation_claims::table
        .filter(moderation_claims::item.eq_any(items))
        .filter(moderation_claims::expires_at.gt(now()))
        .select((moderation_claims::item, moderation_claims::moderator_id))
        .load(conn)?)
}
