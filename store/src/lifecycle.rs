//! An ad's life after posting: the expiry warning, the sweep that expires ads past their date,
//! and the purge of ads deleted or expired long ago. Each function handles one bounded batch
//! and is meant to run inside one transaction with the emails it causes.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use souk_domain::ListingStatus;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::listings::{record_change, Listing};
use crate::photos::delete_all_photos;
use crate::schema::listings;
use crate::time::now;

/// Loads up to `limit` listings matching `filter`, oldest deadline first; on PostgreSQL the
/// rows are locked and rows locked by another worker skipped, so parallel sweeps split the work.
macro_rules! claim {
    ($conn:expr, $filter:expr, $order:expr, $limit:expr) => {{
        // Built once per backend: a diesel query is typed by the backend it runs on.
        match $conn {
            DbConn::Pg(pg) => listings::table
                .filter($filter)
                .order($order)
                .limit($limit)
                .select(Listing::as_select())
                .for_update()
                .skip_locked()
                .load(pg)?,
            DbConn::Sqlite(lite) => listings::table
                .filter($filter)
                .order($order)
                .limit($limit)
                .select(Listing::as_select())
                .load(lite)?,
        }
    }};
}

/// Expires up to `limit` active ads whose date has passed: status `expired`, a change-feed row
/// each (so search drops them), `expired_at` stamped. Returns them for the expiry notices.
pub fn expire_due_listings(conn: &mut DbConn, limit: i64) -> StoreResult<Vec<Listing>> {
    let t = now();
    let due: Vec<Listing> = claim!(
        conn,
        listings::status
            .eq(ListingStatus::Active.as_str())
            .and(listings::expires_at.le(t)),
        (listings::expires_at.asc(), listings::id.asc()),
        limit
    );
    let ids: Vec<i64> = due.iter().map(|l| l.id).collect();
    diesel::update(listings::table.filter(listings::id.eq_any(&ids)))
        .set((
            listings::status.eq(ListingStatus::Expired.as_str()),
            listings::expired_at.eq(t),
            listings::updated_at.eq(t),
        ))
        .execute(conn)?;
    for id in &ids {
        record_change(conn, *id)?;
    }
    Ok(due)
}

/// Active ads expiring within `within` that have not been warned yet; marks them warned.
pub fn warn_expiring_listings(
    conn: &mut DbConn,
    within: Duration,
    limit: i64,
) -> StoreResult<Vec<Listing>> {
    let t = now();
    let due: Vec<Listing> = claim!(
        conn,
        listings::status
            .eq(ListingStatus::Active.as_str())
            .and(listings::expires_at.gt(t))
            .and(listings::expires_at.le(t + within))
            .and(listings::expiry_warned_at.is_null())
            // A hidden ad cannot be renewed by its owner: no warning to send.
            .and(listings::hidden_at.is_null()),
        (listings::expires_at.asc(), listings::id.asc()),
        limit
    );
    let ids: Vec<i64> = due.iter().map(|l| l.id).collect();
    diesel::update(listings::table.filter(listings::id.eq_any(&ids)))
        .set(listings::expiry_warned_at.eq(t))
        .execute(conn)?;
    Ok(due)
}

/// Removes for good up to `limit` ads deleted before `deleted_before` or expired before
/// `expired_before`, with their photo rows (favourites go with them, conversations keep
/// their text). Returns the storage keys of the photos, for the caller to delete the files
/// once the transaction has committed.
pub fn purge_listings(
    conn: &mut DbConn,
    deleted_before: NaiveDateTime,
    expired_before: NaiveDateTime,
    limit: i64,
) -> StoreResult<(usize, Vec<String>)> {
    let gone: Vec<Listing> = claim!(
        conn,
        (listings::status
            .eq(ListingStatus::Deleted.as_str())
            .and(listings::deleted_at.le(deleted_before)))
        .or(listings::status
            .eq(ListingStatus::Expired.as_str())
            .and(listings::expires_at.le(expired_before))),
        listings::id.asc(),
        limit
    );
    let mut keys = Vec::new();
    for l in &gone {
        keys.extend(
            delete_all_photos(conn, l.id)?
                .into_iter()
                .map(|p| p.storage_key),
        );
        crate::promotions::forget(conn, l.id)?;
        diesel::delete(listings::table.find(l.id)).execute(conn)?;
        record_change(conn, l.id)?;
    }
    Ok((gone.len(), keys))
}
