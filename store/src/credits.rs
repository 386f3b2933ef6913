//! The credit ledger: append-only, one row per movement, the balance the last row's. Two rules
//! are the database's own: a movement takes the account's next sequence number (unique, so of
//! two spends racing for one balance only one lands: the other gets `Conflict("ledger_race")`
//! and is retried by the caller against the new balance), and the balance after it is never
//! negative (a check constraint behind the check here). An idempotency key, unique per
//! account, makes a retried request a replay of the movement it already made.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::credit_ledger;
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = credit_ledger)]
pub struct Movement {
    pub id: i64,
    pub user_id: i64,
    pub seq: i64,
    /// Positive for credits in (grants, payments), negative for spending.
    pub amount: i64,
    pub balance_after: i64,
    pub reason: String,
    pub listing_id: Option<i64>,
    pub granted_by: Option<i64>,
    pub idempotency_key: String,
    pub created_at: NaiveDateTime,
}

/// A movement to append.
pub struct NewMovement<'a> {
    pub user_id: i64,
    pub amount: i64,
    pub reason: &'a str,
    pub listing_id: Option<i64>,
    pub granted_by: Option<i64>,
    pub idempotency_key: &'a str,
}

/// What appending gave: the movement, and whether it was made before (a replay of the key).
pub struct Appended {
    pub movement: Movement,
    pub replayed: bool,
}

fn last(conn: &mut DbConn, user_id: i64) -> StoreResult<Option<Movement>> {
    Ok(credit_ledger::table
        .filter(credit_ledger::user_id.eq(user_id))
        .order(credit_ledger::seq.desc())
        .select(Movement::as_select())
        .first(conn)
        .optional()?)
}

pub fn balance(conn: &mut DbConn, user_id: i64) -> StoreResult<i64> {
    Ok(last(conn, user_id)?.map_or(0, |m| m.balance_after))
}

/// The account's latest movements, newest first.
pub fn movements(conn: &mut DbConn, user_id: i64, limit: i64) -> StoreResult<Vec<Movement>> {
    Ok(credit_ledger::table
        .filter(credit_ledger::user_id.eq(user_id))
        .order(credit_ledger::seq.desc())
        .limit(limit)
        .select(Movement::as_select())
        .load(conn)?)
}

/// The movement an idempotency key already made, if any.
pub fn by_key(conn: &mut DbConn, user_id: i64, key: &str) -> StoreResult<Option<Movement>> {
    Ok(credit_ledger::table
        .filter(credit_ledger::user_id.eq(user_id))
        .filter(credit_ledger::idempotency_key.eq(key))
        .select(Movement::as_select())
        .first(conn)
        .optional()?)
}

/// Appends a movement inside the caller's transaction. `Conflict("insufficient_credits")`
/// when it would take the balance below zero; `Conflict("ledger_race")` when another
/// movement of the account landed first (retry the whole transaction); a key already used
/// returns its movement with `replayed` (checked first, so nothing else is read or written).
pub fn append(conn: &mut DbConn, m: &NewMovement) -> StoreResult<Appended> {
    if let Some(done) = by_key(conn, m.user_id, m.idempotency_key)? {
        return Ok(Appended {
            movement: done,
            replayed: true,
        });
    }
    let (seq, balance) = last(conn, m.user_id)?.map_or((0, 0), |l| (l.seq, l.balance_after));
    let balance_after = balance + m.amount;
    if balance_after < 0 {
        return Err(StoreError::Conflict("insufficient_credits"));
    }
    diesel::insert_into(credit_ledger::table)
        .values((
            credit_ledger::user_id.eq(m.user_id),
            credit_ledger::seq.eq(seq + 1),
            credit_ledger::amount.eq(m.amount),
            credit_ledger::balance_after.eq(balance_after),
            credit_ledger::reason.eq(m.reason),
            credit_ledger::listing_id.eq(m.listing_id),
            credit_ledger::granted_by.eq(m.granted_by),
            credit_ledger::idempotency_key.eq(m.idempotency_key),
            credit_ledger::created_at.eq(now()),
        ))
        .execute(conn)
        .map_err(|e| StoreError::unique_as(e, "ledger_race"))?;
    let movement = credit_ledger::table
        .filter(credit_ledger::user_id.eq(m.user_id))
        .filter(credit_ledger::seq.eq(seq + 1))
        .select(Movement::as_select())
        .first(conn)?;
    // Every movement reaches the owner's live stream, whatever caused it (a purchase, a
    // grant, a bump); the streams find it at once if woken, or at their next heartbeat.
    let event = serde_json::json!({
        "balance": movement.balance_after,
        "amount": movement.amount,
        "reason": movement.reason,
        "listing_id": movement.listing_id,
    });
    crate::events::record(conn, m.user_id, "credits.changed", &event.to_string())?;
    Ok(Appended {
        movement,
        replayed: false,
    })
}
