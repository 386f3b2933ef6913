//! Appeals: the owner of an ad a moderator hid, or a banned account, asks once per decision
//! for another look; another moderator grants it (the ad comes back, the ban is lifted) or
//! denies it, and the appellant is emailed the outcome. For the API (`POST
//! /v1/listings/{id}/appeal`, `POST /v1/auth/appeal`) and the console alike.

use souk_domain::text::text_field;
use souk_domain::trust::Role;
use souk_domain::ValidationErrors;
use souk_store::appeals::{self, Appeal};
use souk_store::moderation::{self, HIDDEN_BY_MODERATOR};
use souk_store::users::User;
use souk_store::{listings, users, DbConn};
use souk_worker::email::enqueue_email;
use souk_worker::templates;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::usecases::moderation::{decide_listing, decide_user, ListingDecision, UserDecision};
use crate::usecases::roles::moderator;

/// An appeal's message: 10–2,000 characters.
pub fn message_text(raw: &str) -> ApiResult<String> {
    let mut e = ValidationErrors::default();
    let message = text_field(&mut e, "message", raw, 10, 2000);
    Ok(e.into_result(message)?)
}

fn already() -> ApiError {
    ApiError::Conflict {
        code: "already_appealed",
        detail: "this decision was appealed already; its outcome is emailed".into(),
    }
}

/// The owner of ad `id`, hidden by a moderator, appeals that decision.
pub fn appeal_listing(
    conn: &mut DbConn,
    owner: AuthUser,
    id: i64,
    message: &str,
) -> ApiResult<Appeal> {
    crate::auth::ensure_not_banned(conn, owner.id)?;
    listings::lock_listing(conn, id)?;
    let l = listings::get_listing(conn, id)?;
    if l.user_id != owner.id {
        return Err(ApiError::NotFound);
    }
    if l.hidden_by.as_deref() != Some(HIDDEN_BY_MODERATOR) {
        return Err(ApiError::Conflict {
            code: "not_hidden_by_a_moderator",
            detail: "only an ad a moderator hid can be appealed".into(),
        });
    }
    let decision =
        appeals::latest_decision(conn, "listing", id, "hide")?.ok_or(ApiError::NotFound)?;
    appeals::file(conn, owner.id, &decision, message).map_err(|e| match e {
        souk_store::StoreError::Conflict(_) => already(),
        other => other.into(),
    })
}

/// A banned account (whose password was checked: it cannot sign in) appeals its ban.
pub fn appeal_ban(conn: &mut DbConn, account: &User, message: &str) -> ApiResult<Appeal> {
    if account.banned_at.is_none() {
        return Err(ApiError::Conflict {
            code: "not_banned",
            detail: "this account is not banned".into(),
        });
    }
    let decision =
        appeals::latest_decision(conn, "user", account.id, "ban")?.ok_or(ApiError::NotFound)?;
    appeals::file(conn, account.id, &decision, message).map_err(|e| match e {
        souk_store::StoreError::Conflict(_) => already(),
        other => other.into(),
    })
}

/// Grants or denies appeal `id`. A moderator does not review an appeal of their own decision
/// (an admin may). Granting undoes the decision through the same use cases as any decision;
/// either way the appellant is emailed and the log says who decided.
pub fn decide_appeal(
    conn: &mut DbConn,
    user: AuthUser,
    id: i64,
    grant: bool,
    answer: &str,
) -> ApiResult<Appeal> {
    let role = moderator(conn, user)?;
    let appeal = appeals::find(conn, id)?;
    if appeal.decided_at.is_some() {
        return Err(ApiError::Conflict {
            code: "already_decided",
            detail: "this appeal was decided already".into(),
        });
    }
    let decision = appeals::find_decision(conn, appeal.decision_id)?;
    if decision.moderator_id == Some(user.id) && role != Role::Admin {
        return Err(ApiError::Forbidden(
            "another moderator reviews an appeal of your own decision",
        ));
    }
    let outcome = if grant { "granted" } else { "denied" };
    if !appeals::decide(conn, id, user.id, outcome, answer)? {
        return Err(ApiError::Conflict {
            code: "already_decided",
            detail: "this appeal was decided already".into(),
        });
    }
    let reason = format!("appeal {id} {outcome}: {answer}");
    match (grant, appeal.target_kind.as_str()) {
        (true, "listing") => {
            decide_listing(
                conn,
                user,
                appeal.target_id,
                ListingDecision::Restore,
                &reason,
            )?;
        }
        (true, _) => {
            decide_user(conn, user, appeal.target_id, UserDecision::Unban, &reason)?;
        }
        (false, kind) => {
            moderation::log(
                conn,
                Some(user.id),
                "appeal_denied",
                kind,
                appeal.target_id,
                &reason,
            )?;
        }
    }
    let appellant = users::find_user(conn, appeal.user_id)?;
    if appellant.deleted_at.is_none() {
        enqueue_email(
            conn,
            templates::appeal_decided(&(&appellant).into(), grant, answer),
        )?;
    }
    Ok(appeals::find(conn, id)?)
}
