use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::changes::record_change;
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::{photo_reservations, photos};
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = photos)]
pub struct Photo {
    pub id: i64,
    pub listing_id: i64,
    /// Names the files on disk; random, so URLs cannot be guessed from ids.
    pub storage_key: String,
    pub position: i32,
    pub width: i32,
    pub height: i32,
    pub created_at: NaiveDateTime,
    /// Perceptual hash (`souk_domain::signals`), absent for photos from before it.
    pub phash: Option<i64>,
}

pub fn count_photos(conn: &mut DbConn, listing_id: i64) -> StoreResult<i64> {
    Ok(photos::table
        .filter(photos::listing_id.eq(listing_id))
        .count()
        .get_result(conn)?)
}

/// How long an upload's reservation holds its slot: a 10 MB photo over a slow mobile link,
/// then its decode. One left by a process that stopped mid-upload frees itself then.
pub const RESERVATION_MINUTES: i64 = 5;

/// Photos of a listing plus the uploads under way that reserved a slot (`besides` excepted).
pub fn count_taken_slots(
    conn: &mut DbConn,
    listing_id: i64,
    besides: Option<i64>,
) -> StoreResult<i64> {
    let reserved: i64 = photo_reservations::table
        .filter(photo_reservations::listing_id.eq(listing_id))
        .filter(photo_reservations::expires_at.gt(now()))
        .filter(photo_reservations::id.ne(besides.unwrap_or(0)))
        .count()
        .get_result(conn)?;
    Ok(count_photos(conn, listing_id)? + reserved)
}

/// Reserves one of a listing's `cap` photo slots for an upload about to be read, or answers
/// `None` when photos and uploads under way fill them. Call it in a transaction that locked
/// the listing (`listings::lock_listing`), so two uploads cannot both take the last slot.
pub fn reserve_slot(conn: &mut DbConn, listing_id: i64, cap: i64) -> StoreResult<Option<i64>> {
    diesel::delete(
        photo_reservations::table
            .filter(photo_reservations::listing_id.eq(listing_id))
            .filter(photo_reservations::expires_at.le(now())),
    )
    .execute(conn)?;
    if count_taken_slots(conn, listing_id, None)? >= cap {
        return Ok(None);
    }
    let id = diesel::insert_into(photo_reservations::table)
        .values((
            photo_reservations::listing_id.eq(listing_id),
            photo_reservations::expires_at
                .eq(now() + chrono::Duration::minutes(RESERVATION_MINUTES)),
        ))
        .returning(photo_reservations::id)
        .get_result(conn)?;
    Ok(Some(id))
}

/// Ends a reservation: its photo row was written, or the upload was refused.
pub fn release_slot(conn: &mut DbConn, reservation: i64) -> StoreResult<()> {
    diesel::delete(photo_reservations::table.find(reservation)).execute(conn)?;
    Ok(())
}

pub fn insert_photo(
    conn: &mut DbConn,
    listing_id: i64,
    storage_key: &str,
    width: i32,
    height: i32,
    phash: Option<u64>,
) -> StoreResult<Photo> {
    let position: Option<i32> = photos::table
        .filter(photos::listing_id.eq(listing_id))
        .select(diesel::dsl::max(photos::position))
        .first(conn)?;
    let id: i64 = diesel::insert_into(photos::table)
        .values((
            photos::listing_id.eq(listing_id),
            photos::storage_key.eq(storage_key),
            photos::position.eq(position.map_or(0, |p| p + 1)),
            photos::width.eq(width),
            photos::height.eq(height),
            photos::created_at.eq(now()),
            photos::phash.eq(phash.map(souk_domain::signals::to_stored)),
        ))
        .returning(photos::id)
        .get_result(conn)?;
    if let Some(hash) = phash {
        let owner: i64 = crate::schema::listings::table
            .find(listing_id)
            .select(crate::schema::listings::user_id)
            .first(conn)?;
        let kind = crate::signals::KIND_PHOTO;
        crate::signals::store_fingerprint(conn, kind, hash, listing_id, owner, Some(id))?;
    }
    record_change(conn, listing_id)?;
    photos::table
        .find(id)
        .select(Photo::as_select())
        .first(conn)
        .map_err(Into::into)
}

pub fn list_photos(conn: &mut DbConn, listing_id: i64) -> StoreResult<Vec<Photo>> {
    Ok(photos::table
        .filter(photos::listing_id.eq(listing_id))
        .order((photos::position.asc(), photos::id.asc()))
        .select(Photo::as_select())
        .load(conn)?)
}

/// Photos of several listings, for result pages (first photo = thumbnail).
pub fn photos_of(conn: &mut DbConn, listing_ids: &[i64]) -> StoreResult<Vec<Photo>> {
    Ok(photos::table
        .filter(photos::listing_id.eq_any(listing_ids))
        .order((
            photos::listing_id.asc(),
            photos::position.asc(),
            photos::id.asc(),
        ))
        .select(Photo::as_select())
        .load(conn)?)
}

pub fn find_photo_by_key(conn: &mut DbConn, storage_key: &str) -> StoreResult<Photo> {
    photos::table
        .filter(photos::storage_key.eq(storage_key))
        .select(Photo::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// Deletes one photo row of a listing and returns it, so the caller can remove its files.
pub fn delete_photo(conn: &mut DbConn, listing_id: i64, photo_id: i64) -> StoreResult<Photo> {
    let photo = photos::table
        .filter(photos::id.eq(photo_id))
        .filter(photos::listing_id.eq(listing_id))
        .select(Photo::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)?;
    crate::past_fingerprints::remember(conn, crate::past_fingerprints::Going::Photo(photo_id))?;
    diesel::delete(photos::table.find(photo_id)).execute(conn)?;
    record_change(conn, listing_id)?;
    Ok(photo)
}

/// Deletes every photo row of a listing, returning them for file removal.
pub fn delete_all_photos(conn: &mut DbConn, listing_id: i64) -> StoreResult<Vec<Photo>> {
    let all = list_photos(conn, listing_id)?;
    if !all.is_empty() {
        let going = crate::past_fingerprints::Going::PhotosOf(listing_id);
        crate::past_fingerprints::remember(conn, going)?;
    }
    diesel::delete(photos::table.filter(photos::listing_id.eq(listing_id))).execute(conn)?;
    Ok(all)
}

/// Photos by id (the evidence of a copied photo names them).
pub fn find_photos(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Vec<Photo>> {
    Ok(photos::table
        .filter(photos::id.eq_any(ids))
        .select(Photo::as_select())
        .load(conn)?)
}
