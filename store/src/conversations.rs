//! Threads between a buyer and a seller about one ad. Neither side's email address is stored
//! here: the relay looks them up when it writes the email.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::listings::Listing;
use crate::schema::{conversations, messages, users};
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = conversations)]
pub struct Conversation {
    pub id: i64,
    pub listing_id: Option<i64>,
    pub listing_title: String,
    pub buyer_id: i64,
    pub seller_id: i64,
    pub buyer_name: String,
    pub buyer_phone: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_message_at: NaiveDateTime,
}

impl Conversation {
    pub fn is_participant(&self, user_id: i64) -> bool {
        self.buyer_id == user_id || self.seller_id == user_id
    }

    /// The other side of the thread from `user_id`.
    pub fn counterpart(&self, user_id: i64) -> i64 {
        if user_id == self.buyer_id {
            self.seller_id
        } else {
            self.buyer_id
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = messages)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub sender_id: i64,
    pub body: String,
    pub created_at: NaiveDateTime,
}

/// The buyer's thread about an ad, if there is one.
pub fn find_between(conn: &mut DbConn, listing_id: i64, buyer_id: i64) -> StoreResult<Option<i64>> {
    Ok(conversations::table
        .filter(conversations::listing_id.eq(listing_id))
        .filter(conversations::buyer_id.eq(buyer_id))
        .select(conversations::id)
        .first(conn)
        .optional()?)
}

/// Whether the seller has written in the thread (until then the buyer is a stranger).
pub fn seller_has_replied(conn: &mut DbConn, c: &Conversation) -> StoreResult<bool> {
    let n: i64 = messages::table
        .filter(messages::conversation_id.eq(c.id))
        .filter(messages::sender_id.eq(c.seller_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The buyer's first contact, or a further message in the thread the buyer already has about
/// this ad (one thread per buyer and ad). Returns the thread and the stored message.
pub fn contact_seller(
    conn: &mut DbConn,
    listing: &Listing,
    buyer_id: i64,
    buyer_name: &str,
    buyer_phone: Option<&str>,
    body: &str,
) -> StoreResult<(Conversation, Message)> {
    let t = now();
    let id = match find_between(conn, listing.id, buyer_id)? {
        Some(id) => {
            diesel::update(conversations::table.find(id))
                .set((
                    conversations::buyer_name.eq(buyer_name),
                    conversations::buyer_phone.eq(buyer_phone),
                ))
                .execute(conn)?;
            id
        }
        None => diesel::insert_into(conversations::table)
            .values((
                conversations::listing_id.eq(listing.id),
                conversations::listing_title.eq(&listing.title),
                conversations::buyer_id.eq(buyer_id),
                conversations::seller_id.eq(listing.user_id),
                conversations::buyer_name.eq(buyer_name),
                conversations::buyer_phone.eq(buyer_phone),
                conversations::created_at.eq(t),
                conversations::last_message_at.eq(t),
            ))
            .returning(conversations::id)
            .get_result(conn)
            .map_err(|e| StoreError::unique_as(e, "conversation_exists"))
            .and_then(|id| {
                crate::stats::bump(conn, listing.id, crate::stats::Stat::Threads, 1)?;
                Ok(id)
            })?,
    };
    let message = add_message(conn, id, buyer_id, body)?;
    Ok((find(conn, id)?, message))
}

pub fn add_message(
    conn: &mut DbConn,
    conversation_id: i64,
    sender_id: i64,
    body: &str,
) -> StoreResult<Message> {
    let t = now();
    let id: i64 = diesel::insert_into(messages::table)
        .values((
            messages::conversation_id.eq(conversation_id),
            messages::sender_id.eq(sender_id),
            messages::body.eq(body),
            messages::created_at.eq(t),
        ))
        .returning(messages::id)
        .get_result(conn)?;
    diesel::update(conversations::table.find(conversation_id))
        .set(conversations::last_message_at.eq(t))
        .execute(conn)?;
    Ok(messages::table
        .find(id)
        .select(Message::as_select())
        .first(conn)?)
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Conversation> {
    conversations::table
        .find(id)
        .select(Conversation::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// Threads where `user_id` is buyer or seller, the most recently active first.
pub fn list_for_user(
    conn: &mut DbConn,
    user_id: i64,
    page: i64,
    per_page: i64,
) -> StoreResult<(Vec<Conversation>, i64)> {
    let mine = conversations::buyer_id
        .eq(user_id)
        .or(conversations::seller_id.eq(user_id));
    let total: i64 = conversations::table.filter(mine).count().get_result(conn)?;
    let items = conversations::table
        .filter(mine)
        .order((
            conversations::last_message_at.desc(),
            conversations::id.desc(),
        ))
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select(Conversation::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// The messages of a thread, oldest first (at most `limit`, the latest ones).
pub fn messages_of(
    conn: &mut DbConn,
    conversation_id: i64,
    limit: i64,
) -> StoreResult<Vec<Message>> {
    let mut latest: Vec<Message> = messages::table
        .filter(messages::conversation_id.eq(conversation_id))
        .order(messages::id.desc())
        .limit(limit)
        .select(Message::as_select())
        .load(conn)?;
    latest.reverse();
    Ok(latest)
}

/// The last message of each given thread.
pub fn last_messages(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Vec<Message>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(m) = messages::table
            .filter(messages::conversation_id.eq(id))
            .order(messages::id.desc())
            .select(Message::as_select())
            .first(conn)
            .optional()?
        {
            out.push(m);
        }
    }
    Ok(out)
}

/// How a seller answers buyers: threads about their ads, how many they answered, and the
/// median time to the first answer (over the latest 200 threads).
pub struct ResponseStats {
    pub threads: i64,
    pub answered: i64,
    pub median_response_secs: Option<i64>,
}

pub fn seller_response_stats(conn: &mut DbConn, seller_id: i64) -> StoreResult<ResponseStats> {
    // Threads opened by accounts banned since (spammers, scammers) say nothing about how
    // the seller answers buyers.
    let threads: Vec<(i64, NaiveDateTime)> = conversations::table
        .inner_join(users::table.on(users::id.eq(conversations::buyer_id)))
        .filter(conversations::seller_id.eq(seller_id))
        .filter(users::banned_at.is_null())
        .order(conversations::id.desc())
        .limit(200)
        .select((conversations::id, conversations::created_at))
        .load(conn)?;
    let ids: Vec<i64> = threads.iter().map(|t| t.0).collect();
    let replies: Vec<(i64, NaiveDateTime)> = messages::table
        .filter(messages::conversation_id.eq_any(&ids))
        .filter(messages::sender_id.eq(seller_id))
        .order(messages::id.asc())
        .select((messages::conversation_id, messages::created_at))
        .load(conn)?;
    let mut first: std::collections::HashMap<i64, NaiveDateTime> = Default::default();
    for (c, at) in replies {
        first.entry(c).or_insert(at);
    }
    let mut delays: Vec<i64> = threads
        .iter()
        .filter_map(|(id, opened)| first.get(id).map(|r| (*r - *opened).num_seconds().max(0)))
        .collect();
    delays.sort_unstable();
    Ok(ResponseStats {
        threads: threads.len() as i64,
        answered: delays.len() as i64,
        median_response_secs: delays.get(delays.len() / 2).copied(),
    })
}

/// The threads about an ad: (thread id, buyer id), to tell their buyers what became of it.
pub fn threads_of_listing(conn: &mut DbConn, listing_id: i64) -> StoreResult<Vec<(i64, i64)>> {
    Ok(conversations::table
        .filter(conversations::listing_id.eq(listing_id))
        .select((conversations::id, conversations::buyer_id))
        .load(conn)?)
}
