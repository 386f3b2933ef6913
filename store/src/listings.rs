use chrono::NaiveDateTime;
use diesel::prelude::*;
use souk_domain::listing::ValidListing;
use souk_domain::{Attributes, ListingDraft, ListingStatus};

use crate::changes::record_change;
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::listings;
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = listings)]
pub struct Listing {
    pub id: i64,
    pub user_id: i64,
    pub title: String,
    pub description: String,
    pub category: String,
    pub attributes: String,
    pub price: Option<i64>,
    pub negotiable: bool,
    pub exchange: bool,
    pub wilaya: i32,
    pub commune: i32,
    pub lat: f64,
    pub lon: f64,
    pub show_phone: bool,
    /// none, seller or courier (`souk_domain::Delivery`).
    pub delivery: String,
    pub status: String,
    pub views: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub sold_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
    pub expiry_warned_at: Option<NaiveDateTime>,
    pub expired_at: Option<NaiveDateTime>,
    /// Set while moderation keeps the ad out of sight (see `hidden_by`).
    pub hidden_at: Option<NaiveDateTime>,
    pub hidden_by: Option<String>,
    pub hidden_reason: Option<String>,
    /// When the owner last bumped the ad to the top of "newest" (paid visibility).
    pub bumped_at: Option<NaiveDateTime>,
}

impl Listing {
    /// The status as users see it: an active listing past its expiry date is expired even
    /// before the worker's sweep has written so.
    pub fn status(&self) -> StoreResult<ListingStatus> {
        let stored = ListingStatus::parse(&self.status).ok_or_else(|| {
            StoreError::Corrupt(format!("listing {} status {}", self.id, self.status))
        })?;
        Ok(
            if stored == ListingStatus::Active && self.expires_at <= now() {
                ListingStatus::Expired
            } else {
                stored
            },
        )
    }

    pub fn attributes(&self) -> StoreResult<Attributes> {
        serde_json::from_str(&self.attributes)
            .map_err(|e| StoreError::Corrupt(format!("listing {} attributes: {e}", self.id)))
    }

    /// The listing as a draft again, so that a patch is validated like a new submission.
    pub fn to_draft(&self) -> StoreResult<ListingDraft> {
        let attributes = serde_json::from_str(&self.attributes)
            .map_err(|e| StoreError::Corrupt(format!("listing {} attributes: {e}", self.id)))?;
        Ok(ListingDraft {
            title: self.title.clone(),
            description: self.description.clone(),
            category: self.category.clone(),
            attributes,
            price: self.price,
            negotiable: self.negotiable,
            exchange: self.exchange,
            wilaya: self.wilaya,
            commune: self.commune,
            location: Some((self.lat, self.lon)),
            show_phone: self.show_phone,
            // A patch decides (`ListingPatch::apply`).
            price_confirmed: false,
            delivery: souk_domain::Delivery::parse(&self.delivery).unwrap_or_default(),
        })
    }
}

/// The columns an ad's content fills, from a checked listing: the one list that inserting,
/// editing and bulk loading share (a copy for the bulk load once lacked two of them).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = listings, treat_none_as_null = true)]
pub struct ListingContent {
    pub title: String,
    pub description: String,
    pub category: String,
    pub attributes: String,
    /// `None`: price on request (written as NULL on an edit too).
    pub price: Option<i64>,
    pub negotiable: bool,
    pub exchange: bool,
    pub wilaya: i32,
    pub commune: i32,
    pub lat: f64,
    pub lon: f64,
    pub show_phone: bool,
    pub delivery: String,
    pub text_hash: Option<String>,
}

impl ListingContent {
    pub fn of(l: &ValidListing) -> ListingContent {
        ListingContent {
            title: l.title.clone(),
            description: l.description.clone(),
            category: l.category.clone(),
            attributes: attributes_json(&l.attributes),
            price: l.price,
            negotiable: l.negotiable,
            exchange: l.exchange,
            wilaya: l.wilaya,
            commune: l.commune,
            lat: l.lat,
            lon: l.lon,
            show_phone: l.show_phone,
            delivery: l.delivery.as_str().to_string(),
            text_hash: Some(text_hash(l)),
        }
    }
}

/// A new ad's row: its content, owner, status and dates (the caller's for a bulk load).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = listings)]
pub struct NewListingRow {
    pub user_id: i64,
    #[diesel(embed)]
    pub content: ListingContent,
    pub status: String,
    pub views: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

fn attributes_json(a: &Attributes) -> String {
    serde_json::to_string(a).unwrap_or_else(|_| "{}".into())
}

/// Puts an ad back at the top of "newest" (a paid bump), through the change feed, if it is
/// still active, visible and not bumped since `not_since`: `Conflict("bumped_recently")`
/// otherwise. One conditional statement, so of two bumps racing on PostgreSQL the second
/// waits for the first's row lock, then finds the ad bumped and rolls its charge back.
pub fn mark_bumped(
    conn: &mut DbConn,
    listing_id: i64,
    at: NaiveDateTime,
    not_since: NaiveDateTime,
) -> StoreResult<()> {
    let changed = diesel::update(
        listings::table
            .find(listing_id)
            .filter(listings::status.eq(ListingStatus::Active.as_str()))
            .filter(listings::hidden_at.is_null())
            .filter(
                listings::bumped_at
                    .is_null()
                    .or(listings::bumped_at.le(not_since)),
            ),
    )
    .set(listings::bumped_at.eq(Some(at)))
    .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::Conflict("bumped_recently"));
    }
    record_change(conn, listing_id)
}

