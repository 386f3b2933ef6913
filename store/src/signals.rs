//! Trust signals in the database: photo and text fingerprints stored by band (looked up for
//! near copies without a scan, see `souk_domain::signals`), and the flags the checks raise.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use souk_domain::signals::{band_keys, from_stored, hamming, probe_keys, to_stored, FlagKind};
use souk_domain::ListingStatus;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::{listing_flags, listings, near_keys, photos};
use crate::time::now;

/// `near_keys.kind` of a photo's perceptual hash.
pub const KIND_PHOTO: i32 = 1;
/// `near_keys.kind` of an ad text's SimHash.
pub const KIND_TEXT: i32 = 2;
/// Copies read per lookup: a popular stock photo can sit in thousands of ads, and a few
/// hundred of them are evidence enough.
const MAX_CANDIDATES: i64 = 500;
/// Distinct fingerprints read under the probed band keys: about 68 / 65,536 of all stored
/// ones (some 5,000 of 5 million photos), 8 bytes each.
const MAX_DISTINCT_HASHES: i64 = 200_000;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = listing_flags)]
pub struct Flag {
    pub id: i64,
    pub listing_id: i64,
    pub kind: String,
    pub other_listing_id: Option<i64>,
    /// JSON: what was found (the phrase, the distance, the price and its comparables…).
    pub evidence: String,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolution: Option<String>,
}

/// A stored fingerprint near the one looked up.
#[derive(Debug, Clone, PartialEq)]
pub struct NearCopy {
    /// The `near_keys` row: its order is the order in which fingerprints were first stored.
    pub key_id: i64,
    pub listing_id: i64,
    pub user_id: i64,
    pub photo_id: Option<i64>,
    pub distance: u32,
}

/// Stores a fingerprint under its four band keys; returns the id of its first row (its age).
pub fn store_fingerprint(
    conn: &mut DbConn,
    kind: i32,
    hash: u64,
    listing_id: i64,
    user_id: i64,
    photo_id: Option<i64>,
) -> StoreResult<i64> {
    let mut first = None;
    for key in band_keys(hash) {
        let id: i64 = diesel::insert_into(near_keys::table)
            .values((
                near_keys::kind.eq(kind),
                near_keys::band_key.eq(key),
                near_keys::hash.eq(to_stored(hash)),
                near_keys::listing_id.eq(listing_id),
                near_keys::user_id.eq(user_id),
                near_keys::photo_id.eq(photo_id),
            ))
            .returning(near_keys::id)
            .get_result(conn)?;
        first.get_or_insert(id);
    }
    Ok(first.unwrap_or_default())
}

/// Sets an ad's text fingerprint (`None`: too short to have one) and returns the id of its
/// first row. An unchanged fingerprint keeps its rows, and so its age: editing an old ad to
/// someone else's text makes a new fingerprint, younger than theirs.
pub fn replace_text_fingerprint(
    conn: &mut DbConn,
    listing_id: i64,
    user_id: i64,
    hash: Option<u64>,
) -> StoreResult<Option<i64>> {
    let of_listing = near_keys::table
        .filter(near_keys::kind.eq(KIND_TEXT))
        .filter(near_keys::listing_id.eq(listing_id));
    // A fingerprint is a few rows (its band keys): all read by the listing's index and the
    // first taken here. `ORDER BY id LIMIT 1` let PostgreSQL walk the primary key instead,
    // filtering every row until one matched, when its statistics were stale.
    let current: Option<(i64, i64)> = of_listing
        .select((near_keys::id, near_keys::hash))
        .limit(ROWS_PER_FINGERPRINT_READ)
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .min();
    match (current, hash) {
        (Some((id, stored)), Some(h)) if from_stored(stored) == h => return Ok(Some(id)),
        (Some(_), _) => {
            diesel::delete(of_listing).execute(conn)?;
        }
        (None, _) => {}
    }
    hash.map(|h| store_fingerprint(conn, KIND_TEXT, h, listing_id, user_id, None))
        .transpose()
}

/// The id of the first row of a photo's fingerprint (its age), if it has one.
pub fn photo_key(conn: &mut DbConn, photo_id: i64) -> StoreResult<Option<i64>> {
    // The photo's few rows by its index, the least id taken here: `min(id)` was planned by
    // PostgreSQL as a walk of the primary key from the start, filtering by photo (2-8 ms at
    // 27 k rows, growing with the table) whenever its statistics overestimated a photo's rows.
    Ok(near_keys::table
        .filter(near_keys::photo_id.eq(photo_id))
        .select(near_keys::id)
        .limit(ROWS_PER_FINGERPRINT_READ)
        .load::<i64>(conn)?
        .into_iter()
        .min())
}

/// Rows read for one fingerprint: its band keys, with room to spare.
const ROWS_PER_FINGERPRINT_READ: i64 = 16;
const _: () = assert!(souk_domain::signals::BANDS as i64 <= ROWS_PER_FINGERPRINT_READ);

/// Which fingerprints to look at around `hash`.
pub enum Among {
    /// Every account's fingerprints stored before `before_key` (this fingerprint's first row).
    Older { before_key: i64 },
    /// The same account's active ads other than `listing_id`.
    OwnActiveBesides { user_id: i64, listing_id: i64 },
}

