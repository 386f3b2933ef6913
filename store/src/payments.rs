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
    pub register_attempts: i32,
    pub checked_at: NaiveDateTime,
    pub idempotency_key: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The provider's page for this order, once registered (the checkout sends the buyer on).
    pub payment_url: Option<String>,
    /// How often the provider was asked about the order (bounded: `MAX_CHECKS`).
    pub checks: i32,
    /// The confirmation job last queued for it, so a second is not queued beside it.
    pub confirm_job_id: Option<i64>,
}

/// An account's pending orders at once: each may be registered at the provider and polled.
pub const MAX_OPEN_ORDERS: i64 = 3;
/// Times the provider is asked about one order; still unpaid then, it has failed (a SATIM
/// payment page lives 20 minutes, and the checks span more than that).
pub const MAX_CHECKS: i32 = 12;

/// The ledger key of an order's credit (`/`: a key no client can send).
pub fn ledger_key(order_id: i64) -> String {
    format!("payment/{order_id}")
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
            po::checked_at.eq(t),
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
    po::table
        .find(id)
        .select(Order::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)
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

/// The most registrations one order may try (each has its own order number at the provider).
pub const MAX_REGISTER_ATTEMPTS: i32 = 9;

/// Claims the registration of a pending, unregistered order: returns the attempt's number, or
/// `None` when another request registers it now (claimed less than `stale_secs` ago), it is
/// registered already, or it has tried too often.
pub fn claim_registration(conn: &mut DbConn, id: i64, stale_secs: i64) -> StoreResult<Option<i32>> {
    let t = now();
    let n = diesel::update(
        po::table
            .find(id)
            .filter(po::status.eq("pending"))
            .filter(po::provider_ref.is_null())
            .filter(po::register_attempts.lt(MAX_REGISTER_ATTEMPTS))
            .filter(
                po::register_attempts
                    .eq(0)
                    .or(po::updated_at.le(t - chrono::Duration::seconds(stale_secs))),
            ),
    )
    .set((
        po::register_attempts.eq(po::register_attempts + 1),
        po::updated_at.eq(t),
    ))
    .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    Ok(Some(find(conn, id)?.register_attempts))
}

/// Pending orders of an account.
pub fn count_open(conn: &mut DbConn, user_id: i64) -> StoreResult<i64> {
    Ok(po::table
        .filter(po::user_id.eq(user_id))
        .filter(po::status.eq("pending"))
        .count()
        .get_result(conn)?)
}

/// The provider's id of the order and its payment page, once registered there (only the first
/// registration sticks).
pub fn set_provider_ref(
    conn: &mut DbConn,
    id: i64,
    reference: &str,
    payment_url: &str,
) -> StoreResult<bool> {
    let n = diesel::update(po::table.find(id).filter(po::provider_ref.is_null()))
        .set((
            po::provider_ref.eq(Some(reference)),
            po::payment_url.eq(Some(payment_url)),
            po::updated_at.eq(now()),
        ))
        .execute(conn)
        .map_err(|e| StoreError::unique_as(e, "provider_ref_taken"))?;
    Ok(n == 1)
}

/// The local test provider's record that its buyer paid.
pub fn replace_provider_ref(conn: &mut DbConn, id: i64, reference: &str) -> StoreResult<()> {
    diesel::update(po::table.find(id))
        .set((
            po::provider_ref.eq(Some(reference)),
            po::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Moves a pending order to `status` (paid, failed); `false` when it was not pending.
pub fn settle(conn: &mut DbConn, id: i64, status: &str) -> StoreResult<bool> {
    let n = diesel::update(po::table.find(id).filter(po::status.eq("pending")))
        .set((po::status.eq(status), po::updated_at.eq(now())))
        .execute(conn)?;
    Ok(n == 1)
}

/// Counts one more question to the provider about the order; answers the count.
pub fn count_check(conn: &mut DbConn, id: i64) -> StoreResult<i32> {
    diesel::update(po::table.find(id))
        .set((po::checks.eq(po::checks + 1), po::checked_at.eq(now())))
        .returning(po::checks)
        .get_result(conn)
        .map_err(Into::into)
}

/// Records the confirmation job queued for the order.
pub fn set_confirm_job(conn: &mut DbConn, id: i64, job_id: i64) -> StoreResult<()> {
    diesel::update(po::table.find(id))
        .set(po::confirm_job_id.eq(Some(job_id)))
        .execute(conn)?;
    Ok(())
}

/// Fails pending orders never registered at the provider and made before `made_before`: their
/// buyer never opened the checkout (its link has expired). Answers how many.
pub fn fail_unopened(conn: &mut DbConn, made_before: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::update(
        po::table
            .filter(po::status.eq("pending"))
            .filter(po::provider_ref.is_null())
            .filter(po::created_at.lt(made_before)),
    )
    .set((po::status.eq("failed"), po::updated_at.eq(now())))
    .execute(conn)?)
}

/// Pending orders registered with their provider, made since `made_since`, not asked about
/// since `unasked_since` and asked fewer than `MAX_CHECKS` times, the longest unasked first;
/// each is marked asked now. The worker asks the provider about them in case the buyer never
/// came back.
pub fn take_to_recheck(
    conn: &mut DbConn,
    made_since: NaiveDateTime,
    unasked_since: NaiveDateTime,
    limit: i64,
) -> StoreResult<Vec<Order>> {
    let due: Vec<Order> = po::table
        .filter(po::status.eq("pending"))
        .filter(po::provider_ref.is_not_null())
        .filter(po::created_at.ge(made_since))
        .filter(po::checked_at.le(unasked_since))
        .filter(po::checks.lt(MAX_CHECKS))
        .order(po::checked_at.asc())
        .limit(limit)
        .select(Order::as_select())
        .load(conn)?;
    let ids: Vec<i64> = due.iter().map(|o| o.id).collect();
    if !ids.is_empty() {
        diesel::update(po::table.filter(po::id.eq_any(&ids)))
            .set(po::checked_at.eq(now()))
            .execute(conn)?;
    }
    Ok(due)
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
