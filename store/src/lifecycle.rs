//! An ad's life after posting: the expiry warning, the sweep that expires ads past their date,
//! and the purge of ads deleted or expired long ago. Each function handles one bounded batch
//! and is meant to run inside one transaction with the emails it causes.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use souk_domain::ListingStatus;

use crate::changes::record_change;
use crate::db::DbConn;
use crate::error::StoreResult;
use crate::listings::Listing;
use crate::photos::delete_all_photos;
use crate::schema::listings;
use crate::time::now;

/// `status = '<status>'` written into the statement, not bound: a sweep looks for a rare status
/// (deleted, expired) or a narrow date range in a common one, and PostgreSQL's generic plan for
/// a bound status assumes a third of the table and sorts it (the query-plan test saw it).
fn status_is(status: ListingStatus) -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql::<diesel::sql_types::Bool>(&format!("listings.status = '{}'", status.as_str()))
}

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
        status_is(ListingStatus::Active).and(listings::expires_at.le(t)),
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
    // Through listings_to_warn, which holds only active ads not warned yet: through
    // (status, expires_at) the sweep walked past every ad of the window already warned. SQLite
    // is told the index (INDEXED BY); PostgreSQL sees the literal predicate.
    let (indexed_by, lock) = match conn {
        DbConn::Sqlite(_) => (" INDEXED BY listings_to_warn", ""),
        DbConn::Pg(_) => ("", " FOR UPDATE SKIP LOCKED"),
    };
    let (p1, p2, p3) = match conn {
        DbConn::Sqlite(_) => ("?1", "?2", "?3"),
        DbConn::Pg(_) => ("$1", "$2", "$3"),
    };
    // A hidden ad cannot be renewed by its owner: no warning to send.
    let sql = format!(
        "SELECT id FROM listings{indexed_by} WHERE status = 'active' AND expiry_warned_at IS NULL \
         AND expires_at > {p1} AND expires_at <= {p2} AND hidden_at IS NULL \
         ORDER BY expires_at, id LIMIT {p3}{lock}"
    );
    let ids: Vec<i64> = diesel::sql_query(sql)
        .bind::<diesel::sql_types::Timestamp, _>(t)
        .bind::<diesel::sql_types::Timestamp, _>(t + within)
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .load::<IdRow>(conn)?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let due: Vec<Listing> = listings::table
        .filter(listings::id.eq_any(&ids))
        .order((listings::expires_at.asc(), listings::id.asc()))
        .select(Listing::as_select())
        .load(conn)?;
    diesel::update(listings::table.filter(listings::id.eq_any(&ids)))
        .set(listings::expiry_warned_at.eq(t))
        .execute(conn)?;
    Ok(due)
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
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
    // Two claims, each walking its own index from its oldest deadline: one `OR` ordered by
    // id made PostgreSQL's generic plan walk the whole table by id to find a batch.
    let mut gone: Vec<Listing> = claim!(
        conn,
        status_is(ListingStatus::Deleted).and(listings::deleted_at.le(deleted_before)),
        (listings::deleted_at.asc(), listings::id.asc()),
        limit
    );
    let room = limit - gone.len() as i64;
    if room > 0 {
        let expired: Vec<Listing> = claim!(
            conn,
            status_is(ListingStatus::Expired).and(listings::expires_at.le(expired_before)),
            (listings::expires_at.asc(), listings::id.asc()),
            room
        );
        gone.extend(expired);
    }
    let mut keys = Vec::new();
    for l in &gone {
        keys.extend(
            delete_all_photos(conn, l.id)?
                .into_iter()
                .map(|p| p.storage_key),
        );
        crate::promotions::forget(conn, l.id)?;
        let text = crate::past_fingerprints::Going::TextOf(l.id);
        crate::past_fingerprints::remember(conn, text)?;
        diesel::delete(listings::table.find(l.id)).execute(conn)?;
        record_change(conn, l.id)?;
    }
    Ok((gone.len(), keys))
}
