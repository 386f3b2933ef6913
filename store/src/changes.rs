//! Writing the change feed (`listing_changes`) that the search index follows; `feed` reads it.
//! Every write that changes what an ad shows in search appends here, in its own transaction.

use diesel::prelude::*;
use souk_domain::ListingStatus;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::{listing_changes, listings};
use crate::time::now;

/// Appends to the change feed; call inside the transaction of the change itself.
pub fn record_change(conn: &mut DbConn, listing_id: i64) -> StoreResult<()> {
    diesel::insert_into(listing_changes::table)
        .values((
            listing_changes::listing_id.eq(listing_id),
            listing_changes::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every ad of a seller that is not deleted goes through the feed again: what the index keeps
/// about the seller (their store, whether their address is confirmed) changed.
pub fn record_seller_change(conn: &mut DbConn, seller_id: i64) -> StoreResult<()> {
    let ids: Vec<i64> = listings::table
        .filter(listings::user_id.eq(seller_id))
        .filter(listings::status.ne(ListingStatus::Deleted.as_str()))
        .select(listings::id)
        .load(conn)?;
    for id in ids {
        record_change(conn, id)?;
    }
    Ok(())
}
