//! Ratings between the two sides of a conversation (rules in `souk_domain::rating`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use souk_domain::rating::{is_visible, rater_weight, weighted_average, ValidRating};

use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::{messages, ratings, users};
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = ratings)]
pub struct Rating {
    pub id: i64,
    pub conversation_id: i64,
    pub rater_id: i64,
    pub ratee_id: i64,
    pub stars: i32,
    pub tags: String,
    pub comment: Option<String>,
    pub answer: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
    pub removed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl Rating {
    pub fn tag_list(&self) -> Vec<String> {
        self.tags
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// Whether both `a` and `b` wrote in the conversation.
pub fn both_wrote(conn: &mut DbConn, conversation_id: i64, a: i64, b: i64) -> StoreResult<bool> {
    let senders: Vec<i64> = messages::table
        .filter(messages::conversation_id.eq(conversation_id))
        .filter(messages::sender_id.eq_any([a, b]))
        .select(messages::sender_id)
        .distinct()
        .load(conn)?;
    Ok(senders.len() == 2)
}

/// One rating per side and conversation: a second is `already_rated`.
pub fn insert(
    conn: &mut DbConn,
    conversation_id: i64,
    rater_id: i64,
    ratee_id: i64,
    r: &ValidRating,
) -> StoreResult<Rating> {
    let id: i64 = diesel::insert_into(ratings::table)
        .values((
            ratings::conversation_id.eq(conversation_id),
            ratings::rater_id.eq(rater_id),
            ratings::ratee_id.eq(ratee_id),
            ratings::stars.eq(r.stars),
            ratings::tags.eq(r.tags.join(",")),
            ratings::comment.eq(&r.comment),
            ratings::created_at.eq(now()),
        ))
        .returning(ratings::id)
        .get_result(conn)
        .map_err(|e| StoreError::unique_as(e, "already_rated"))?;
    find(conn, id)
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Rating> {
    ratings::table
        .find(id)
        .select(Rating::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// The rated person's public answer, once.
pub fn answer(conn: &mut DbConn, id: i64, text: &str) -> StoreResult<bool> {
    Ok(diesel::update(
        ratings::table
            .filter(ratings::id.eq(id))
            .filter(ratings::answer.is_null()),
    )
    .set((ratings::answer.eq(text), ratings::answered_at.eq(now())))
    .execute(conn)?
        > 0)
}

pub fn remove(conn: &mut DbConn, id: i64) -> StoreResult<bool> {
    Ok(diesel::update(
        ratings::table
            .filter(ratings::id.eq(id))
            .filter(ratings::removed_at.is_null()),
    )
    .set(ratings::removed_at.eq(now()))
    .execute(conn)?
        > 0)
}

/// The ratings of `ratee` the public may see, newest first: not removed, not from a banned
/// account, out of their blind period, and only each rater's latest. Capped: a profile shows
/// the latest.
pub fn visible_for(conn: &mut DbConn, ratee: i64) -> StoreResult<Vec<VisibleRating>> {
    let rows: Vec<(Rating, String, NaiveDateTime, Option<NaiveDateTime>)> = ratings::table
        .inner_join(users::table.on(users::id.eq(ratings::rater_id)))
        .filter(ratings::ratee_id.eq(ratee))
        .filter(ratings::removed_at.is_null())
        .filter(users::banned_at.is_null())
        .order(ratings::id.desc())
        .limit(2000)
        .select((
            Rating::as_select(),
            users::display_name,
            users::created_at,
            users::phone_verified_at,
        ))
        .load(conn)?;
    // The other side's ratings in the same conversations, for the double-blind rule.
    let conversations: Vec<i64> = rows.iter().map(|(r, ..)| r.conversation_id).collect();
    let answered: Vec<i64> = ratings::table
        .filter(ratings::conversation_id.eq_any(&conversations))
        .filter(ratings::rater_id.eq(ratee))
        .select(ratings::conversation_id)
        .load(conn)?;
    let t = now();
    // One rating per person counts, their latest (rows come newest first): a rival who rated
    // after each of several conversations is one voice.
    let mut raters = std::collections::HashSet::new();
    Ok(rows
        .into_iter()
        .filter(|(r, ..)| {
            is_visible(
                (t - r.created_at).num_days(),
                answered.contains(&r.conversation_id),
            )
        })
        .filter(|(r, ..)| raters.insert(r.rater_id))
        .map(|(rating, rater_name, rater_since, phone)| VisibleRating {
            weight: rater_weight(
                (rating.created_at - rater_since).num_days(),
                phone.is_some(),
            ),
            rating,
            rater_name,
        })
        .collect())
}

/// A rating the public sees, with its rater's name and how much it counts in the average.
#[derive(Debug, Clone)]
pub struct VisibleRating {
    pub rating: Rating,
    pub rater_name: String,
    /// `souk_domain::rating::rater_weight`.
    pub weight: f64,
}

/// Every rated user's visible ratings as (user id, count, weighted average), by the same rules
/// as `visible_for`. One pass over the ratings table: result lists refresh it now and then.
pub fn visible_summaries(conn: &mut DbConn) -> StoreResult<Vec<(i64, i64, f64)>> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i64,
        i64,
        i64,
        i32,
        NaiveDateTime,
        i64,
        NaiveDateTime,
        Option<NaiveDateTime>,
    )> = ratings::table
        .inner_join(users::table.on(users::id.eq(ratings::rater_id)))
        .filter(ratings::removed_at.is_null())
        .filter(users::banned_at.is_null())
        .select((
            ratings::ratee_id,
            ratings::rater_id,
            ratings::conversation_id,
            ratings::stars,
            ratings::created_at,
            ratings::id,
            users::created_at,
            users::phone_verified_at,
        ))
        .load(conn)?;
    let rated: std::collections::HashSet<(i64, i64)> = rows.iter().map(|r| (r.2, r.1)).collect();
    let t = now();
    // One rating per (rater, ratee), the latest visible one, as on the profile.
    let mut latest: std::collections::HashMap<(i64, i64), (i64, i32, f64)> = Default::default();
    for (ratee, rater, conversation, stars, created, id, rater_since, phone) in rows {
        if is_visible(
            (t - created).num_days(),
            rated.contains(&(conversation, ratee)),
        ) {
            let weight = rater_weight((created - rater_since).num_days(), phone.is_some());
            let e = latest.entry((ratee, rater)).or_insert((id, stars, weight));
            if id >= e.0 {
                *e = (id, stars, weight);
            }
        }
    }
    let mut by_user: std::collections::HashMap<i64, Vec<(i32, f64)>> = Default::default();
    for ((ratee, _), (_, stars, weight)) in latest {
        by_user.entry(ratee).or_default().push((stars, weight));
    }
    Ok(by_user
        .into_iter()
        .filter_map(|(u, all)| {
            let n = all.len() as i64;
            weighted_average(all).map(|avg| (u, n, avg))
        })
        .collect())
}
