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
/// Candidates read per lookup: a popular stock photo can sit in thousands of ads, and a few
/// hundred of them are evidence enough.
const MAX_CANDIDATES: i64 = 500;

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
    pub listing_id: i64,
    pub photo_id: Option<i64>,
    pub distance: u32,
}

/// Stores a fingerprint under its four band keys.
pub fn store_fingerprint(
    conn: &mut DbConn,
    kind: i32,
    hash: u64,
    listing_id: i64,
    user_id: i64,
    photo_id: Option<i64>,
) -> StoreResult<()> {
    for key in band_keys(hash) {
        diesel::insert_into(near_keys::table)
            .values((
                near_keys::kind.eq(kind),
                near_keys::band_key.eq(key),
                near_keys::hash.eq(to_stored(hash)),
                near_keys::listing_id.eq(listing_id),
                near_keys::user_id.eq(user_id),
                near_keys::photo_id.eq(photo_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Replaces an ad's text fingerprint (after an edit), or removes it (`None`: too short).
pub fn replace_text_fingerprint(
    conn: &mut DbConn,
    listing_id: i64,
    user_id: i64,
    hash: Option<u64>,
) -> StoreResult<()> {
    diesel::delete(
        near_keys::table
            .filter(near_keys::kind.eq(KIND_TEXT))
            .filter(near_keys::listing_id.eq(listing_id)),
    )
    .execute(conn)?;
    if let Some(h) = hash {
        store_fingerprint(conn, KIND_TEXT, h, listing_id, user_id, None)?;
    }
    Ok(())
}

/// Which fingerprints to look at around `hash`.
pub enum Among {
    /// Other accounts' fingerprints stored before this one (the copy is the later one): of
    /// older photos when `photo_id` is given, else of older ads.
    OthersOlder {
        user_id: i64,
        listing_id: i64,
        photo_id: Option<i64>,
    },
    /// The same account's active ads other than `listing_id`.
    OwnActiveBesides { user_id: i64, listing_id: i64 },
}

/// Stored fingerprints of `kind` within `max_distance` of `hash`, nearest first, one per
/// listing (and photo).
pub fn near_copies(
    conn: &mut DbConn,
    kind: i32,
    hash: u64,
    max_distance: u32,
    among: Among,
) -> StoreResult<Vec<NearCopy>> {
    let mut q = near_keys::table
        .inner_join(listings::table)
        .filter(near_keys::kind.eq(kind))
        .filter(near_keys::band_key.eq_any(probe_keys(hash)))
        .into_boxed();
    q = match among {
        Among::OthersOlder {
            user_id,
            listing_id,
            photo_id,
        } => {
            let q = q.filter(near_keys::user_id.ne(user_id));
            match photo_id {
                Some(p) => q.filter(near_keys::photo_id.lt(p)),
                None => q.filter(near_keys::listing_id.lt(listing_id)),
            }
        }
        Among::OwnActiveBesides {
            user_id,
            listing_id,
        } => q
            .filter(near_keys::user_id.eq(user_id))
            .filter(near_keys::listing_id.ne(listing_id))
            .filter(listings::status.eq(ListingStatus::Active.as_str())),
    };
    let rows: Vec<(i64, Option<i64>, i64)> = q
        .select((near_keys::listing_id, near_keys::photo_id, near_keys::hash))
        .limit(MAX_CANDIDATES)
        .load(conn)?;
    let mut out: Vec<NearCopy> = rows
        .into_iter()
        .map(|(listing_id, photo_id, h)| NearCopy {
            listing_id,
            photo_id,
            distance: hamming(hash, from_stored(h)),
        })
        .filter(|c| c.distance <= max_distance)
        .collect();
    out.sort_by_key(|c| (c.distance, c.listing_id, c.photo_id));
    // A fingerprint matches through up to four bands: once is enough.
    out.dedup_by_key(|c| (c.listing_id, c.photo_id));
    Ok(out)
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
