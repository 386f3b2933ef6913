//! Ads a user keeps an eye on. Favouriters hear about price drops.

use diesel::prelude::*;
use souk_domain::ListingStatus;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::listings::Listing;
use crate::schema::{favorites, listings, users};
use crate::time::now;
use crate::users::User;

/// Adds a favourite; adding it again (even concurrently) is harmless. Returns whether it is
/// new. `ON CONFLICT DO NOTHING` rather than catching the violation: on PostgreSQL a failed
/// statement would abort the caller's transaction.
pub fn add(conn: &mut DbConn, user_id: i64, listing_id: i64) -> StoreResult<bool> {
    let sql = match conn {
        DbConn::Pg(_) => "INSERT INTO favorites (user_id, listing_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        DbConn::Sqlite(_) => "INSERT INTO favorites (user_id, listing_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    };
    let n = diesel::sql_query(sql)
        .bind::<diesel::sql_types::BigInt, _>(user_id)
        .bind::<diesel::sql_types::BigInt, _>(listing_id)
        .bind::<diesel::sql_types::Timestamp, _>(now())
        .execute(conn)?;
    if n > 0 {
        crate::stats::bump(conn, listing_id, crate::stats::Stat::Favorites, 1)?;
    }
    Ok(n > 0)
}

/// Removes a favourite; returns whether there was one.
pub fn remove(conn: &mut DbConn, user_id: i64, listing_id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(
        favorites::table
            .filter(favorites::user_id.eq(user_id))
            .filter(favorites::listing_id.eq(listing_id)),
    )
    .execute(conn)?
        > 0)
}

/// A user's favourites that are still visible (not deleted), latest added first.
pub fn list(
    conn: &mut DbConn,
    user_id: i64,
    page: i64,
    per_page: i64,
) -> StoreResult<(Vec<Listing>, i64)> {
    let base = favorites::table
        .inner_join(listings::table)
        .filter(favorites::user_id.eq(user_id))
        .filter(listings::status.ne(ListingStatus::Deleted.as_str()))
        .filter(listings::hidden_at.is_null());
    let total: i64 = base.count().get_result(conn)?;
    let items = base
        .order((favorites::created_at.desc(), favorites::listing_id.desc()))
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select(Listing::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// Everyone who favourited `listing_id` (the caller leaves out the seller).
pub fn favouriters(conn: &mut DbConn, listing_id: i64) -> StoreResult<Vec<User>> {
    let ids: Vec<i64> = favorites::table
        .filter(favorites::listing_id.eq(listing_id))
        .select(favorites::user_id)
        .load(conn)?;
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select(User::as_select())
        .load(conn)?)
}

pub fn count_for_listing(conn: &mut DbConn, listing_id: i64) -> StoreResult<i64> {
    Ok(favorites::table
        .filter(favorites::listing_id.eq(listing_id))
        .count()
        .get_result(conn)?)
}
