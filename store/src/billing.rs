//! Paying for a product: the units a store plan includes go first, the rest is spent from the
//! credit ledger, in the caller's transaction. Every purchase leaves one ledger row, even when
//! the plan covered it all (amount 0): the row carries the idempotency key, so a retried
//! request finds its purchase instead of buying again. Keys the server makes itself (a plan's
//! renewal, a scheduled run, a payment) contain `/`, which client keys cannot, so a client
//! cannot take one first.

use crate::credits::{self, Movement, NewMovement};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::plans::{self, Included};

pub struct Purchase<'a> {
    pub user_id: i64,
    /// The ledger's reason: bump, featured, urgent, plan, ...
    pub reason: &'a str,
    pub listing_id: Option<i64>,
    /// Units bought (bumps, days) and the price of each in credits.
    pub units: i64,
    pub unit_price: i64,
    /// The plan quota that covers these units first, if any.
    pub included: Option<Included>,
    pub idempotency_key: &'a str,
}

pub struct Paid {
    pub movement: Movement,
    /// Units the plan covered.
    pub from_plan: i64,
    /// Credits spent.
    pub charged: i64,
    /// The key had bought before: nothing was taken now (`movement` is that purchase).
    pub replayed: bool,
}

/// Pays for `p`. `Conflict("insufficient_credits")` when the ledger cannot cover the rest
/// (nothing is taken from the plan either: the transaction rolls back);
/// `Conflict("idempotency_key_reused")` when the key bought something else;
/// `Conflict("ledger_race")` when another movement landed first (retry the transaction).
pub fn pay(conn: &mut DbConn, p: &Purchase) -> StoreResult<Paid> {
    if let Some(done) = credits::by_key(conn, p.user_id, p.idempotency_key)? {
        if done.reason != p.reason || done.listing_id != p.listing_id {
            return Err(StoreError::Conflict("idempotency_key_reused"));
        }
        return Ok(Paid {
            movement: done,
            from_plan: 0,
            charged: 0,
            replayed: true,
        });
    }
    let from_plan = match p.included {
        Some(what) => plans::take_included(conn, p.user_id, what, p.units)?,
        None => 0,
    };
    let charged = (p.units - from_plan) * p.unit_price;
    let done = credits::append(
        conn,
        &NewMovement {
            user_id: p.user_id,
            amount: -charged,
            reason: p.reason,
            listing_id: p.listing_id,
            granted_by: None,
            idempotency_key: p.idempotency_key,
        },
    )?;
    Ok(Paid {
        movement: done.movement,
        from_plan,
        charged,
        replayed: false,
    })
}
