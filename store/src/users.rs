use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::users;
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub role: String,
    pub email_verified_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// ar, fr or en: the language of the emails this user gets.
    pub language: String,
    pub price_drop_alerts: bool,
}

pub struct NewUser<'a> {
    /// Already normalised (trimmed, lowercased) by the caller.
    pub email: &'a str,
    pub password_hash: &'a str,
    pub display_name: &'a str,
    pub phone: Option<&'a str>,
    pub language: &'a str,
}

pub fn create_user(conn: &mut DbConn, new: NewUser<'_>) -> StoreResult<User> {
    let t = now();
    let id: i64 = diesel::insert_into(users::table)
        .values((
            users::email.eq(new.email),
            users::password_hash.eq(new.password_hash),
            users::display_name.eq(new.display_name),
            users::phone.eq(new.phone),
            users::role.eq("user"),
            users::language.eq(new.language),
            users::created_at.eq(t),
            users::updated_at.eq(t),
        ))
        .returning(users::id)
        .get_result(conn)
        .map_err(|e| StoreError::unique_as(e, "email_taken"))?;
    find_user(conn, id)
}

pub fn find_user(conn: &mut DbConn, id: i64) -> StoreResult<User> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)
}

pub fn find_user_by_email(conn: &mut DbConn, email: &str) -> StoreResult<Option<User>> {
    Ok(users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn mark_email_verified(conn: &mut DbConn, id: i64) -> StoreResult<()> {
    let t = now();
    diesel::update(
        users::table
            .find(id)
            .filter(users::email_verified_at.is_null()),
    )
    .set((users::email_verified_at.eq(t), users::updated_at.eq(t)))
    .execute(conn)?;
    Ok(())
}

pub fn set_password_hash(conn: &mut DbConn, id: i64, hash: &str) -> StoreResult<()> {
    let n = diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now())))
        .execute(conn)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Phone and display names of several users at once, for listing pages.
pub fn find_users(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Vec<User>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select(User::as_select())
        .load(conn)?)
}

pub fn set_language(conn: &mut DbConn, id: i64, language: &str) -> StoreResult<()> {
    diesel::update(users::table.find(id))
        .set((users::language.eq(language), users::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

pub fn set_price_drop_alerts(conn: &mut DbConn, id: i64, on: bool) -> StoreResult<()> {
    diesel::update(users::table.find(id))
        .set((users::price_drop_alerts.eq(on), users::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}
