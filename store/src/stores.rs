//! Seller stores: a shop window with a unique slug, one per user.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::stores;
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = stores)]
pub struct Store {
    pub id: i64,
    pub owner_id: i64,
    pub slug: String,
    pub name: String,
    pub speciality: String,
    pub wilaya: i32,
    pub commune: Option<i32>,
    pub description: String,
    pub phone: Option<String>,
    pub opening_hours: Option<String>,
    pub logo_key: Option<String>,
    pub banner_key: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The editable part of a store, already validated.
#[derive(Debug, Clone)]
pub struct StoreFields {
    pub name: String,
    pub speciality: String,
    pub wilaya: i32,
    pub commune: Option<i32>,
    pub description: String,
    pub phone: Option<String>,
    pub opening_hours: Option<String>,
}

/// Every ad of the owner shows the store in search, so they are re-projected.
fn touch_owner_listings(conn: &mut DbConn, owner_id: i64) -> StoreResult<()> {
    crate::changes::record_seller_change(conn, owner_id)
}

pub fn create(conn: &mut DbConn, owner_id: i64, slug: &str, f: &StoreFields) -> StoreResult<Store> {
    if find_by_owner(conn, owner_id)?.is_some() {
        return Err(StoreError::Conflict("store_exists"));
    }
    let t = now();
    let id: i64 = diesel::insert_into(stores::table)
        .values((
            stores::owner_id.eq(owner_id),
            stores::slug.eq(slug),
            stores::name.eq(&f.name),
            stores::speciality.eq(&f.speciality),
            stores::wilaya.eq(f.wilaya),
            stores::commune.eq(f.commune),
            stores::description.eq(&f.description),
            stores::phone.eq(&f.phone),
            stores::opening_hours.eq(&f.opening_hours),
            stores::created_at.eq(t),
            stores::updated_at.eq(t),
        ))
        .returning(stores::id)
        .get_result(conn)
        .map_err(|e| StoreError::unique_as(e, "slug_taken"))?;
    touch_owner_listings(conn, owner_id)?;
    find(conn, id)
}

pub fn update(conn: &mut DbConn, id: i64, f: &StoreFields) -> StoreResult<Store> {
    diesel::update(stores::table.find(id))
        .set((
            stores::name.eq(&f.name),
            stores::speciality.eq(&f.speciality),
            stores::wilaya.eq(f.wilaya),
            stores::commune.eq(f.commune),
            stores::description.eq(&f.description),
            stores::phone.eq(&f.phone),
            stores::opening_hours.eq(&f.opening_hours),
            stores::updated_at.eq(now()),
        ))
        .execute(conn)?;
    let s = find(conn, id)?;
    touch_owner_listings(conn, s.owner_id)?;
    Ok(s)
}

/// Sets the logo or banner photo key; returns the key it replaced.
pub fn set_image(
    conn: &mut DbConn,
    id: i64,
    banner: bool,
    key: &str,
) -> StoreResult<Option<String>> {
    let s = find(conn, id)?;
    let old = if banner { s.banner_key } else { s.logo_key };
    if banner {
        diesel::update(stores::table.find(id))
            .set((stores::banner_key.eq(key), stores::updated_at.eq(now())))
            .execute(conn)?;
    } else {
        diesel::update(stores::table.find(id))
            .set((stores::logo_key.eq(key), stores::updated_at.eq(now())))
            .execute(conn)?;
    }
    Ok(old)
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Store> {
    stores::table
        .find(id)
        .select(Store::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)
}

pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> StoreResult<Store> {
    stores::table
        .filter(stores::slug.eq(slug))
        .select(Store::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)
}

pub fn find_by_owner(conn: &mut DbConn, owner_id: i64) -> StoreResult<Option<Store>> {
    Ok(stores::table
        .filter(stores::owner_id.eq(owner_id))
        .select(Store::as_select())
        .first(conn)
        .optional()?)
}

/// The stores of these owners (to show the store next to their ads).
pub fn of_owners(conn: &mut DbConn, owner_ids: &[i64]) -> StoreResult<Vec<Store>> {
    Ok(stores::table
        .filter(stores::owner_id.eq_any(owner_ids))
        .select(Store::as_select())
        .load(conn)?)
}
