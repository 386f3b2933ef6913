//! An ad's paid marks (featured, urgent): their ends in `listing_marks`, changed through the
//! change feed so that search shows them within the feed's second.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use souk_domain::visibility::Mark;
use souk_domain::ListingStatus;

use crate::changes::record_change;
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::{listing_marks as lm, listings};

/// The ends of an ad's marks (featured, urgent), `None` where never bought or cleared.
pub type Marks = (Option<NaiveDateTime>, Option<NaiveDateTime>);

pub fn marks_of(conn: &mut DbConn, listing_id: i64) -> StoreResult<Marks> {
    Ok(lm::table
        .find(listing_id)
        .select((lm::featured_until, lm::urgent_until))
        .first(conn)
        .optional()?
        .unwrap_or((None, None)))
}

/// The marks of several ads (those without any are absent).
pub fn marks_of_many(
    conn: &mut DbConn,
    ids: &[i64],
) -> StoreResult<std::collections::HashMap<i64, Marks>> {
    let rows: Vec<(i64, Option<NaiveDateTime>, Option<NaiveDateTime>)> = lm::table
        .filter(lm::listing_id.eq_any(ids))
        .select((lm::listing_id, lm::featured_until, lm::urgent_until))
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, f, u)| (id, (f, u))).collect())
}

/// Sets the end of `mark` on an active, visible ad. `Conflict("not_active")` otherwise.
pub fn set_mark(
    conn: &mut DbConn,
    listing_id: i64,
    mark: Mark,
    until: NaiveDateTime,
) -> StoreResult<()> {
    let active = listings::table
        .find(listing_id)
        .filter(listings::status.eq(ListingStatus::Active.as_str()))
        .filter(listings::hidden_at.is_null())
        .select(listings::id)
        .first::<i64>(conn)
        .optional()?;
    if active.is_none() {
        return Err(StoreError::Conflict("not_active"));
    }
    let (featured, urgent) = marks_of(conn, listing_id)?;
    let (featured, urgent) = match mark {
        Mark::Featured => (Some(until), urgent),
        Mark::Urgent => (featured, Some(until)),
    };
    diesel::delete(lm::table.find(listing_id)).execute(conn)?;
    diesel::insert_into(lm::table)
        .values((
            lm::listing_id.eq(listing_id),
            lm::featured_until.eq(featured),
            lm::urgent_until.eq(urgent),
        ))
        .execute(conn)
        .map_err(|e| StoreError::unique_as(e, "ledger_race"))?;
    record_change(conn, listing_id)
}

/// The ads featured at `at` (the search service puts them back on its shelf when it opens
/// an index). A short list, read by the partial index on `featured_until`.
pub fn featured_ids(conn: &mut DbConn, at: NaiveDateTime) -> StoreResult<Vec<i64>> {
    Ok(lm::table
        .filter(lm::featured_until.gt(at))
        .select(lm::listing_id)
        .load(conn)?)
}

/// Clears up to `limit` marks of each kind that ended by `at`, each ad through the change
/// feed (it leaves the shelf and the urgent filter's list); returns how many ads changed.
pub fn clear_ended(conn: &mut DbConn, at: NaiveDateTime, limit: i64) -> StoreResult<usize> {
    let featured: Vec<i64> = lm::table
        .filter(lm::featured_until.le(at))
        .select(lm::listing_id)
        .limit(limit)
        .load(conn)?;
    let urgent: Vec<i64> = lm::table
        .filter(lm::urgent_until.le(at))
        .select(lm::listing_id)
        .limit(limit)
        .load(conn)?;
    // Each cleared only if still ended: a purchase committed since the read keeps its days.
    let mut ids = Vec::new();
    for id in featured {
        let row = lm::table.find(id).filter(lm::featured_until.le(at));
        if diesel::update(row)
            .set(lm::featured_until.eq(None::<NaiveDateTime>))
            .execute(conn)?
            == 1
        {
            ids.push(id);
        }
    }
    for id in urgent {
        let row = lm::table.find(id).filter(lm::urgent_until.le(at));
        if diesel::update(row)
            .set(lm::urgent_until.eq(None::<NaiveDateTime>))
            .execute(conn)?
            == 1
        {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    for id in &ids {
        record_change(conn, *id)?;
    }
    Ok(ids.len())
}

/// Forgets an ad's marks (the purge, with the ad).
pub fn forget(conn: &mut DbConn, listing_id: i64) -> StoreResult<()> {
    diesel::delete(lm::table.find(listing_id)).execute(conn)?;
    Ok(())
}