fn text_hash(l: &ValidListing) -> String {
    crate::secret::token_hash(&souk_domain::listing::text_fingerprint(
        &l.title,
        &l.description,
    ))
}

/// The seller's active, visible ad with the same text as `l`, if any (an index lookup).
pub fn own_duplicate(
    conn: &mut DbConn,
    user_id: i64,
    l: &ValidListing,
) -> StoreResult<Option<i64>> {
    Ok(listings::table
        .filter(listings::user_id.eq(user_id))
        .filter(listings::text_hash.eq(text_hash(l)))
        .filter(listings::status.eq(ListingStatus::Active.as_str()))
        .filter(listings::expires_at.gt(now()))
        .filter(listings::hidden_at.is_null())
        .select(listings::id)
        .first(conn)
        .optional()?)
}

pub fn insert_listing(
    conn: &mut DbConn,
    user_id: i64,
    l: &ValidListing,
    expires_at: NaiveDateTime,
) -> StoreResult<Listing> {
    let t = now();
    let id: i64 = diesel::insert_into(listings::table)
        .values(NewListingRow {
            user_id,
            content: ListingContent::of(l),
            status: ListingStatus::Active.as_str().to_string(),
            views: 0,
            created_at: t,
            updated_at: t,
            expires_at,
        })
        .returning(listings::id)
        .get_result(conn)?;
    record_change(conn, id)?;
    get_listing(conn, id)
}

