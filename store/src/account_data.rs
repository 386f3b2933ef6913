//! An account's data: everything souk holds about it, for the archive a user downloads, and
//! the deletion of an account (law 18-07 gives both rights).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use souk_domain::ListingStatus;

use crate::conversations::{Conversation, Message};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::listings::Listing;
use crate::moderation::Report;
use crate::photos::Photo;
use crate::ratings::Rating;
use crate::saved_searches::SavedSearch;
use crate::schema::photos;
use crate::schema::{
    account_exports, conversations, favorites, listing_daily_stats, listings, messages,
    one_time_tokens, phone_codes, ratings, refresh_tokens, reports, saved_searches, stores, users,
};
use crate::stores::Store;
use crate::time::now;
use crate::users::User;

/// Everything held about an account, as the archive's `account.json` holds it.
#[derive(Debug, Serialize)]
pub struct AccountData {
    pub profile: User,
    pub store: Option<Store>,
    pub listings: Vec<Listing>,
    pub photos: Vec<Photo>,
    /// Per ad and day: views, phone reveals, new threads, favourites.
    pub statistics: Vec<DailyStatsRow>,
    pub conversations: Vec<Conversation>,
    pub messages: Vec<Message>,
    pub favorites: Vec<FavoriteRow>,
    pub saved_searches: Vec<SavedSearch>,
    pub ratings_given: Vec<Rating>,
    pub ratings_received: Vec<Rating>,
    pub reports_filed: Vec<Report>,
    /// Every credit movement of the account (the ledger is kept for accounting).
    pub credits: Vec<crate::credits::Movement>,
}

#[derive(Debug, Serialize, Queryable)]
pub struct DailyStatsRow {
    pub listing_id: i64,
    /// Days since 1970-01-01 (UTC).
    pub day: i32,
    pub views: i64,
    pub phone_reveals: i64,
    pub threads: i64,
    pub favorites: i64,
    pub promoted_impressions: i64,
    pub promoted_clicks: i64,
}

#[derive(Debug, Serialize, Queryable)]
pub struct FavoriteRow {
    pub listing_id: i64,
    pub created_at: NaiveDateTime,
}

pub fn collect(conn: &mut DbConn, user_id: i64) -> StoreResult<AccountData> {
    let profile = crate::users::find_user(conn, user_id)?;
    let store = crate::stores::find_by_owner(conn, user_id)?;
    let listings: Vec<Listing> = listings::table
        .filter(listings::user_id.eq(user_id))
        .order(listings::id.asc())
        .select(Listing::as_select())
        .load(conn)?;
    // Subqueries, not id lists: a large store's ids would pass the bind-parameter limit.
    let own_ads = listings::table
        .filter(listings::user_id.eq(user_id))
        .select(listings::id);
    let photos = photos::table
        .filter(photos::listing_id.eq_any(own_ads))
        .order((photos::listing_id, photos::position, photos::id))
        .select(Photo::as_select())
        .load(conn)?;
    let statistics = listing_daily_stats::table
        .filter(listing_daily_stats::listing_id.eq_any(own_ads))
        .order((listing_daily_stats::listing_id, listing_daily_stats::day))
        .load(conn)?;
    let conversations: Vec<Conversation> = conversations::table
        .filter(
            conversations::buyer_id
                .eq(user_id)
                .or(conversations::seller_id.eq(user_id)),
        )
        .order(conversations::id.asc())
        .select(Conversation::as_select())
        .load(conn)?;
    let mine = conversations::table
        .filter(
            conversations::buyer_id
                .eq(user_id)
                .or(conversations::seller_id.eq(user_id)),
        )
        .select(conversations::id);
    let messages = messages::table
        .filter(messages::conversation_id.eq_any(mine))
        .order(messages::id.asc())
        .select(Message::as_select())
        .load(conn)?;
    let favorites = favorites::table
        .filter(favorites::user_id.eq(user_id))
        .select((favorites::listing_id, favorites::created_at))
        .load(conn)?;
    let saved_searches = saved_searches::table
        .filter(saved_searches::user_id.eq(user_id))
        .select(SavedSearch::as_select())
        .load(conn)?;
    let ratings_given = ratings::table
        .filter(ratings::rater_id.eq(user_id))
        .order(ratings::id.asc())
        .select(Rating::as_select())
        .load(conn)?;
    // Only what the public sees: an export must not open the double-blind period.
    let ratings_received = crate::ratings::visible_for(conn, user_id)?
        .into_iter()
        .map(|v| v.rating)
        .collect();
    let reports_filed = reports::table
        .filter(reports::reporter_id.eq(user_id))
        .select(Report::as_select())
        .load(conn)?;
    Ok(AccountData {
        profile,
        store,
        listings,
        photos,
        statistics,
        conversations,
        messages,
        favorites,
        saved_searches,
        ratings_given,
        ratings_received,
        reports_filed,
        credits: crate::credits::movements(conn, user_id, i64::MAX)?,
    })
}

