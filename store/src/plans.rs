//! Store plans: one subscription row per account, its quotas copied from the plan when a
//! period starts. Every use of a quota is one conditional update (`used + n <= included`), so
//! two requests racing for the last unit cannot both get it; a check constraint backs it.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use souk_domain::visibility::Plan;

use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::plan_subscriptions as ps;
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = ps)]
pub struct Subscription {
    pub id: i64,
    pub user_id: i64,
    pub plan: String,
    pub price: i64,
    pub ads_included: i32,
    pub bumps_included: i32,
    pub featured_days_included: i32,
    pub ads_used: i32,
    pub bumps_used: i32,
    pub featured_days_used: i32,
    pub period_no: i64,
    pub period_start: NaiveDateTime,
    pub period_end: NaiveDateTime,
    pub auto_renew: bool,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Subscription {
    /// In a paid period now.
    pub fn is_current(&self, at: NaiveDateTime) -> bool {
        self.status == "active" && self.period_end > at
    }
}

/// A quota a plan includes, besides ads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Included {
    Bumps,
    FeaturedDays,
}

pub fn of_user(conn: &mut DbConn, user_id: i64) -> StoreResult<Option<Subscription>> {
    Ok(ps::table
        .filter(ps::user_id.eq(user_id))
        .select(Subscription::as_select())
        .first(conn)
        .optional()?)
}

/// The account's subscription when in a paid period now.
pub fn current(conn: &mut DbConn, user_id: i64) -> StoreResult<Option<Subscription>> {
    let t = now();
    Ok(of_user(conn, user_id)?.filter(|s| s.is_current(t)))
}

/// Starts a first period of `plan` (or a new one after a lapse, or a change of plan), with
/// fresh quotas. The caller charges the price in the same transaction.
pub fn start(
    conn: &mut DbConn,
    user_id: i64,
    plan: &Plan,
    auto_renew: bool,
) -> StoreResult<Subscription> {
    let t = now();
    let end = t + Duration::days(plan.period_days);
    let values = (
        ps::plan.eq(&plan.key),
        ps::price.eq(plan.price),
        ps::ads_included.eq(plan.ads),
        ps::bumps_included.eq(plan.bumps),
        ps::featured_days_included.eq(plan.featured_days),
        ps::ads_used.eq(0),
        ps::bumps_used.eq(0),
        ps::featured_days_used.eq(0),
        ps::period_start.eq(t),
        ps::period_end.eq(end),
        ps::auto_renew.eq(auto_renew),
        ps::status.eq("active"),
        ps::updated_at.eq(t),
    );
    match of_user(conn, user_id)? {
        Some(s) => {
            diesel::update(ps::table.find(s.id))
                .set((values, ps::period_no.eq(s.period_no + 1)))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(ps::table)
                .values((
                    values,
                    ps::user_id.eq(user_id),
                    ps::period_no.eq(1_i64),
                    ps::created_at.eq(t),
                ))
                .execute(conn)
                .map_err(|e| StoreError::unique_as(e, "ledger_race"))?;
        }
    }
    of_user(conn, user_id)?.ok_or(StoreError::NotFound)
}

/// Moves a subscription to its next period (same plan and quotas as the price list says
/// now), counters at zero. `false` when someone else moved it first or renewal was turned off
/// meanwhile.
pub fn renew(conn: &mut DbConn, s: &Subscription, plan: &Plan) -> StoreResult<bool> {
    // A worker that was down does not charge for periods already over: the next starts now.
    let start = s.period_end.max(now());
    let n = diesel::update(
        ps::table
            .find(s.id)
            .filter(ps::period_no.eq(s.period_no))
            .filter(ps::status.eq("active"))
            .filter(ps::auto_renew.eq(true)),
    )
    .set((
        ps::price.eq(plan.price),
        ps::ads_included.eq(plan.ads),
        ps::bumps_included.eq(plan.bumps),
        ps::featured_days_included.eq(plan.featured_days),
        ps::ads_used.eq(0),
        ps::bumps_used.eq(0),
        ps::featured_days_used.eq(0),
        ps::period_no.eq(s.period_no + 1),
        ps::period_start.eq(start),
        ps::period_end.eq(start + Duration::days(plan.period_days)),
        ps::updated_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Ends a subscription at its period's end without renewal (cancelled, or not paid).
pub fn lapse(conn: &mut DbConn, id: i64) -> StoreResult<()> {
    diesel::update(ps::table.find(id))
        .set((ps::status.eq("lapsed"), ps::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

pub fn set_auto_renew(conn: &mut DbConn, user_id: i64, on: bool) -> StoreResult<()> {
    diesel::update(ps::table.filter(ps::user_id.eq(user_id)))
        .set((ps::auto_renew.eq(on), ps::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

/// Subscriptions whose period has ended, to renew or lapse (oldest first).
pub fn due(conn: &mut DbConn, at: NaiveDateTime, limit: i64) -> StoreResult<Vec<Subscription>> {
    Ok(ps::table
        .filter(ps::status.eq("active"))
        .filter(ps::period_end.le(at))
        .order(ps::period_end.asc())
        .limit(limit)
        .select(Subscription::as_select())
        .load(conn)?)
}

/// Takes one ad of the current period's quota. `Ok(None)`: no current plan;
/// `Conflict("plan_quota_exhausted")`: the period's ads are all used.
pub fn take_ad(conn: &mut DbConn, user_id: i64) -> StoreResult<Option<Subscription>> {
    let Some(s) = current(conn, user_id)? else {
        return Ok(None);
    };
    let n = diesel::update(
        ps::table
            .find(s.id)
            .filter(ps::period_no.eq(s.period_no))
            .filter(ps::ads_used.lt(ps::ads_included)),
    )
    .set(ps::ads_used.eq(ps::ads_used + 1))
    .execute(conn)?;
    if n == 0 {
        return Err(StoreError::Conflict("plan_quota_exhausted"));
    }
    Ok(Some(s))
}

/// Takes up to `wanted` units of an included quota of the current period; returns how many
/// were taken (0 without a plan or once used up). `Conflict("ledger_race")` when another
/// request took some first (retry the transaction).
pub fn take_included(
    conn: &mut DbConn,
    user_id: i64,
    what: Included,
    wanted: i64,
) -> StoreResult<i64> {
    let Some(s) = current(conn, user_id)? else {
        return Ok(0);
    };
    let (used, included) = match what {
        Included::Bumps => (s.bumps_used, s.bumps_included),
        Included::FeaturedDays => (s.featured_days_used, s.featured_days_included),
    };
    let take = wanted.min(i64::from(included - used)).max(0) as i32;
    if take == 0 {
        return Ok(0);
    }
    let row = ps::table.find(s.id).filter(ps::period_no.eq(s.period_no));
    let n = match what {
        Included::Bumps => diesel::update(row.filter(ps::bumps_used.eq(used)))
            .set(ps::bumps_used.eq(used + take))
            .execute(conn)?,
        Included::FeaturedDays => diesel::update(row.filter(ps::featured_days_used.eq(used)))
            .set(ps::featured_days_used.eq(used + take))
            .execute(conn)?,
    };
    if n == 0 {
        return Err(StoreError::Conflict("ledger_race"));
    }
    Ok(i64::from(take))
}
