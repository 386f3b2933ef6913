//! Seller statistics: per ad and per day, views, phone reveals, new contact threads and
//! favourites added. Written where each happens (views in the batched flush), read by the
//! seller for one ad or for a store.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::listing_daily_stats as s;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    Views,
    PhoneReveals,
    Threads,
    Favorites,
    /// Shown in a featured slot above a search or browse page.
    PromotedImpressions,
    /// Opened from a featured slot.
    PromotedClicks,
}

/// Today, as days since 1970-01-01 (UTC).
pub fn today() -> i32 {
    (crate::time::now().and_utc().timestamp().div_euclid(86_400)) as i32
}

/// Adds `by` to one counter of `listing_id` for today, in one upsert (a failed insert would
/// abort the caller's transaction on PostgreSQL, so no insert-then-update).
pub fn bump(conn: &mut DbConn, listing_id: i64, stat: Stat, by: i64) -> StoreResult<()> {
    let mut counts = [0_i64; 6];
    counts[stat as usize] = by;
    const UPSERT: &str = "INSERT INTO listing_daily_stats \
        (listing_id, day, views, phone_reveals, threads, favorites, promoted_impressions, \
        promoted_clicks) VALUES ({}) \
        ON CONFLICT (listing_id, day) DO UPDATE SET \
        views = listing_daily_stats.views + excluded.views, \
        phone_reveals = listing_daily_stats.phone_reveals + excluded.phone_reveals, \
        threads = listing_daily_stats.threads + excluded.threads, \
        favorites = listing_daily_stats.favorites + excluded.favorites, \
        promoted_impressions = listing_daily_stats.promoted_impressions \
            + excluded.promoted_impressions, \
        promoted_clicks = listing_daily_stats.promoted_clicks + excluded.promoted_clicks";
    let params = match conn {
        DbConn::Pg(_) => "$1, $2, $3, $4, $5, $6, $7, $8",
        DbConn::Sqlite(_) => "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8",
    };
    use diesel::sql_types::{BigInt, Integer};
    let [v, r, t, f, i, c] = counts;
    diesel::sql_query(UPSERT.replace("{}", params))
        .bind::<BigInt, _>(listing_id)
        .bind::<Integer, _>(today())
        .bind::<BigInt, _>(v)
        .bind::<BigInt, _>(r)
        .bind::<BigInt, _>(t)
        .bind::<BigInt, _>(f)
        .bind::<BigInt, _>(i)
        .bind::<BigInt, _>(c)
        .execute(conn)?;
    Ok(())
}

/// One day's counters (summed over the ads asked for).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DayStats {
    pub day: i32,
    pub views: i64,
    pub phone_reveals: i64,
    pub threads: i64,
    pub favorites: i64,
    pub promoted_impressions: i64,
    pub promoted_clicks: i64,
}

/// Per day from `since` (inclusive), summed over `listing_ids`, oldest first; days without
/// activity are absent.
pub fn daily(conn: &mut DbConn, listing_ids: &[i64], since: i32) -> StoreResult<Vec<DayStats>> {
    type Row = (i32, i64, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = s::table
        .filter(s::listing_id.eq_any(listing_ids))
        .filter(s::day.ge(since))
        .select((
            s::day,
            s::views,
            s::phone_reveals,
            s::threads,
            s::favorites,
            s::promoted_impressions,
            s::promoted_clicks,
        ))
        .load(conn)?;
    let mut by_day: std::collections::BTreeMap<i32, DayStats> = Default::default();
    for (day, v, r, t, f, i, c) in rows {
        let d = by_day.entry(day).or_insert(DayStats {
            day,
            ..Default::default()
        });
        d.views += v;
        d.phone_reveals += r;
        d.threads += t;
        d.favorites += f;
        d.promoted_impressions += i;
        d.promoted_clicks += c;
    }
    Ok(by_day.into_values().collect())
}
