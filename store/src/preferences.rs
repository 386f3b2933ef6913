//! What a user wants to be told, and when: read receipts, push notifications by kind, quiet
//! hours. A user without a row has the defaults (everything on, no quiet hours).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::user_preferences;
use crate::time::now;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = user_preferences)]
pub struct Preferences {
    pub user_id: i64,
    pub read_receipts: bool,
    pub push_messages: bool,
    pub push_price_drops: bool,
    pub push_saved_searches: bool,
    pub push_expiry: bool,
    pub push_payments: bool,
    /// Minutes after midnight, Algiers time; both set or both unset.
    pub quiet_from: Option<i32>,
    pub quiet_until: Option<i32>,
    pub updated_at: NaiveDateTime,
}

impl Preferences {
    pub fn defaults(user_id: i64) -> Self {
        Preferences {
            user_id,
            read_receipts: true,
            push_messages: true,
            push_price_drops: true,
            push_saved_searches: true,
            push_expiry: true,
            push_payments: true,
            quiet_from: None,
            quiet_until: None,
            updated_at: NaiveDateTime::default(),
        }
    }
}

pub fn of(conn: &mut DbConn, user_id: i64) -> StoreResult<Preferences> {
    Ok(user_preferences::table
        .find(user_id)
        .select(Preferences::as_select())
        .first(conn)
        .optional()?
        .unwrap_or_else(|| Preferences::defaults(user_id)))
}

/// Stores the whole set (the caller started from `of`).
pub fn save(conn: &mut DbConn, mut p: Preferences) -> StoreResult<Preferences> {
    p.updated_at = now();
    let n = diesel::update(user_preferences::table.find(p.user_id))
        .set(&p)
        .execute(conn)?;
    if n == 0 {
        let inserted = diesel::insert_into(user_preferences::table)
            .values(&p)
            .execute(conn);
        if let Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) = inserted
        {
            // Another request inserted the row meanwhile: this one's settings win.
            diesel::update(user_preferences::table.find(p.user_id))
                .set(&p)
                .execute(conn)?;
        } else {
            inserted?;
        }
    }
    Ok(p)
}

pub fn forget_user(conn: &mut DbConn, user_id: i64) -> StoreResult<()> {
    diesel::delete(user_preferences::table.find(user_id)).execute(conn)?;
    Ok(())
}
