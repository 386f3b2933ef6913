//! Phone confirmation codes, confirmed numbers (one account each) and phone reveals.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::{listings, phone_codes, users};
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = phone_codes)]
pub struct PhoneCode {
    pub id: i64,
    pub user_id: i64,
    pub phone: String,
    pub code_hash: String,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

/// Whether another account has confirmed this number.
pub fn confirmed_elsewhere(conn: &mut DbConn, phone: &str, user_id: i64) -> StoreResult<bool> {
    let n: i64 = users::table
        .filter(users::phone.eq(phone))
        .filter(users::phone_verified_at.is_not_null())
        .filter(users::id.ne(user_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// A new code for `phone`; the user's earlier codes stop working.
pub fn new_code(
    conn: &mut DbConn,
    user_id: i64,
    phone: &str,
    code_hash: &str,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    let t = now();
    diesel::update(
        phone_codes::table
            .filter(phone_codes::user_id.eq(user_id))
            .filter(phone_codes::used_at.is_null()),
    )
    .set(phone_codes::used_at.eq(t))
    .execute(conn)?;
    diesel::insert_into(phone_codes::table)
        .values((
            phone_codes::user_id.eq(user_id),
            phone_codes::phone.eq(phone),
            phone_codes::code_hash.eq(code_hash),
            phone_codes::attempts.eq(0),
            phone_codes::created_at.eq(t),
            phone_codes::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The user's code still waiting to be typed (unused, unexpired), if any.
pub fn pending_code(conn: &mut DbConn, user_id: i64) -> StoreResult<Option<PhoneCode>> {
    Ok(phone_codes::table
        .filter(phone_codes::user_id.eq(user_id))
        .filter(phone_codes::used_at.is_null())
        .filter(phone_codes::expires_at.gt(now()))
        .order(phone_codes::id.desc())
        .select(PhoneCode::as_select())
        .first(conn)
        .optional()?)
}

/// Takes one of the code's `max` attempts before the guess is compared: `false` when none is
/// left. One statement, so parallel guesses queue on the row and never take more than `max`
/// between them (a read, a compare and then a count let every guess in flight through).
pub fn take_attempt(conn: &mut DbConn, code_id: i64, max: i32) -> StoreResult<bool> {
    let taken = diesel::update(
        phone_codes::table
            .find(code_id)
            .filter(phone_codes::attempts.lt(max)),
    )
    .set(phone_codes::attempts.eq(phone_codes::attempts + 1))
    .execute(conn)?;
    Ok(taken == 1)
}

/// Uses the code up and makes its number the user's confirmed phone. Another account that
/// confirmed the number first wins: `phone_taken`.
pub fn confirm(conn: &mut DbConn, code: &PhoneCode) -> StoreResult<()> {
    let t = now();
    diesel::update(phone_codes::table.find(code.id))
        .set(phone_codes::used_at.eq(t))
        .execute(conn)?;
    diesel::update(users::table.find(code.user_id))
        .set((
            users::phone.eq(&code.phone),
            users::phone_verified_at.eq(t),
            users::updated_at.eq(t),
        ))
        .execute(conn)
        .map_err(|e| StoreError::unique_as(e, "phone_taken"))?;
    Ok(())
}

/// Counts one reveal of an ad's phone.
pub fn count_reveal(conn: &mut DbConn, listing_id: i64) -> StoreResult<()> {
    diesel::update(listings::table.find(listing_id))
        .set(listings::phone_reveals.eq(listings::phone_reveals + 1))
        .execute(conn)?;
    crate::stats::bump(conn, listing_id, crate::stats::Stat::PhoneReveals, 1)
}
