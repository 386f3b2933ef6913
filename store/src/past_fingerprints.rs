//! Fingerprints of what is gone: a photo removed, an ad purged, an account deleted. The
//! `near_keys` rows of a photo or an ad go with it, and with them the proof of who had the
//! photo or the text first; a rival whose copy outlived the original would then be "first"
//! and get the owner's later re-posts flagged. The rows are copied here before they go, kept
//! for `PAST_FINGERPRINT_DAYS`, and consulted only to tell who was first.

use diesel::prelude::*;
use souk_domain::signals::{from_stored, hamming, probe_keys, PAST_FINGERPRINT_DAYS};

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::{near_keys, past_fingerprints as past};
use crate::time::now;

/// Which stored fingerprints are about to go.
pub enum Going {
    /// One photo's.
    Photo(i64),
    /// Every photo's of a listing.
    PhotosOf(i64),
    /// A listing's text fingerprint (its photos' went with them).
    TextOf(i64),
}

/// Copies the `near_keys` rows about to be deleted into the past fingerprints.
pub fn remember(conn: &mut DbConn, going: Going) -> StoreResult<usize> {
    let q = near_keys::table.into_boxed();
    let q = match going {
        Going::Photo(id) => q.filter(near_keys::photo_id.eq(id)),
        Going::PhotosOf(id) => q
            .filter(near_keys::listing_id.eq(id))
            .filter(near_keys::photo_id.is_not_null()),
        Going::TextOf(id) => q
            .filter(near_keys::listing_id.eq(id))
            .filter(near_keys::photo_id.is_null()),
    };
    let rows: Vec<(i64, i32, i32, i64, i64)> = q
        .select((
            near_keys::id,
            near_keys::kind,
            near_keys::band_key,
            near_keys::hash,
            near_keys::user_id,
        ))
        .load(conn)?;
    let forget_after = now() + chrono::Duration::days(PAST_FINGERPRINT_DAYS);
    // One statement a row: a multi-row insert is not one diesel writes for both backends,
    // and an ad holds at most 8 photos of 4 bands.
    for (id, kind, band, hash, user) in &rows {
        diesel::insert_into(past::table)
            .values((
                past::kind.eq(*kind),
                past::band_key.eq(*band),
                past::hash.eq(*hash),
                past::user_id.eq(*user),
                past::key_id.eq(*id),
                past::forget_after.eq(forget_after),
            ))
            .execute(conn)?;
    }
    Ok(rows.len())
}

/// The account that had a fingerprint within `max_distance` of `hash` before `before_key`
/// among the past ones, with the key it had: the oldest.
pub fn first_before(
    conn: &mut DbConn,
    kind: i32,
    hash: u64,
    max_distance: u32,
    before_key: i64,
) -> StoreResult<Option<(i64, i64)>> {
    let rows: Vec<(i64, i64, i64)> = past::table
        .filter(past::kind.eq(kind))
        .filter(past::band_key.eq_any(probe_keys(hash)))
        .filter(past::key_id.lt(before_key))
        .order(past::key_id.asc())
        .select((past::key_id, past::user_id, past::hash))
        .limit(500)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .find(|(_, _, h)| hamming(hash, from_stored(*h)) <= max_distance)
        .map(|(key, user, _)| (key, user)))
}

/// Forgets, a batch at a time, past fingerprints whose time is up.
pub fn forget_due(conn: &mut DbConn, batch: i64) -> StoreResult<usize> {
    let ids: Vec<i64> = past::table
        .filter(past::forget_after.lt(now()))
        .order(past::forget_after.asc())
        .select(past::id)
        .limit(batch)
        .load(conn)?;
    Ok(diesel::delete(past::table.filter(past::id.eq_any(&ids))).execute(conn)?)
}
