use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::users;
use crate::time::now;
use souk_domain::account::canonical_email;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    #[serde(skip)]
    pub password_hash: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub role: String,
    pub email_verified_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// ar, fr or en: the language of the emails this user gets.
    pub language: String,
    pub price_drop_alerts: bool,
    /// Where the seller is, shown on the public profile.
    pub wilaya: Option<i32>,
    /// Show the phone on the public profile.
    pub phone_public: bool,
    pub banned_at: Option<NaiveDateTime>,
    pub banned_reason: Option<String>,
    /// Set when the phone was confirmed by a code sent to it.
    pub phone_verified_at: Option<NaiveDateTime>,
    /// Set when the account was deleted: the row stays, without personal data.
    pub deleted_at: Option<NaiveDateTime>,
    /// The generation of this account's sessions: access tokens of an older one are refused
    /// (`tokens::revoke_all_for_user`).
    #[serde(skip)]
    pub token_generation: i64,
    #[serde(skip)]
    pub tokens_revoked_at: Option<NaiveDateTime>,
    /// The deleted account of the same mailbox this one took over (ratings, ban), if any.
    pub previous_account_id: Option<i64>,
    /// When a ban for a period ends (the worker lifts it); none for a ban for good.
    pub banned_until: Option<NaiveDateTime>,
}

pub struct NewUser<'a> {
    /// Already normalised (trimmed, lowercased) by the caller.
    pub email: &'a str,
    pub password_hash: &'a str,
    pub display_name: &'a str,
    pub phone: Option<&'a str>,
    pub language: &'a str,
}

pub fn create_user(conn: &mut DbConn, new: NewUser<'_>) -> StoreResult<User> {
    let t = now();
    let id: i64 = diesel::insert_into(users::table)
        .values((
            users::email.eq(new.email),
            users::email_canonical.eq(canonical_email(new.email)),
            users::password_hash.eq(new.password_hash),
            users::display_name.eq(new.display_name),
            users::phone.eq(new.phone),
            users::role.eq("user"),
            users::language.eq(new.language),
            users::created_at.eq(t),
            users::updated_at.eq(t),
        ))
        .returning(users::id)
        .get_result(conn)
        .map_err(|e| StoreError::unique_as(e, "email_taken"))?;
    let since = t - chrono::Duration::days(souk_domain::account::MAILBOX_MEMORY_DAYS);
    inherit_deleted_mailbox(conn, id, &canonical_email(new.email), since)?;
    find_user(conn, id)
}

/// What a mailbox's deleted account is remembered by (never the address itself).
pub fn mailbox_hash(canonical: &str) -> String {
    crate::secret::token_hash(&format!("mailbox:{canonical}"))
}

/// A new account of a mailbox whose account was deleted after `since` takes over what was
/// kept of it: the ratings it received and its ban (deleting and registering again is no way
/// to a clean record); `previous_account_id` names it for moderators.
fn inherit_deleted_mailbox(
    conn: &mut DbConn,
    id: i64,
    canonical: &str,
    since: NaiveDateTime,
) -> StoreResult<()> {
    type Kept = (
        i64,
        Option<NaiveDateTime>,
        Option<String>,
        Option<NaiveDateTime>,
    );
    let previous: Option<Kept> = users::table
        .filter(users::mailbox_hash.eq(mailbox_hash(canonical)))
        .filter(users::deleted_at.gt(since))
        .order(users::deleted_at.desc())
        .select((
            users::id,
            users::banned_at,
            users::banned_reason,
            users::banned_until,
        ))
        .first(conn)
        .optional()?;
    let Some((old, banned_at, banned_reason, banned_until)) = previous else {
        return Ok(());
    };
    diesel::update(crate::schema::ratings::table.filter(crate::schema::ratings::ratee_id.eq(old)))
        .set(crate::schema::ratings::ratee_id.eq(id))
        .execute(conn)?;
    diesel::update(users::table.find(id))
        .set((
            users::previous_account_id.eq(Some(old)),
            users::banned_at.eq(banned_at),
            users::banned_reason.eq(banned_reason),
            users::banned_until.eq(banned_until),
        ))
        .execute(conn)?;
    // Carried once: the new account is what a next deletion remembers.
    diesel::update(users::table.find(old))
        .set(users::mailbox_hash.eq(None::<String>))
        .execute(conn)?;
    Ok(())
}

pub fn find_user(conn: &mut DbConn, id: i64) -> StoreResult<User> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)
}