/// Stored fingerprints of `kind` within `max_distance` of `hash`, oldest first, one per
/// listing (and photo). Distinct stored hashes under the probed band keys are read first and
/// compared in memory, so a crowd of unrelated fingerprints sharing a band cannot push the
/// real copy out of a capped result.
pub fn near_copies(
    conn: &mut DbConn,
    kind: i32,
    hash: u64,
    max_distance: u32,
    among: Among,
) -> StoreResult<Vec<NearCopy>> {
    let probes = probe_keys(hash);
    let stored: Vec<i64> = near_keys::table
        .filter(near_keys::kind.eq(kind))
        .filter(near_keys::band_key.eq_any(&probes))
        .select(near_keys::hash)
        .distinct()
        .limit(MAX_DISTINCT_HASHES)
        .load(conn)?;
    let near: Vec<i64> = stored
        .into_iter()
        .filter(|h| hamming(hash, from_stored(*h)) <= max_distance)
        .collect();
    if near.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = near_keys::table
        .inner_join(listings::table)
        .filter(near_keys::kind.eq(kind))
        .filter(near_keys::band_key.eq_any(&probes))
        .filter(near_keys::hash.eq_any(&near))
        .into_boxed();
    q = match among {
        Among::Older { before_key } => q.filter(near_keys::id.lt(before_key)),
        Among::OwnActiveBesides {
            user_id,
            listing_id,
        } => q
            .filter(near_keys::user_id.eq(user_id))
            .filter(near_keys::listing_id.ne(listing_id))
            .filter(listings::status.eq(ListingStatus::Active.as_str())),
    };
    let rows: Vec<(i64, i64, i64, Option<i64>, i64)> = q
        .order(near_keys::id.asc())
        .select((
            near_keys::id,
            near_keys::listing_id,
            near_keys::user_id,
            near_keys::photo_id,
            near_keys::hash,
        ))
        .limit(MAX_CANDIDATES)
        .load(conn)?;
    let mut seen = std::collections::HashSet::new();
    Ok(rows
        .into_iter()
        // A fingerprint matches through up to four bands: once is enough.
        .filter(|r| seen.insert((r.1, r.3)))
        .map(|(key_id, listing_id, user_id, photo_id, h)| NearCopy {
            key_id,
            listing_id,
            user_id,
            photo_id,
            distance: hamming(hash, from_stored(h)),
        })
        .collect())
}

/// The perceptual hashes of an ad's photos: (photo id, hash).
pub fn photo_hashes(conn: &mut DbConn, listing_id: i64) -> StoreResult<Vec<(i64, u64)>> {
    let rows: Vec<(i64, Option<i64>)> = photos::table
        .filter(photos::listing_id.eq(listing_id))
        .order(photos::id.asc())
        .select((photos::id, photos::phash))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, h)| Some((id, from_stored(h?))))
        .collect())
}

/// Records a flag unless the same finding is already recorded (open or decided): a check
/// that runs again after an edit does not ask a moderator twice about the same thing.
/// Returns whether it was new.
pub fn add_flag(
    conn: &mut DbConn,
    listing_id: i64,
    kind: FlagKind,
    other_listing_id: Option<i64>,
    evidence: &serde_json::Value,
) -> StoreResult<bool> {
    let evidence = evidence.to_string();
    let mut same = listing_flags::table
        .filter(listing_flags::listing_id.eq(listing_id))
        .filter(listing_flags::kind.eq(kind.as_str()))
        .filter(listing_flags::evidence.eq(&evidence))
        .into_boxed();
    same = match other_listing_id {
        Some(o) => same.filter(listing_flags::other_listing_id.eq(o)),
        None => same.filter(listing_flags::other_listing_id.is_null()),
    };
    let known: i64 = same.count().get_result(conn)?;
    if known > 0 {
        return Ok(false);
    }
    diesel::insert_into(listing_flags::table)
        .values((
            listing_flags::listing_id.eq(listing_id),
            listing_flags::kind.eq(kind.as_str()),
            listing_flags::other_listing_id.eq(other_listing_id),
            listing_flags::evidence.eq(evidence),
            listing_flags::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(true)
}

/// The kinds of an ad's open flags.
pub fn open_flag_kinds(conn: &mut DbConn, listing_id: i64) -> StoreResult<Vec<FlagKind>> {
    let kinds: Vec<String> = listing_flags::table
        .filter(listing_flags::listing_id.eq(listing_id))
        .filter(listing_flags::resolved_at.is_null())
        .select(listing_flags::kind)
        .load(conn)?;
    Ok(kinds.iter().filter_map(|k| FlagKind::parse(k)).collect())
}

/// Open flags, oldest first (the moderation queue groups them by ad with the reports).
pub fn open_flags(conn: &mut DbConn, limit: i64) -> StoreResult<Vec<Flag>> {
    Ok(listing_flags::table
        .filter(listing_flags::resolved_at.is_null())
        .order(listing_flags::id.asc())
        .limit(limit)
        .select(Flag::as_select())
        .load(conn)?)
}

/// The open flags of some ads.
pub fn open_flags_of(conn: &mut DbConn, listing_ids: &[i64]) -> StoreResult<Vec<Flag>> {
    Ok(listing_flags::table
        .filter(listing_flags::listing_id.eq_any(listing_ids))
        .filter(listing_flags::resolved_at.is_null())
        .order(listing_flags::id.asc())
        .select(Flag::as_select())
        .load(conn)?)
}

/// Closes an ad's open flags with the moderator's decision.
pub fn resolve_flags(conn: &mut DbConn, listing_id: i64, resolution: &str) -> StoreResult<usize> {
    Ok(diesel::update(
        listing_flags::table
            .filter(listing_flags::listing_id.eq(listing_id))
            .filter(listing_flags::resolved_at.is_null()),
    )
    .set((
        listing_flags::resolved_at.eq(now()),
        listing_flags::resolution.eq(resolution),
    ))
    .execute(conn)?)
}
