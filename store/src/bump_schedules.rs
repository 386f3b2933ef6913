//! Scheduled bumps: every few days for some weeks, run by the worker. At most one active
//! schedule per ad (a unique partial index).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::bump_schedules as bs;
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = bs)]
pub struct Schedule {
    pub id: i64,
    pub listing_id: i64,
    pub user_id: i64,
    pub every_days: i32,
    pub next_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub runs: i32,
    pub status: String,
    pub stop_reason: Option<String>,
    pub created_at: NaiveDateTime,
}

/// A new schedule whose first bump is due at `first`, running `weeks` from now.
/// `Conflict("schedule_exists")` when the ad already has an active one.
pub fn create(
    conn: &mut DbConn,
    listing_id: i64,
    user_id: i64,
    every_days: i32,
    first: NaiveDateTime,
    weeks: i64,
) -> StoreResult<Schedule> {
    if active_of(conn, listing_id)?.is_some() {
        return Err(StoreError::Conflict("schedule_exists"));
    }
    let t = now();
    diesel::insert_into(bs::table)
        .values((
            bs::listing_id.eq(listing_id),
            bs::user_id.eq(user_id),
            bs::every_days.eq(every_days),
            bs::next_at.eq(first),
            bs::ends_at.eq(t + Duration::weeks(weeks)),
            bs::runs.eq(0),
            bs::status.eq("active"),
            bs::created_at.eq(t),
        ))
        .execute(conn)
        .map_err(|e| StoreError::unique_as(e, "schedule_exists"))?;
    active_of(conn, listing_id)?.ok_or(StoreError::NotFound)
}

pub fn active_of(conn: &mut DbConn, listing_id: i64) -> StoreResult<Option<Schedule>> {
    Ok(bs::table
        .filter(bs::listing_id.eq(listing_id))
        .filter(bs::status.eq("active"))
        .select(Schedule::as_select())
        .first(conn)
        .optional()?)
}

/// The ad's latest schedule, whatever its status.
pub fn latest_of(conn: &mut DbConn, listing_id: i64) -> StoreResult<Option<Schedule>> {
    Ok(bs::table
        .filter(bs::listing_id.eq(listing_id))
        .order(bs::id.desc())
        .select(Schedule::as_select())
        .first(conn)
        .optional()?)
}

/// Active schedules with a bump due by `at`, oldest first.
pub fn due(conn: &mut DbConn, at: NaiveDateTime, limit: i64) -> StoreResult<Vec<Schedule>> {
    Ok(bs::table
        .filter(bs::status.eq("active"))
        .filter(bs::next_at.le(at))
        .order(bs::next_at.asc())
        .limit(limit)
        .select(Schedule::as_select())
        .load(conn)?)
}

/// Records a run (made or skipped) and moves to the next; the schedule is done once the next
/// would fall past its end. `false` when another worker recorded this run first.
pub fn advance(conn: &mut DbConn, s: &Schedule) -> StoreResult<bool> {
    let next = s.next_at + Duration::days(i64::from(s.every_days));
    // A worker that was down does not fire the missed bumps in a row: the next is counted
    // from now.
    let next = next.max(now());
    let status = if next > s.ends_at { "done" } else { "active" };
    let n = diesel::update(
        bs::table
            .find(s.id)
            .filter(bs::runs.eq(s.runs))
            .filter(bs::status.eq("active")),
    )
    .set((
        bs::next_at.eq(next),
        bs::runs.eq(s.runs + 1),
        bs::status.eq(status),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Stops an active schedule (`by_seller`, or a bump that could not be made).
pub fn stop(conn: &mut DbConn, id: i64, reason: &str) -> StoreResult<bool> {
    let n = diesel::update(bs::table.find(id).filter(bs::status.eq("active")))
        .set((bs::status.eq("stopped"), bs::stop_reason.eq(Some(reason))))
        .execute(conn)?;
    Ok(n == 1)
}
