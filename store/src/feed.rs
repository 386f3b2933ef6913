//! Reading the change feed (`listing_changes`) and the rows a search index is built from.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use souk_domain::ListingStatus;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::listings::Listing;
use crate::schema::{listing_changes, listings};

/// Changes with an id above `after`, oldest first: (change id, listing id).
pub fn changes_after(conn: &mut DbConn, after: i64, limit: i64) -> StoreResult<Vec<(i64, i64)>> {
    Ok(listing_changes::table
        .filter(listing_changes::id.gt(after))
        .order(listing_changes::id.asc())
        .limit(limit)
        .select((listing_changes::id, listing_changes::listing_id))
        .load(conn)?)
}

/// The highest change id written before `cutoff`, or 0. A rebuild starts following the feed
/// from there: changes of the last moments are applied again, which is harmless, and none
/// that committed late with a smaller id can slip through.
pub fn last_change_before(conn: &mut DbConn, cutoff: NaiveDateTime) -> StoreResult<i64> {
    let id: Option<i64> = listing_changes::table
        .filter(listing_changes::created_at.lt(cutoff))
        .select(diesel::dsl::max(listing_changes::id))
        .first(conn)?;
    Ok(id.unwrap_or(0))
}

/// The highest change id committed so far, or 0 (a primary-key lookup).
pub fn last_change(conn: &mut DbConn) -> StoreResult<i64> {
    let id: Option<i64> = listing_changes::table
        .select(diesel::dsl::max(listing_changes::id))
        .first(conn)?;
    Ok(id.unwrap_or(0))
}

pub fn listings_by_ids(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Vec<Listing>> {
    Ok(listings::table
        .filter(listings::id.eq_any(ids))
        .select(Listing::as_select())
        .load(conn)?)
}

/// Active listings with an id above `after`, in id order: a rebuild walks them in pages.
pub fn active_after(conn: &mut DbConn, after: i64, limit: i64) -> StoreResult<Vec<Listing>> {
    Ok(listings::table
        .filter(listings::status.eq(ListingStatus::Active.as_str()))
        .filter(listings::id.gt(after))
        .order(listings::id.asc())
        .limit(limit)
        .select(Listing::as_select())
        .load(conn)?)
}

pub fn count_active(conn: &mut DbConn) -> StoreResult<i64> {
    Ok(listings::table
        .filter(listings::status.eq(ListingStatus::Active.as_str()))
        .count()
        .get_result(conn)?)
}