pub fn find_user_by_email(conn: &mut DbConn, email: &str) -> StoreResult<Option<User>> {
    Ok(users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// The account of the mailbox `email` delivers to: the exact address first, else the account
/// registered under another spelling of it (`a.b+x@gmail.com` finds `ab@gmail.com`), so an
/// alias squatted by someone else can still be signed in to and reset by the mailbox's owner.
pub fn find_user_by_mailbox(conn: &mut DbConn, email: &str) -> StoreResult<Option<User>> {
    let canonical = canonical_email(email);
    let found: Vec<User> = users::table
        .filter(
            users::email
                .eq(email)
                .or(users::email_canonical.eq(&canonical)),
        )
        .order(users::id.asc())
        .limit(2)
        .select(User::as_select())
        .load(conn)?;
    let exact = found.iter().find(|u| u.email == email).cloned();
    Ok(exact.or_else(|| found.into_iter().next()))
}

/// Fills `email_canonical` of accounts created before it existed, a batch at a time. Two old
/// accounts on one mailbox cannot both have it (the index is unique): the later one keeps
/// none, is logged, and its reports count as its own.
pub fn fill_canonical_emails(conn: &mut DbConn) -> StoreResult<usize> {
    let mut filled = 0;
    let mut after = 0i64;
    loop {
        let batch: Vec<(i64, String)> = users::table
            .filter(users::email_canonical.is_null())
            .filter(users::id.gt(after))
            .order(users::id.asc())
            .limit(1000)
            .select((users::id, users::email))
            .load(conn)?;
        let Some(last) = batch.last() else {
            return Ok(filled);
        };
        after = last.0;
        for (id, email) in batch {
            let canonical = canonical_email(&email);
            let taken: i64 = users::table
                .filter(users::email_canonical.eq(&canonical))
                .count()
                .get_result(conn)?;
            if taken > 0 {
                tracing::warn!(user = id, "another account already uses this mailbox");
                continue;
            }
            // Another process starting at the same moment may have filled it: not fatal.
            match diesel::update(users::table.find(id))
                .set(users::email_canonical.eq(canonical))
                .execute(conn)
            {
                Ok(_) => filled += 1,
                Err(e) => tracing::warn!(user = id, error = %e, "canonical address not set"),
            }
        }
    }
}

/// Takes the user's row lock until the transaction ends (a no-op update, portable): per-user
/// caps checked by counting (saved searches) then inserting are serialised per user.
pub fn lock_user(conn: &mut DbConn, id: i64) -> StoreResult<()> {
    diesel::update(users::table.find(id))
        .set(users::id.eq(id))
        .execute(conn)?;
    Ok(())
}

pub fn mark_email_verified(conn: &mut DbConn, id: i64) -> StoreResult<()> {
    let t = now();
    let n = diesel::update(
        users::table
            .find(id)
            .filter(users::email_verified_at.is_null()),
    )
    .set((users::email_verified_at.eq(t), users::updated_at.eq(t)))
    .execute(conn)?;
    // The index keeps whether a seller's address is confirmed (suggestions count only such
    // sellers' ads): their ads are projected again.
    if n == 1 {
        crate::changes::record_seller_change(conn, id)?;
    }
    Ok(())
}

pub fn set_password_hash(conn: &mut DbConn, id: i64, hash: &str) -> StoreResult<()> {
    let n = diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now())))
        .execute(conn)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Phone and display names of several users at once, for listing pages.
pub fn find_users(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Vec<User>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select(User::as_select())
        .load(conn)?)
}

/// Account settings to change; `None` keeps a setting as it is.
#[derive(Debug, Default)]
pub struct Settings<'a> {
    pub language: Option<&'a str>,
    pub price_drop_alerts: Option<bool>,
    pub wilaya: Option<i32>,
    pub phone_public: Option<bool>,
}

pub fn update_settings(conn: &mut DbConn, id: i64, s: &Settings<'_>) -> StoreResult<()> {
    let target = users::table.find(id);
    if let Some(l) = s.language {
        diesel::update(target)
            .set(users::language.eq(l))
            .execute(conn)?;
    }
    if let Some(on) = s.price_drop_alerts {
        diesel::update(target)
            .set(users::price_drop_alerts.eq(on))
            .execute(conn)?;
    }
    if let Some(w) = s.wilaya {
        diesel::update(target)
            .set(users::wilaya.eq(w))
            .execute(conn)?;
    }
    if let Some(p) = s.phone_public {
        diesel::update(target)
            .set(users::phone_public.eq(p))
            .execute(conn)?;
    }
    diesel::update(target)
        .set(users::updated_at.eq(now()))
        .execute(conn)?;
    Ok(())
}

/// When each of `ids` was made, for the accounts among them in good standing: address
/// confirmed, not banned, not deleted. Suggestions trust only such sellers' words.
pub fn vouched_since(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Vec<(i64, NaiveDateTime)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .filter(users::email_verified_at.is_not_null())
        .filter(users::banned_at.is_null())
        .filter(users::deleted_at.is_null())
        .select((users::id, users::created_at))
        .load(conn)?)
}
