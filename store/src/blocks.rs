//! Users blocking users: no new messages either way, and the threads with the blocked person
//! leave the blocker's inbox (`conversations::list_for_user`) until they unblock.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::{conversations, user_blocks};
use crate::time::now;

/// `blocker` blocks `blocked`; blocking twice is one block. Their threads' unread messages stop
/// counting for the blocker. Returns whether the block is new.
pub fn block(conn: &mut DbConn, blocker: i64, blocked: i64) -> StoreResult<bool> {
    if is_blocked_by(conn, blocker, blocked)? {
        return Ok(false);
    }
    let inserted = diesel::insert_into(user_blocks::table)
        .values((
            user_blocks::blocker_id.eq(blocker),
            user_blocks::blocked_id.eq(blocked),
            user_blocks::created_at.eq(now()),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => {}
        // A second tap committed first: one block.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    diesel::update(
        conversations::table
            .filter(conversations::buyer_id.eq(blocker))
            .filter(conversations::seller_id.eq(blocked)),
    )
    .set(conversations::buyer_unread.eq(0))
    .execute(conn)?;
    diesel::update(
        conversations::table
            .filter(conversations::seller_id.eq(blocker))
            .filter(conversations::buyer_id.eq(blocked)),
    )
    .set(conversations::seller_unread.eq(0))
    .execute(conn)?;
    Ok(true)
}

/// Lifts `blocker`'s block of `blocked`; returns whether there was one.
pub fn unblock(conn: &mut DbConn, blocker: i64, blocked: i64) -> StoreResult<bool> {
    let n = diesel::delete(user_blocks::table.find((blocker, blocked))).execute(conn)?;
    Ok(n > 0)
}

/// Whether `blocker` has blocked `blocked`.
pub fn is_blocked_by(conn: &mut DbConn, blocker: i64, blocked: i64) -> StoreResult<bool> {
    Ok(user_blocks::table
        .find((blocker, blocked))
        .select(user_blocks::blocker_id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// Whether either of the two has blocked the other.
pub fn between(conn: &mut DbConn, a: i64, b: i64) -> StoreResult<bool> {
    Ok(is_blocked_by(conn, a, b)? || is_blocked_by(conn, b, a)?)
}

/// Forgets every block by or of `user_id` (account deletion).
pub fn forget_user(conn: &mut DbConn, user_id: i64) -> StoreResult<()> {
    diesel::delete(
        user_blocks::table.filter(
            user_blocks::blocker_id
                .eq(user_id)
                .or(user_blocks::blocked_id.eq(user_id)),
        ),
    )
    .execute(conn)?;
    Ok(())
}
