//! The one rule for writes to an ad, on every route that changes one (edit, delete, sold,
//! renew, photos, statistics, bump, promotions, bump schedules):
//!
//! - an ad that does not exist or was deleted: 404;
//! - someone else's ad: 403 `forbidden` (ads are public objects with public ids, so "not yours"
//!   tells a stranger nothing a 404 would hide, and it tells a user signed in with the wrong
//!   account what is wrong);
//! - a banned owner: 403 `banned`;
//! - a hidden ad stays its owner's to edit, fix, renew, mark sold or delete, but is put in front
//!   of buyers by nothing while hidden: bumps, promotions and bump schedules answer 409 `hidden`;
//! - a sold or expired ad: the route's own 409 (`listing_sold`, `not_active`, `not_renewable`).

use souk_domain::ListingStatus;
use souk_store::listings::{self, Listing};
use souk_store::DbConn;

use crate::error::{ApiError, ApiResult};

/// `owner`'s ad `id` under a row lock (PostgreSQL), so the checks cannot race a concurrent
/// delete or sale; for the transaction that writes.
pub fn owned_ad(conn: &mut DbConn, owner: i64, id: i64) -> ApiResult<Listing> {
    listings::lock_listing(conn, id)?;
    check_owned_ad(conn, owner, id)
}

/// The checks of `owned_ad` without the lock: a look before slow work (receiving a photo), or
/// for a read only the owner may make; a write that follows checks again under the lock.
pub fn check_owned_ad(conn: &mut DbConn, owner: i64, id: i64) -> ApiResult<Listing> {
    let l = listings::get_listing(conn, id)?;
    if l.status()? == ListingStatus::Deleted {
        return Err(ApiError::NotFound);
    }
    if l.user_id != owner {
        return Err(ApiError::Forbidden("only the seller can change this ad"));
    }
    // A banned seller's access token may outlive the ban by a moment.
    crate::auth::ensure_not_banned(conn, owner)?;
    Ok(l)
}

/// 409 `hidden` while moderation keeps the ad out of sight: paid visibility waits for a
/// moderator's restore.
pub fn ensure_shown(l: &Listing, what: &str) -> ApiResult<()> {
    if l.hidden_at.is_some() {
        return Err(ApiError::Conflict {
            code: "hidden",
            detail: format!("a hidden ad cannot be {what} until a moderator restores it"),
        });
    }
    Ok(())
}
