//! Threads between a buyer and a seller about one ad. Neither side's email address is stored
//! here: the relay looks them up when it writes the email.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::listings::Listing;
use crate::schema::{conversations, messages, user_blocks, users};
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
    pub buyer_read_id: Option<i64>,
    pub seller_read_id: Option<i64>,
    pub buyer_unread: i32,
    pub seller_unread: i32,
    pub buyer_emailed_id: Option<i64>,
    pub seller_emailed_id: Option<i64>,
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

    /// The last message `user_id` has read in the thread (None: none yet).
    pub fn read_id_of(&self, user_id: i64) -> Option<i64> {
        if user_id == self.buyer_id {
            self.buyer_read_id
        } else {
            self.seller_read_id
        }
    }

    /// How many of the other side's messages `user_id` has not read.
    pub fn unread_of(&self, user_id: i64) -> i32 {
        if user_id == self.buyer_id {
            self.buyer_unread
        } else {
            self.seller_unread
        }
    }

    /// The last message the delayed unread-message email to `user_id` covered.
    pub fn emailed_id_of(&self, user_id: i64) -> Option<i64> {
        if user_id == self.buyer_id {
            self.buyer_emailed_id
        } else {
            self.seller_emailed_id
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
    /// Why the app should show it with a warning (`domain::message_safety`), if it should.
    pub warning: Option<String>,
    /// A photo sent in the thread: the key of its files in the private message-photos folder.
    pub photo_key: Option<String>,
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
    Ok(messages::table
        .filter(messages::conversation_id.eq(c.id))
        .filter(messages::sender_id.eq(c.seller_id))
        .select(messages::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// Takes the thread's row lock (PostgreSQL; SQLite's one writer already serialises) and
/// returns the thread as it now stands. Every change to a thread's messages, read marks and
/// emailed marks takes it first, so messages commit in the order of their ids, a read mark
/// never moves back and a counter never loses a message to a concurrent writer.
pub fn lock_thread(conn: &mut DbConn, id: i64) -> StoreResult<Conversation> {
    if let DbConn::Pg(_) = conn {
        diesel::sql_query("SELECT id FROM conversations WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::BigInt, _>(id)
            .execute(conn)?;
    }
    find(conn, id)
}

/// The buyer's thread about an ad: opened at their first contact, continued after (one thread
/// per buyer and ad, with the name and phone they last gave). The message goes in with
/// `add_message`.
pub fn open_thread(
    conn: &mut DbConn,
    listing: &Listing,
    buyer_id: i64,
    buyer_name: &str,
    buyer_phone: Option<&str>,
) -> StoreResult<Conversation> {
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
    find(conn, id)
}

/// Stores a message of `sender_id` in the thread: the other side has one more unread
/// message, and the sender has read the thread up to what they wrote.
pub fn add_message(
    conn: &mut DbConn,
    c: &Conversation,
    sender_id: i64,
    body: &str,
    warning: Option<&str>,
    photo_key: Option<&str>,
) -> StoreResult<Message> {
    let c = &lock_thread(conn, c.id)?;
    let t = now();
    let id: i64 = diesel::insert_into(messages::table)
        .values((
            messages::conversation_id.eq(c.id),
            messages::sender_id.eq(sender_id),
            messages::body.eq(body),
            messages::created_at.eq(t),
            messages::warning.eq(warning),
            messages::photo_key.eq(photo_key),
        ))
        .returning(messages::id)
        .get_result(conn)?;
    let row = conversations::table.find(c.id);
    if sender_id == c.buyer_id {
        diesel::update(row)
            .set((
                conversations::last_message_at.eq(t),
                conversations::seller_unread.eq(conversations::seller_unread + 1),
                conversations::buyer_read_id.eq(id),
                conversations::buyer_unread.eq(0),
            ))
            .execute(conn)?;
    } else {
        diesel::update(row)
            .set((
                conversations::last_message_at.eq(t),
                conversations::buyer_unread.eq(conversations::buyer_unread + 1),
                conversations::seller_read_id.eq(id),
                conversations::seller_unread.eq(0),
            ))
            .execute(conn)?;
    }
    Ok(messages::table
        .find(id)
        .select(Message::as_select())
        .first(conn)?)
}

/// Marks the thread read by `user_id` up to message `up_to` (never backwards) and recounts
/// what they have not read. Returns the thread as it now stands, and whether the mark moved.
pub fn mark_read(
    conn: &mut DbConn,
    c: &Conversation,
    user_id: i64,
    up_to: i64,
) -> StoreResult<(Conversation, bool)> {
    let c = &lock_thread(conn, c.id)?;
    let current = c.read_id_of(user_id);
    if current.is_some_and(|r| r >= up_to) {
        return Ok((c.clone(), false));
    }
    let unread: i64 = messages::table
        .filter(messages::conversation_id.eq(c.id))
        .filter(messages::id.gt(up_to))
        .filter(messages::sender_id.ne(user_id))
        .count()
        .get_result(conn)?;
    let unread = i32::try_from(unread).unwrap_or(i32::MAX);
    let row = conversations::table.find(c.id);
    if user_id == c.buyer_id {
        diesel::update(row)
            .set((
                conversations::buyer_read_id.eq(up_to),
                conversations::buyer_unread.eq(unread),
            ))
            .execute(conn)?;
    } else {
        diesel::update(row)
            .set((
                conversations::seller_read_id.eq(up_to),
                conversations::seller_unread.eq(unread),
            ))
            .execute(conn)?;
    }
    Ok((find(conn, c.id)?, true))
}

/// The message `id` if it belongs to the thread.
pub fn message_in(conn: &mut DbConn, conversation_id: i64, id: i64) -> StoreResult<Message> {
    messages::table
        .find(id)
        .filter(messages::conversation_id.eq(conversation_id))
        .select(Message::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// The newest message of the thread, if any.
pub fn latest_message_id(conn: &mut DbConn, conversation_id: i64) -> StoreResult<Option<i64>> {
    Ok(messages::table
        .filter(messages::conversation_id.eq(conversation_id))
        .order(messages::id.desc())
        .select(messages::id)
        .first(conn)
        .optional()?)
}

/// Unread messages of `user_id` over every thread of their inbox (threads with someone they
/// blocked are out of it, and were zeroed when they blocked), and how many threads hold some.
pub fn unread_total(conn: &mut DbConn, user_id: i64) -> StoreResult<(i64, i64)> {
    use diesel::dsl::{count_star, sum};
    let (buyer_threads, buyer_sum): (i64, Option<i64>) = conversations::table
        .filter(conversations::buyer_id.eq(user_id))
        .filter(conversations::buyer_unread.gt(0))
        .select((count_star(), sum(conversations::buyer_unread)))
        .first(conn)?;
    let (seller_threads, seller_sum): (i64, Option<i64>) = conversations::table
        .filter(conversations::seller_id.eq(user_id))
        .filter(conversations::seller_unread.gt(0))
        .select((count_star(), sum(conversations::seller_unread)))
        .first(conn)?;
    Ok((
        buyer_sum.unwrap_or(0) + seller_sum.unwrap_or(0),
        buyer_threads + seller_threads,
    ))
}

/// The other side's messages in the thread after `after` and up to `up_to` that `reader` has
/// not read, oldest first (at most `limit`): what the delayed email to `reader` carries.
pub fn unread_from(
    conn: &mut DbConn,
    c: &Conversation,
    reader: i64,
    after: i64,
    up_to: i64,
    limit: i64,
) -> StoreResult<Vec<Message>> {
    let read = c.read_id_of(reader).unwrap_or(0).max(after);
    Ok(messages::table
        .filter(messages::conversation_id.eq(c.id))
        .filter(messages::id.gt(read))
        .filter(messages::id.le(up_to))
        .filter(messages::sender_id.eq(c.counterpart(reader)))
        .order(messages::id.asc())
        .limit(limit)
        .select(Message::as_select())
        .load(conn)?)
}

/// The newest message of `sender` in the thread.
pub fn latest_from(conn: &mut DbConn, c: &Conversation, sender: i64) -> StoreResult<Option<i64>> {
    Ok(messages::table
        .filter(messages::conversation_id.eq(c.id))
        .filter(messages::sender_id.eq(sender))
        .order(messages::id.desc())
        .select(messages::id)
        .first(conn)
        .optional()?)
}

/// Records that the delayed email to `reader` covered the thread up to message `up_to`.
pub fn mark_emailed(
    conn: &mut DbConn,
    c: &Conversation,
    reader: i64,
    up_to: i64,
) -> StoreResult<()> {
    let row = conversations::table.find(c.id);
    if reader == c.buyer_id {
        diesel::update(row)
            .set(conversations::buyer_emailed_id.eq(up_to))
            .execute(conn)?;
    } else {
        diesel::update(row)
            .set(conversations::seller_emailed_id.eq(up_to))
            .execute(conn)?;
    }
    Ok(())
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
    // Threads with someone the user blocked leave their inbox (they come back on unblock).
    let blocked = || {
        user_blocks::table
            .filter(user_blocks::blocker_id.eq(user_id))
            .select(user_blocks::blocked_id)
    };
    let mine = (conversations::buyer_id
        .eq(user_id)
        .and(diesel::dsl::not(conversations::seller_id.eq_any(blocked()))))
    .or(conversations::seller_id
        .eq(user_id)
        .and(diesel::dsl::not(conversations::buyer_id.eq_any(blocked()))));
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

/// Who reads a thread: one of its people, who does not see the messages of a sender banned
/// since (withdrawn: the scam stays out of the victim's sight), or a moderator, who sees all.
#[derive(Debug, Clone, Copy)]
pub enum Reader {
    Party(i64),
    Moderator,
}

/// The messages of a thread, oldest first (at most `limit`, the latest ones).
pub fn messages_of(
    conn: &mut DbConn,
    conversation_id: i64,
    limit: i64,
    reader: Reader,
) -> StoreResult<Vec<Message>> {
    let mut query = messages::table
        .filter(messages::conversation_id.eq(conversation_id))
        .into_boxed();
    if let Reader::Party(me) = reader {
        query = query.filter(
            messages::sender_id
                .eq(me)
                .or(diesel::dsl::not(diesel::dsl::exists(
                    users::table
                        .filter(users::id.eq(messages::sender_id))
                        .filter(users::banned_at.is_not_null()),
                ))),
        );
    }
    let mut latest: Vec<Message> = query
        .order(messages::id.desc())
        .limit(limit)
        .select(Message::as_select())
        .load(conn)?;
    latest.reverse();
    Ok(latest)
}

/// The last message `reader` sees in each given thread.
pub fn last_messages(conn: &mut DbConn, ids: &[i64], reader: Reader) -> StoreResult<Vec<Message>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(m) = messages_of(conn, *id, 1, reader)?.pop() {
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

/// The message of the thread that carries the photo `key`, as `reader` may see it (a photo of
/// a sender banned since is withdrawn like their words).
pub fn message_with_photo(
    conn: &mut DbConn,
    conversation_id: i64,
    key: &str,
    reader: Reader,
) -> StoreResult<Option<Message>> {
    let found: Option<Message> = messages::table
        .filter(messages::conversation_id.eq(conversation_id))
        .filter(messages::photo_key.eq(key))
        .select(Message::as_select())
        .first(conn)
        .optional()?;
    let Some(m) = found else {
        return Ok(None);
    };
    if let Reader::Party(me) = reader {
        if m.sender_id != me {
            let banned: Option<NaiveDateTime> = users::table
                .find(m.sender_id)
                .select(users::banned_at)
                .first(conn)?;
            if banned.is_some() {
                return Ok(None);
            }
        }
    }
    Ok(Some(m))
}

/// The messages `ids` of the thread, oldest first (the reported ones a moderator must see).
pub fn messages_by_ids(
    conn: &mut DbConn,
    conversation_id: i64,
    ids: &[i64],
) -> StoreResult<Vec<Message>> {
    Ok(messages::table
        .filter(messages::conversation_id.eq(conversation_id))
        .filter(messages::id.eq_any(ids))
        .order(messages::id.asc())
        .select(Message::as_select())
        .load(conn)?)
}
