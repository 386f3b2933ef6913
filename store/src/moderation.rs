//! Reports, hiding and bans, and the log of every moderation action.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use souk_domain::account::canonical_email;
use souk_domain::trust::ReporterRecord;
use souk_domain::ListingStatus;

use crate::changes::record_change;
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::listings::Listing;
use crate::schema::{listings, moderation_log, reports, users};
use crate::time::now;

pub const HIDDEN_BY_MODERATOR: &str = "moderator";
pub const HIDDEN_BY_REPORTS: &str = "reports";
pub const HIDDEN_BY_BAN: &str = "ban";
/// Hidden by the automatic trust checks (souk_domain::signals) until a moderator decides.
pub const HIDDEN_BY_FLAGS: &str = "flags";
/// The resolution of reports whose ad a moderator hid; any other resolution dismissed them.
pub const RESOLVED_UPHELD: &str = "hidden";

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = reports)]
pub struct Report {
    pub id: i64,
    pub listing_id: i64,
    pub reporter_id: i64,
    pub reason: String,
    pub comment: Option<String>,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolution: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = moderation_log)]
pub struct LogEntry {
    pub id: i64,
    pub moderator_id: Option<i64>,
    pub action: String,
    pub target_kind: String,
    pub target_id: i64,
    pub reason: String,
    pub created_at: NaiveDateTime,
}

/// One report per user and ad; a second is a conflict.
pub fn report(
    conn: &mut DbConn,
    listing_id: i64,
    reporter_id: i64,
    reason: &str,
    comment: Option<&str>,
) -> StoreResult<Report> {
    let id: i64 = diesel::insert_into(reports::table)
        .values((
            reports::listing_id.eq(listing_id),
            reports::reporter_id.eq(reporter_id),
            reports::reason.eq(reason),
            reports::comment.eq(comment),
            reports::created_at.eq(now()),
        ))
        .returning(reports::id)
        .get_result(conn)
        .map_err(|e| StoreError::unique_as(e, "already_reported"))?;
    Ok(reports::table
        .find(id)
        .select(Report::as_select())
        .first(conn)?)
}

