//! Credits bought through a payment provider: an order is written before the buyer is sent to
//! the provider, and credited once, when the provider itself confirms it (see the worker's
//! `payments`). The credit's ledger key names the order, so a second confirmation is a replay.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::payment_orders as po;
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = po)]
pub struct Order {
    pub id: i64,
    pub user_id: i64,
    pub provider: String,
    pub provider_ref: Option<String>,
    pub amount: i64,
    pub status: String,
    pub idempotency_key: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The ledger key of an order's credit.
pub fn ledger_key(order_id: i64) -> String {
    format!("payment:{order_id}")
}

/// A new pending order, or the one this key already made (`true` when new).
pub fn create(
    conn: &mut DbConn,
    user_id: i64,
    provider: &str,
    amount: i64,
    key: &str,
) -> StoreResult<(Order, bool)> {
    if let Some(o) = by_key(conn, user_id, key)? {
        return Ok((o, false));
    }
    let t = now();
    diesel::insert_into(po::table)
        .values((
            po::user_id.eq(user_id),
            po::provider.eq(provider),
            po::amount.eq(amount),
            po::status.eq("pending"),
            po::idempotency_key.eq(key),
            po::created_at.eq(t),
            po::updated_at.eq(t),
        ))
        .execute(conn)
        .map_err(|e| StoreError::unique_as(e, "ledger_race"))?;
    Ok((
        by_key(conn, user_id, key)?.ok_or(StoreError::NotFound)?,
        true,
    ))
}

pub fn by_key(conn: &mut DbConn, user_id: i64, key: &str) -> StoreResult<Option<Order>> {
    Ok(po::table
        .filter(po::user_id.eq(user_id))
        .filter(po::idempotency_key.eq(key))
        .select(Order::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Order> {
    Ok(po::table.find(id).select(Order::as_select()).first(conn)?)
}

pub fn by_provider_ref(
    conn: &mut DbConn,
    provider: &str,
    reference: &str,
) -> StoreResult<Option<Order>> {
    Ok(po::table
        .filter(po::provider.eq(provider))
        .filter(po::provider_ref.eq(reference))
        .select(Order::as_select())
        .first(conn)
        .optional()?)
}

/// The provider's id of the order, once registered there.
pub fn set_provider_ref(conn: &mut DbConn, id: i64, reference: &str) -> StoreResult<()> {
    diesel::update(po::table.find(id))
        .set((
            po::provider_ref.eq(Some(reference)),
            po::updated_at.eq(now()),
        ))
        .execute(conn)
        .map_err(|e| StoreError::unique_as(e, "provider_ref_taken"))?;
    Ok(())
}

/// Moves a pending order to `status` (paid, failed); `false` when it was not pending.
pub fn settle(conn: &mut DbConn, id: i64, status: &str) -> StoreResult<bool> {
    let n = diesel::update(po::table.find(id).filter(po::status.eq("pending")))
        .set((po::status.eq(status), po::updated_at.eq(now())))
        .execute(conn)?;
    Ok(n == 1)
}

/// Pending orders registered with their provider between `from` and `to` (creation time):
/// the worker asks the provider about them in case the buyer never came back.
pub fn pending_between(
    conn: &mut DbConn,
    from: NaiveDateTime,
    to: NaiveDateTime,
    limit: i64,
) -> StoreResult<Vec<Order>> {
    Ok(po::table
        .filter(po::status.eq("pending"))
        .filter(po::provider_ref.is_not_null())
        .filter(po::created_at.ge(from))
        .filter(po::created_at.le(to))
        .order(po::id.asc())
        .limit(limit)
        .select(Order::as_select())
        .load(conn)?)
}

/// The account's latest orders, newest first.
pub fn of_user(conn: &mut DbConn, user_id: i64, limit: i64) -> StoreResult<Vec<Order>> {
    Ok(po::table
        .filter(po::user_id.eq(user_id))
        .order(po::id.desc())
        .limit(limit)
        .select(Order::as_select())
        .load(conn)?)
}
