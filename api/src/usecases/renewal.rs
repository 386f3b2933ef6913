//! Renewing an ad: by its owner (`POST /v1/listings/{id}/renew`) and by the one-click link of
//! its expiry email (`POST /v1/renewals/{token}`). Both count against the per-ad change limit,
//! both take a store plan's posting quota when an expired ad comes back, and both queue a trust
//! check; the link once skipped the last two.

use souk_domain::ListingStatus;
use souk_store::listings::{self, Listing};
use souk_store::DbConn;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Edits and renewals of one ad by its owner per hour (`SOUK_RATE_CHANGES_PER_AD_PER_HOUR`):
/// each queues a trust check and a feed row and empties the browse cache. Counted per (owner,
/// ad), so a stranger's refused attempts never use up the owner's.
pub async fn limit_changes(state: &AppState, owner: i64, id: i64) -> ApiResult<()> {
    state
        .limiter
        .hit(
            &format!("ad-changes:{owner}:{id}"),
            state.config.limits.changes_per_ad_per_hour,
            std::time::Duration::from_secs(3600),
        )
        .await
}

/// When a renewed ad now expires.
pub fn new_expiry(state: &AppState) -> chrono::NaiveDateTime {
    souk_store::now() + chrono::Duration::days(state.config.listing_ttl_days)
}

/// Renews `l`, an ad of `owner` already checked to be theirs, in the caller's transaction:
/// active or expired only (409 `not_renewable`); an expired ad coming back takes a store
/// plan's posting quota like a new one; a trust check is queued (an expired ad may have been
/// edited while the checks skipped it). The caller wakes the worker after the commit.
pub fn renew(
    state: &AppState,
    conn: &mut DbConn,
    owner: i64,
    l: &Listing,
    expires: chrono::NaiveDateTime,
) -> ApiResult<Listing> {
    let status = l.status()?;
    if !matches!(status, ListingStatus::Active | ListingStatus::Expired) {
        return Err(ApiError::Conflict {
            code: "not_renewable",
            detail: format!("a {} ad cannot be renewed", status.as_str()),
        });
    }
    if status == ListingStatus::Expired {
        crate::usecases::posting::take_posting_quota(conn, owner)?;
    }
    let renewed = listings::renew(conn, l.id, expires)?;
    let fair = crate::usecases::fair_price::fair_price(
        state,
        &renewed.category,
        &renewed.attributes()?,
        renewed.wilaya,
        Some(owner),
    );
    souk_worker::signals::queue_check(conn, l.id, fair)?;
    Ok(renewed)
}