/// Reporter id, email, canonical mailbox, email confirmed at, created at, phone confirmed at.
type ReporterRow = (
    i64,
    String,
    Option<String>,
    Option<NaiveDateTime>,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

/// The reporters of an ad's open reports with what weighs their reports: mailbox, confirmed
/// address, account age, and how their past reports were decided. Bounded: once an ad has a
/// few dozen open reports, more change nothing.
pub fn open_reporter_records(
    conn: &mut DbConn,
    listing_id: i64,
) -> StoreResult<Vec<ReporterRecord>> {
    Ok(open_reporters(conn, listing_id)?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
}

/// `open_reporter_records` with each reporter's id (the console shows who weighs what).
pub fn open_reporters(
    conn: &mut DbConn,
    listing_id: i64,
) -> StoreResult<Vec<(i64, ReporterRecord)>> {
    // Confirmed reporters only (the others weigh nothing): a hundred throwaway reports filed
    // first cannot crowd out the real ones.
    let rows: Vec<ReporterRow> = reports::table
        .inner_join(users::table.on(users::id.eq(reports::reporter_id)))
        .filter(reports::listing_id.eq(listing_id))
        .filter(reports::resolved_at.is_null())
        .filter(users::email_verified_at.is_not_null())
        .order(reports::id.asc())
        .limit(100)
        .select((
            users::id,
            users::email,
            users::email_canonical,
            users::email_verified_at,
            users::created_at,
            users::phone_verified_at,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let decided: Vec<(i64, Option<String>, i64)> = reports::table
        .filter(reports::reporter_id.eq_any(&ids))
        .filter(reports::resolution.is_not_null())
        .group_by((reports::reporter_id, reports::resolution))
        .select((
            reports::reporter_id,
            reports::resolution,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let t = now();
    Ok(rows
        .into_iter()
        .map(|(id, email, canonical, verified, created, phone)| {
            let mine = decided.iter().filter(|(r, _, _)| *r == id);
            let upheld = mine
                .clone()
                .filter(|(_, res, _)| res.as_deref() == Some(RESOLVED_UPHELD))
                .map(|(_, _, n)| n)
                .sum();
            let dismissed = mine
                .filter(|(_, res, _)| res.as_deref() != Some(RESOLVED_UPHELD))
                .map(|(_, _, n)| n)
                .sum();
            let record = ReporterRecord {
                // Accounts from before canonical addresses whose mailbox an older account
                // holds have none stored: the rule gives the same mailbox.
                mailbox: canonical.unwrap_or_else(|| canonical_email(&email)),
                email_confirmed: verified.is_some(),
                phone_confirmed: phone.is_some(),
                account_age_days: (t - created).num_days(),
                upheld,
                dismissed,
            };
            (id, record)
        })
        .collect())
}

/// The open reports of one ad, oldest first.
pub fn open_reports_of(conn: &mut DbConn, listing_id: i64) -> StoreResult<Vec<Report>> {
    Ok(reports::table
        .filter(reports::listing_id.eq(listing_id))
        .filter(reports::resolved_at.is_null())
        .order(reports::id.asc())
        .limit(200)
        .select(Report::as_select())
        .load(conn)?)
}

/// The log's entries about an account or any of its ads, newest first.
pub fn log_about(conn: &mut DbConn, user_id: i64, limit: i64) -> StoreResult<Vec<LogEntry>> {
    // A subquery, not the ids: a spammer's hundred thousand ads are no bind-parameter list.
    let their_ads = listings::table
        .filter(listings::user_id.eq(user_id))
        .select(listings::id);
    Ok(moderation_log::table
        .filter(
            moderation_log::target_kind
                .eq("user")
                .and(moderation_log::target_id.eq(user_id))
                .or(moderation_log::target_kind
                    .eq("listing")
                    .and(moderation_log::target_id.eq_any(their_ads))),
        )
        .order(moderation_log::id.desc())
        .limit(limit)
        .select(LogEntry::as_select())
        .load(conn)?)
}

/// The open reports of some ads (a queue page), oldest first.
pub fn open_reports_of_ads(conn: &mut DbConn, listing_ids: &[i64]) -> StoreResult<Vec<Report>> {
    Ok(reports::table
        .filter(reports::listing_id.eq_any(listing_ids))
        .filter(reports::resolved_at.is_null())
        .order((reports::created_at.asc(), reports::id.asc()))
        .select(Report::as_select())
        .load(conn)?)
}

/// Whether an ad is still in the queue: an open report or an open finding.
pub fn awaits_review(conn: &mut DbConn, listing_id: i64) -> StoreResult<bool> {
    use crate::schema::listing_flags;
    let report: Option<i64> = reports::table
        .filter(reports::listing_id.eq(listing_id))
        .filter(reports::resolved_at.is_null())
        .select(reports::id)
        .first(conn)
        .optional()?;
    if report.is_some() {
        return Ok(true);
    }
    let flag: Option<i64> = listing_flags::table
        .filter(listing_flags::listing_id.eq(listing_id))
        .filter(listing_flags::resolved_at.is_null())
        .select(listing_flags::id)
        .first(conn)
        .optional()?;
    Ok(flag.is_some())
}

/// Closes every open report of an ad with the moderator's decision.
pub fn resolve_reports(conn: &mut DbConn, listing_id: i64, resolution: &str) -> StoreResult<usize> {
    Ok(diesel::update(
        reports::table
            .filter(reports::listing_id.eq(listing_id))
            .filter(reports::resolved_at.is_null()),
    )
    .set((
        reports::resolved_at.eq(now()),
        reports::resolution.eq(resolution),
    ))
    .execute(conn)?)
}

/// Takes an ad out of sight (search follows through the change feed). Returns false when it
/// was hidden already.
pub fn hide_listing(conn: &mut DbConn, id: i64, by: &str, reason: &str) -> StoreResult<bool> {
    let n = diesel::update(
        listings::table
            .filter(listings::id.eq(id))
            .filter(listings::hidden_at.is_null()),
    )
    .set((
        listings::hidden_at.eq(now()),
        listings::hidden_by.eq(by),
        listings::hidden_reason.eq(reason),
    ))
    .execute(conn)?;
    if n > 0 {
        record_change(conn, id)?;
    }
    Ok(n > 0)
}

pub fn unhide_listing(conn: &mut DbConn, id: i64) -> StoreResult<bool> {
    let n = diesel::update(listings::table.filter(listings::id.eq(id)))
        .set((
            listings::hidden_at.eq(None::<NaiveDateTime>),
            listings::hidden_by.eq(None::<String>),
            listings::hidden_reason.eq(None::<String>),
        ))
        .execute(conn)?;
    if n > 0 {
        record_change(conn, id)?;
    }
    Ok(n > 0)
}

/// Bans a user, until a time or for good (`None`): the ban is stamped and every visible ad of
/// theirs hidden (as `ban`, so an unban brings exactly those back). Token revocation is the
/// caller's, in the same transaction.
pub fn ban_user(
    conn: &mut DbConn,
    user_id: i64,
    reason: &str,
    until: Option<NaiveDateTime>,
) -> StoreResult<usize> {
    let n = diesel::update(users::table.find(user_id))
        .set((
            users::banned_at.eq(now()),
            users::banned_reason.eq(reason),
            users::banned_until.eq(until),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    let ids: Vec<i64> = listings::table
        .filter(listings::user_id.eq(user_id))
        .filter(listings::hidden_at.is_null())
        .filter(listings::status.ne(ListingStatus::Deleted.as_str()))
        .select(listings::id)
        .load(conn)?;
    for id in &ids {
        hide_listing(conn, *id, HIDDEN_BY_BAN, reason)?;
    }
    Ok(ids.len())
}

pub fn unban_user(conn: &mut DbConn, user_id: i64) -> StoreResult<usize> {
    let n = diesel::update(users::table.find(user_id))
        .set((
            users::banned_at.eq(None::<NaiveDateTime>),
            users::banned_reason.eq(None::<String>),
            users::banned_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    bring_back_banned_ads(conn, user_id)
}

/// Lifts `user_id`'s ban if its period has ended, in one statement: a ban renewed (or made
/// for good) since the sweep read it is left alone. Whether it lifted it.
pub fn lift_ban_if_ended(conn: &mut DbConn, user_id: i64) -> StoreResult<bool> {
    let n = diesel::update(
        users::table
            .find(user_id)
            .filter(users::banned_until.le(now())),
    )
    .set((
        users::banned_at.eq(None::<NaiveDateTime>),
        users::banned_reason.eq(None::<String>),
        users::banned_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    if n == 1 {
        bring_back_banned_ads(conn, user_id)?;
    }
    Ok(n == 1)
}

/// The ads a ban hid come back (an unban, or a ban's end).
fn bring_back_banned_ads(conn: &mut DbConn, user_id: i64) -> StoreResult<usize> {
    let ids: Vec<i64> = listings::table
        .filter(listings::user_id.eq(user_id))
        .filter(listings::hidden_by.eq(HIDDEN_BY_BAN))
        .select(listings::id)
        .load(conn)?;
    for id in &ids {
        unhide_listing(conn, *id)?;
    }
    Ok(ids.len())
}

/// Accounts whose ban for a period has ended, a batch at a time (through `users_ban_ends`).
pub fn bans_ended(conn: &mut DbConn, batch: i64) -> StoreResult<Vec<i64>> {
    Ok(users::table
        .filter(users::banned_until.le(now()))
        .order(users::banned_until.asc())
        .limit(batch)
        .select(users::id)
        .load(conn)?)
}

pub fn log(
    conn: &mut DbConn,
    moderator_id: Option<i64>,
    action: &str,
    target_kind: &str,
    target_id: i64,
    reason: &str,
) -> StoreResult<()> {
    diesel::insert_into(moderation_log::table)
        .values((
            moderation_log::moderator_id.eq(moderator_id),
            moderation_log::action.eq(action),
            moderation_log::target_kind.eq(target_kind),
            moderation_log::target_id.eq(target_id),
            moderation_log::reason.eq(reason),
            moderation_log::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// What the log is read by; every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub action: Option<String>,
    pub moderator_id: Option<i64>,
    pub target_kind: Option<String>,
    pub target_id: Option<i64>,
}

/// The audit log, newest first, filtered by the database (each filter has its index), a page
/// of `limit` entries older than `before_id`.
pub fn log_entries(
    conn: &mut DbConn,
    filter: &LogFilter,
    before_id: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<LogEntry>> {
    let mut q = moderation_log::table.into_boxed();
    if let Some(b) = before_id {
        q = q.filter(moderation_log::id.lt(b));
    }
    if let Some(a) = &filter.action {
        q = q.filter(moderation_log::action.eq(a.clone()));
    }
    if let Some(m) = filter.moderator_id {
        q = q.filter(moderation_log::moderator_id.eq(m));
    }
    if let Some(k) = &filter.target_kind {
        q = q.filter(moderation_log::target_kind.eq(k.clone()));
    }
    if let Some(t) = filter.target_id {
        q = q.filter(moderation_log::target_id.eq(t));
    }
    Ok(q.order(moderation_log::id.desc())
        .limit(limit)
        .select(LogEntry::as_select())
        .load(conn)?)
}

/// Which of a seller's ads a decision on all of them takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SellerAds {
    /// Not deleted, and visible or hidden pending review (a hiding of every ad; those a ban
    /// hid stay the ban's, to come back with its end).
    NotHiddenByModerator,
    /// Hidden by anything but a ban (a restoring of every ad).
    Hidden,
}

/// The seller's ads `which` keeps, newest first (through `listings_user_created`).
pub fn seller_ads_for_decision(
    conn: &mut DbConn,
    seller_id: i64,
    which: SellerAds,
    limit: i64,
) -> StoreResult<Vec<i64>> {
    let mut q = listings::table
        .filter(listings::user_id.eq(seller_id))
        .filter(listings::status.ne(ListingStatus::Deleted.as_str()))
        .into_boxed();
    q = match which {
        SellerAds::NotHiddenByModerator => q.filter(
            listings::hidden_at
                .is_null()
                .or(listings::hidden_by.eq_any([HIDDEN_BY_REPORTS, HIDDEN_BY_FLAGS])),
        ),
        SellerAds::Hidden => q
            .filter(listings::hidden_at.is_not_null())
            .filter(listings::hidden_by.ne(HIDDEN_BY_BAN)),
    };
    Ok(q.order((listings::created_at.desc(), listings::id.desc()))
        .limit(limit)
        .select(listings::id)
        .load(conn)?)
}

pub fn listings_by_ids(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Vec<Listing>> {
    Ok(listings::table
        .filter(listings::id.eq_any(ids))
        .select(Listing::as_select())
        .load(conn)?)
}

pub fn set_role(conn: &mut DbConn, user_id: i64, role: &str) -> StoreResult<()> {
    let n = diesel::update(users::table.find(user_id))
        .set(users::role.eq(role))
        .execute(conn)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