/// What a deletion leaves for the caller to do outside the database: files to remove.
#[derive(Debug, Default)]
pub struct Deleted {
    /// Storage keys of the ads' photos and the store's logo and banner.
    pub image_keys: Vec<String>,
    /// Exports whose archives must go.
    pub export_ids: Vec<i64>,
}

/// Deletes an account, in the caller's transaction: its ads leave search at once (deleted,
/// purged with their photos after the retention for deleted ads), sessions end, no email or
/// text goes to it again, and the row keeps no personal data: messages stay readable by the
/// other side under an anonymous author. Ratings the person gave stay, anonymous; those they
/// received and their ban are kept, unseen, under a hash of the canonical mailbox for
/// `MAILBOX_MEMORY_DAYS`, for an account of the same mailbox to inherit
/// (`users::create_user`), then forgotten (`forget_deleted_mailboxes`).
pub fn delete_account(conn: &mut DbConn, user_id: i64) -> StoreResult<Deleted> {
    let t = now();
    let canonical: Option<String> = users::table
        .find(user_id)
        .select(users::email_canonical)
        .first(conn)
        .optional()?
        .flatten();
    let ads: Vec<i64> = listings::table
        .filter(listings::user_id.eq(user_id))
        .filter(listings::status.ne(ListingStatus::Deleted.as_str()))
        .select(listings::id)
        .load(conn)?;
    let mut out = Deleted::default();
    for id in ads {
        // As the seller's own delete does: stamped for the purge, photos gone at once.
        crate::listings::set_status(conn, id, ListingStatus::Deleted)?;
        let photos = crate::photos::delete_all_photos(conn, id)?;
        out.image_keys
            .extend(photos.into_iter().map(|p| p.storage_key));
    }
    if let Some(store) = crate::stores::find_by_owner(conn, user_id)? {
        out.image_keys
            .extend(store.logo_key.into_iter().chain(store.banner_key));
        diesel::delete(stores::table.find(store.id)).execute(conn)?;
    }
    // Every session ends (access tokens too: their generation is past), then the rows go.
    crate::tokens::revoke_all_for_user(conn, user_id)?;
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(one_time_tokens::table.filter(one_time_tokens::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(phone_codes::table.filter(phone_codes::user_id.eq(user_id))).execute(conn)?;
    diesel::delete(saved_searches::table.filter(saved_searches::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(favorites::table.filter(favorites::user_id.eq(user_id))).execute(conn)?;
    // No phone of theirs is notified again; their blocks and settings were theirs too.
    crate::devices::forget_user(conn, user_id)?;
    crate::blocks::forget_user(conn, user_id)?;
    crate::preferences::forget_user(conn, user_id)?;
    // The name and phone a buyer gave when writing are theirs too.
    diesel::update(conversations::table.filter(conversations::buyer_id.eq(user_id)))
        .set((
            conversations::buyer_name.eq(DELETED_NAME),
            conversations::buyer_phone.eq(None::<String>),
        ))
        .execute(conn)?;
    out.export_ids = account_exports::table
        .filter(account_exports::user_id.eq(user_id))
        .select(account_exports::id)
        .load(conn)?;
    diesel::delete(account_exports::table.filter(account_exports::user_id.eq(user_id)))
        .execute(conn)?;
    let n = diesel::update(users::table.find(user_id))
        .set((
            // A unique, undeliverable address: the mailbox is free to register again.
            users::email.eq(format!("deleted-{user_id}@deleted.invalid")),
            users::email_canonical.eq(None::<String>),
            users::mailbox_hash.eq(canonical.as_deref().map(crate::users::mailbox_hash)),
            // No password hashes to this: nobody signs in again, device tokens are void.
            users::password_hash.eq("!deleted"),
            users::display_name.eq(DELETED_NAME),
            users::phone.eq(None::<String>),
            users::phone_verified_at.eq(None::<NaiveDateTime>),
            users::phone_public.eq(false),
            users::email_verified_at.eq(None::<NaiveDateTime>),
            users::price_drop_alerts.eq(false),
            users::wilaya.eq(None::<i32>),
            users::deleted_at.eq(t),
            users::updated_at.eq(t),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(out)
}

/// Forgets, a batch at a time, the mailboxes of accounts deleted before `before`, with the
/// ratings they received (kept only for a new account of the mailbox to inherit).
pub fn forget_deleted_mailboxes(
    conn: &mut DbConn,
    before: NaiveDateTime,
    batch: i64,
) -> StoreResult<usize> {
    let ids: Vec<i64> = users::table
        .filter(users::mailbox_hash.is_not_null())
        .filter(users::deleted_at.lt(before))
        .select(users::id)
        .limit(batch)
        .load(conn)?;
    diesel::delete(ratings::table.filter(ratings::ratee_id.eq_any(&ids))).execute(conn)?;
    diesel::update(users::table.filter(users::id.eq_any(&ids)))
        .set(users::mailbox_hash.eq(None::<String>))
        .execute(conn)?;
    Ok(ids.len())
}

/// The name a deleted account's messages and ratings show.
pub const DELETED_NAME: &str = "—";

pub const EXPORT_QUEUED: &str = "queued";
pub const EXPORT_READY: &str = "ready";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = account_exports)]
pub struct Export {
    pub id: i64,
    pub user_id: i64,
    pub token_hash: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub ready_at: Option<NaiveDateTime>,
    pub expires_at: NaiveDateTime,
}

/// The account's newest export that has not expired.
pub fn latest_export(conn: &mut DbConn, user_id: i64) -> StoreResult<Option<Export>> {
    Ok(account_exports::table
        .filter(account_exports::user_id.eq(user_id))
        .filter(account_exports::expires_at.gt(now()))
        .order(account_exports::id.desc())
        .select(Export::as_select())
        .first(conn)
        .optional()?)
}

pub fn create_export(
    conn: &mut DbConn,
    user_id: i64,
    token_hash: &str,
    keep: Duration,
) -> StoreResult<i64> {
    let t = now();
    Ok(diesel::insert_into(account_exports::table)
        .values((
            account_exports::user_id.eq(user_id),
            account_exports::token_hash.eq(token_hash),
            account_exports::status.eq(EXPORT_QUEUED),
            account_exports::created_at.eq(t),
            account_exports::expires_at.eq(t + keep),
        ))
        .returning(account_exports::id)
        .get_result(conn)?)
}

pub fn find_export(conn: &mut DbConn, id: i64) -> StoreResult<Option<Export>> {
    Ok(account_exports::table
        .find(id)
        .select(Export::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_export_by_token(conn: &mut DbConn, token_hash: &str) -> StoreResult<Option<Export>> {
    Ok(account_exports::table
        .filter(account_exports::token_hash.eq(token_hash))
        .filter(account_exports::expires_at.gt(now()))
        .select(Export::as_select())
        .first(conn)
        .optional()?)
}

/// Returns false when the export is gone (the account was deleted while it was built).
pub fn mark_export_ready(conn: &mut DbConn, id: i64) -> StoreResult<bool> {
    Ok(diesel::update(account_exports::table.find(id))
        .set((
            account_exports::status.eq(EXPORT_READY),
            account_exports::ready_at.eq(now()),
        ))
        .execute(conn)?
        > 0)
}

/// Exports past their date, removed with their files by the purge.
pub fn take_expired_exports(conn: &mut DbConn, limit: i64) -> StoreResult<Vec<i64>> {
    let ids: Vec<i64> = account_exports::table
        .filter(account_exports::expires_at.le(now()))
        .select(account_exports::id)
        .limit(limit)
        .load(conn)?;
    diesel::delete(account_exports::table.filter(account_exports::id.eq_any(&ids)))
        .execute(conn)?;
    Ok(ids)
}
