//! Saved searches: a search's query string, and how far the alerts for it have got.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::{listings, saved_searches};
use crate::time::now;

pub const INSTANT: &str = "instant";
pub const DAILY: &str = "daily";

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = saved_searches)]
pub struct SavedSearch {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub query: String,
    pub frequency: String,
    pub last_listing_id: i64,
    pub last_sent_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// Saves a search. Alerts start with ads posted from now on: the watermark is the newest
/// listing id at this moment.
pub fn create(
    conn: &mut DbConn,
    user_id: i64,
    name: &str,
    query: &str,
    frequency: &str,
) -> StoreResult<SavedSearch> {
    let newest: Option<i64> = listings::table
        .select(diesel::dsl::max(listings::id))
        .first(conn)?;
    let id: i64 = diesel::insert_into(saved_searches::table)
        .values((
            saved_searches::user_id.eq(user_id),
            saved_searches::name.eq(name),
            saved_searches::query.eq(query),
            saved_searches::frequency.eq(frequency),
            saved_searches::last_listing_id.eq(newest.unwrap_or(0)),
            saved_searches::created_at.eq(now()),
        ))
        .returning(saved_searches::id)
        .get_result(conn)?;
    find(conn, id)
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<SavedSearch> {
    saved_searches::table
        .find(id)
        .select(SavedSearch::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)
}

pub fn list_for_user(conn: &mut DbConn, user_id: i64) -> StoreResult<Vec<SavedSearch>> {
    Ok(saved_searches::table
        .filter(saved_searches::user_id.eq(user_id))
        .order(saved_searches::id.asc())
        .select(SavedSearch::as_select())
        .load(conn)?)
}

pub fn count_for_user(conn: &mut DbConn, user_id: i64) -> StoreResult<i64> {
    Ok(saved_searches::table
        .filter(saved_searches::user_id.eq(user_id))
        .count()
        .get_result(conn)?)
}

/// Deletes a user's saved search; false when it is not theirs or gone.
pub fn delete(conn: &mut DbConn, user_id: i64, id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(
        saved_searches::table
            .filter(saved_searches::id.eq(id))
            .filter(saved_searches::user_id.eq(user_id)),
    )
    .execute(conn)?
        > 0)
}

/// Saved searches of `frequency` with an id above `after_id` (callers page through all of
/// them) whose alerts are due: instant ones always, daily ones when
/// the last digest is a day old. On PostgreSQL the rows are locked (skipping locked ones) so
/// two workers never alert for the same search at once; call inside a transaction.
pub fn claim_due(
    conn: &mut DbConn,
    frequency: &str,
    sent_before: NaiveDateTime,
    after_id: i64,
    limit: i64,
) -> StoreResult<Vec<SavedSearch>> {
    let due = saved_searches::frequency
        .eq(frequency)
        .and(saved_searches::id.gt(after_id))
        .and(
            saved_searches::last_sent_at
                .is_null()
                .or(saved_searches::last_sent_at.le(sent_before)),
        );
    // Built once per backend: a diesel query is typed by the backend it runs on.
    Ok(match conn {
        DbConn::Pg(pg) => saved_searches::table
            .filter(due)
            .order(saved_searches::id.asc())
            .limit(limit)
            .select(SavedSearch::as_select())
            .for_update()
            .skip_locked()
            .load(pg)?,
        DbConn::Sqlite(lite) => saved_searches::table
            .filter(due)
            .order(saved_searches::id.asc())
            .limit(limit)
            .select(SavedSearch::as_select())
            .load(lite)?,
    })
}

/// Moves a search's watermark past the ads just looked at; `sent` stamps a sent alert.
pub fn advance(conn: &mut DbConn, id: i64, last_listing_id: i64, sent: bool) -> StoreResult<()> {
    if sent {
        diesel::update(saved_searches::table.find(id))
            .set((
                saved_searches::last_listing_id.eq(last_listing_id),
                saved_searches::last_sent_at.eq(now()),
            ))
            .execute(conn)?;
    } else {
        diesel::update(saved_searches::table.find(id))
            .set(saved_searches::last_listing_id.eq(last_listing_id))
            .execute(conn)?;
    }
    Ok(())
}