pub fn get_listing(conn: &mut DbConn, id: i64) -> StoreResult<Listing> {
    listings::table
        .find(id)
        .select(Listing::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// Like `get_listing`, but a deleted listing is gone as far as anyone outside is concerned,
/// and so is one that moderation hides.
pub fn get_visible_listing(conn: &mut DbConn, id: i64) -> StoreResult<Listing> {
    let l = get_listing(conn, id)?;
    if l.status == ListingStatus::Deleted.as_str() || l.hidden_at.is_some() {
        return Err(StoreError::NotFound);
    }
    Ok(l)
}

/// A public ad with its seller, in one round trip (the read buyers make most; one query less
/// of four per read on PostgreSQL).
pub fn get_visible_listing_with_seller(
    conn: &mut DbConn,
    id: i64,
) -> StoreResult<(Listing, crate::users::User)> {
    use crate::schema::users;
    let (l, seller): (Listing, crate::users::User) = listings::table
        .inner_join(users::table)
        .filter(listings::id.eq(id))
        .select((Listing::as_select(), crate::users::User::as_select()))
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)?;
    if l.status == ListingStatus::Deleted.as_str() || l.hidden_at.is_some() {
        return Err(StoreError::NotFound);
    }
    Ok((l, seller))
}

pub fn update_listing(conn: &mut DbConn, id: i64, l: &ValidListing) -> StoreResult<Listing> {
    diesel::update(listings::table.find(id))
        .set((ListingContent::of(l), listings::updated_at.eq(now())))
        .execute(conn)?;
    record_change(conn, id)?;
    get_listing(conn, id)
}

/// Moves a listing to `status`, stamping `sold_at`/`deleted_at` where it applies.
pub fn set_status(conn: &mut DbConn, id: i64, status: ListingStatus) -> StoreResult<Listing> {
    let t = now();
    let target = listings::table.find(id);
    let n = match status {
        ListingStatus::Sold => diesel::update(target)
            .set((
                listings::status.eq(status.as_str()),
                listings::sold_at.eq(t),
                listings::updated_at.eq(t),
            ))
            .execute(conn)?,
        ListingStatus::Deleted => diesel::update(target)
            .set((
                listings::status.eq(status.as_str()),
                listings::deleted_at.eq(t),
                listings::updated_at.eq(t),
            ))
            .execute(conn)?,
        _ => diesel::update(target)
            .set((
                listings::status.eq(status.as_str()),
                listings::updated_at.eq(t),
            ))
            .execute(conn)?,
    };
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    record_change(conn, id)?;
    get_listing(conn, id)
}

/// Puts a listing back online until `expires_at`.
pub fn renew(conn: &mut DbConn, id: i64, expires_at: NaiveDateTime) -> StoreResult<Listing> {
    let t = now();
    diesel::update(listings::table.find(id))
        .set((
            listings::status.eq(ListingStatus::Active.as_str()),
            listings::expires_at.eq(expires_at),
            listings::sold_at.eq(None::<NaiveDateTime>),
            listings::expiry_warned_at.eq(None::<NaiveDateTime>),
            listings::expired_at.eq(None::<NaiveDateTime>),
            listings::updated_at.eq(t),
        ))
        .execute(conn)?;
    record_change(conn, id)?;
    get_listing(conn, id)
}

pub fn increment_views(conn: &mut DbConn, id: i64, by: i64) -> StoreResult<()> {
    let n = diesel::update(listings::table.find(id))
        .set(listings::views.eq(listings::views + by))
        .execute(conn)?;
    // The day's count too (a purged ad has no row left to count for).
    if n > 0 {
        crate::stats::bump(conn, id, crate::stats::Stat::Views, by)?;
    }
    Ok(())
}

/// A user's own listings, all statuses but deleted, newest first.
pub fn list_for_user(
    conn: &mut DbConn,
    user_id: i64,
    page: i64,
    per_page: i64,
) -> StoreResult<(Vec<Listing>, i64)> {
    let base = listings::table
        .filter(listings::user_id.eq(user_id))
        .filter(listings::status.ne(ListingStatus::Deleted.as_str()));
    let total: i64 = base.count().get_result(conn)?;
    let items = base
        .order((listings::created_at.desc(), listings::id.desc()))
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select(Listing::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// Multi-row insert for bulk loads. MultiConnection cannot batch-insert through the enum, so
/// this matches on the backend; the statement is the same.
pub fn insert_listings_bulk(conn: &mut DbConn, rows: &[NewListingRow]) -> StoreResult<usize> {
    Ok(match conn {
        DbConn::Pg(c) => diesel::insert_into(listings::table)
            .values(rows)
            .execute(c)?,
        DbConn::Sqlite(c) => diesel::insert_into(listings::table)
            .values(rows)
            .execute(c)?,
    })
}

pub fn count_by_status(conn: &mut DbConn, status: ListingStatus) -> StoreResult<i64> {
    Ok(listings::table
        .filter(listings::status.eq(status.as_str()))
        .count()
        .get_result(conn)?)
}

/// Takes the listing's row lock for the rest of the transaction (a no-op write), so that
/// checks such as "fewer than 8 photos" cannot race on PostgreSQL. SQLite serialises writers anyway.
/// The lowest price favouriters were last told about, and when (price-drop alerts).
pub fn price_alert_state(
    conn: &mut DbConn,
    id: i64,
) -> StoreResult<(Option<i64>, Option<NaiveDateTime>)> {
    Ok(listings::table
        .find(id)
        .select((listings::alerted_price, listings::price_alerted_at))
        .first(conn)?)
}

pub fn record_price_alert(conn: &mut DbConn, id: i64, price: i64) -> StoreResult<()> {
    diesel::update(listings::table.find(id))
        .set((
            listings::alerted_price.eq(price),
            listings::price_alerted_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn lock_listing(conn: &mut DbConn, id: i64) -> StoreResult<()> {
    diesel::update(listings::table.find(id))
        .set(listings::id.eq(id))
        .execute(conn)?;
    Ok(())
}

pub fn count_all(conn: &mut DbConn) -> StoreResult<i64> {
    Ok(listings::table.count().get_result(conn)?)
}

/// Every listing id of a user that is not deleted (to re-project them after a store change).
pub fn ids_of_user(conn: &mut DbConn, user_id: i64) -> StoreResult<Vec<i64>> {
    Ok(listings::table
        .filter(listings::user_id.eq(user_id))
        .filter(listings::status.ne(ListingStatus::Deleted.as_str()))
        .select(listings::id)
        .load(conn)?)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// A seller's live ads (posting's limit, profiles, the console's seller file). Through the
/// seller's own ads, named for SQLite: with statistics sampled under `analysis_limit` it once
/// took `listings_status_expires` and walked every active ad (350 ms at 200 k ads, measured
/// by the console benchmark).
pub fn count_active_of_user(conn: &mut DbConn, user_id: i64) -> StoreResult<i64> {
    let sql = match conn {
        DbConn::Pg(_) => {
            "SELECT COUNT(*) AS n FROM listings WHERE user_id = $1 AND status = 'active' \
             AND expires_at > $2 AND hidden_at IS NULL"
        }
        DbConn::Sqlite(_) => {
            "SELECT COUNT(*) AS n FROM listings INDEXED BY listings_user_created \
             WHERE user_id = ?1 AND status = 'active' AND expires_at > ?2 AND hidden_at IS NULL"
        }
    };
    Ok(diesel::sql_query(sql)
        .bind::<diesel::sql_types::BigInt, _>(user_id)
        .bind::<diesel::sql_types::Timestamp, _>(now())
        .get_result::<Count>(conn)?
        .n)
}
