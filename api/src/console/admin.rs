//! The admin page (admins only): find an account by email, give it a role, grant it credits
//! (the same ledger and log as `POST /v1/admin/credits` and the command line), read its
//! payment orders and its credit ledger.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use souk_domain::trust::Role;
use souk_store::{credits, payments};

use super::error::ConsoleError;
use super::i18n::Lang;
use super::pages::{html_response, layout, see_other};
use super::session::Moderator;
use crate::auth::secret::random_hex;
use crate::error::ApiError;
use crate::state::AppState;
use crate::usecases::credits::{grant_in, MAX_GRANT};
use crate::usecases::roles::set_role_by_admin;
use crate::views::time;

fn admins_only(me: &Moderator) -> Result<(), ConsoleError> {
    if me.role == Role::Admin {
        Ok(())
    } else {
        Err(ConsoleError::Api(
            ApiError::Forbidden("admins only"),
            me.lang,
        ))
    }
}

#[derive(Debug, Deserialize)]
pub struct Lookup {
    pub email: Option<String>,
}

pub async fn admin_page(
    state: web::Data<AppState>,
    me: Moderator,
    q: web::Query<Lookup>,
) -> Result<HttpResponse, ConsoleError> {
    admins_only(&me)?;
    let lang = me.lang;
    let email = q
        .into_inner()
        .email
        .and_then(|e| souk_domain::account::normalize_email(&e));
    let lookup = email.clone();
    let found = match lookup {
        None => None,
        Some(e) => state
            .db(move |conn| {
                let Some(u) = souk_store::users::find_user_by_mailbox(conn, &e)? else {
                    return Ok(None);
                };
                let account = Account {
                    balance: credits::balance(conn, u.id)?,
                    orders: payments::of_user(conn, u.id, 50)?,
                    movements: credits::movements(conn, u.id, 50)?,
                };
                Ok(Some((u, account)))
            })
            .await
            .map_err(|e| ConsoleError::Api(e, lang))?,
    };
    let body = html! {
        h1 { "Admin" }
        form.filters method="get" action="/mod/admin" {
            label { (lang.t("email")) " " input type="email" name="email" value=(email.clone().unwrap_or_default()); }
            button type="submit" { (lang.t("filter")) }
        }
        @if let Some((u, account)) = &found {
            section.account {
                h2 { "#" (u.id) " " (u.display_name) }
                ul {
                    li { "role: " strong.role { (u.role) } }
                    li { (lang.t("email_confirmed")) ": " (u.email_verified_at.is_some()) }
                    @if u.banned_at.is_some() { li.state { (lang.t("banned")) } }
                }
                form id="role" method="post" action={ "/mod/admin/users/" (u.id) "/role" } {
                    input type="hidden" name="csrf" value=(me.csrf);
                    select name="role" { @for r in ["user", "moderator", "admin"] { option value=(r) selected[u.role == r] { (r) } } }
                    button type="submit" { "role" }
                }
                form id="credits" method="post" action={ "/mod/admin/users/" (u.id) "/credits" } {
                    input type="hidden" name="csrf" value=(me.csrf);
                    // One grant per page load: a double submit is recognised by its key.
                    input type="hidden" name="key" value=(random_hex(16));
                    input type="number" name="amount" min="1" max=(MAX_GRANT) required;
                    input name="reason" minlength="3" maxlength="200" required;
                    button type="submit" { "credits" }
                }
                (money_section(lang, account))
            }
        } @else if email.is_some() {
            p.empty { "—" }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        layout(lang, "Admin", Some(&me.csrf), body),
    ))
}

/// What an account paid and spent: its payment orders and its credit ledger, newest first.
struct Account {
    balance: i64,
    orders: Vec<payments::Order>,
    movements: Vec<credits::Movement>,
}

fn money_section(lang: Lang, a: &Account) -> Markup {
    html! {
        section.orders {
            h3 { (lang.t("orders")) " (" (a.orders.len()) ")" }
            table.orders {
                thead { tr { th { "#" } th { (lang.t("when")) } th { (lang.t("provider")) } th { (lang.t("amount")) } th { (lang.t("status")) } } }
                tbody { @for o in &a.orders { tr.order {
                    td { (o.id) }
                    td { (time(o.created_at).format("%Y-%m-%d %H:%M")) }
                    td { (o.provider) @if let Some(r) = &o.provider_ref { " · " (r) } }
                    td { (o.amount) }
                    td.status { (o.status) }
                } } }
            }
        }
        section.ledger {
            h3 { (lang.t("credits")) ": " strong.balance { (a.balance) } }
            table.ledger {
                thead { tr { th { (lang.t("when")) } th { (lang.t("amount")) } th { (lang.t("balance")) } th { (lang.t("reason")) } } }
                tbody { @for m in &a.movements { tr.movement {
                    td { (time(m.created_at).format("%Y-%m-%d %H:%M")) }
                    td { (m.amount) }
                    td { (m.balance_after) }
                    td {
                        (m.reason)
                        @if let Some(l) = m.listing_id { " · #" (l) }
                        @if let Some(a) = m.granted_by { " · " (lang.t("granted_by")) " #" (a) }
                    }
                } } }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    pub csrf: String,
    pub role: String,
}

pub async fn set_role(
    state: web::Data<AppState>,
    me: Moderator,
    path: web::Path<i64>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, ConsoleError> {
    me.check_csrf(&form.csrf)?;
    admins_only(&me)?;
    let lang = me.lang;
    let role = Role::parse(&form.role).ok_or_else(|| {
        ConsoleError::Api(
            ApiError::field("role", "invalid_option", "user, moderator or admin"),
            lang,
        )
    })?;
    let (admin, target) = (me.user, path.into_inner());
    state
        .tx(move |conn| set_role_by_admin(conn, admin, target, role))
        .await
        .map_err(|e| ConsoleError::Api(e, lang))?;
    // A role taken away ends the account's console sessions at its next request (re-checked).
    Ok(see_other("/mod/admin"))
}

#[derive(Debug, Deserialize)]
pub struct CreditsForm {
    #[serde(default)]
    pub csrf: String,
    pub key: String,
    pub amount: i64,
    pub reason: String,
}

pub async fn grant_credits(
    state: web::Data<AppState>,
    me: Moderator,
    path: web::Path<i64>,
    form: web::Form<CreditsForm>,
) -> Result<HttpResponse, ConsoleError> {
    me.check_csrf(&form.csrf)?;
    admins_only(&me)?;
    let lang = me.lang;
    let form = form.into_inner();
    if !(1..=MAX_GRANT).contains(&form.amount) || form.key.len() != 32 {
        return Err(ConsoleError::Api(
            ApiError::field("amount", "out_of_range", "1 to 10,000,000 credits"),
            lang,
        ));
    }
    let reason = crate::usecases::moderation::reason_text(&form.reason)
        .map_err(|e| ConsoleError::Api(e, lang))?;
    let (admin, target) = (me.user.id, path.into_inner());
    let key = format!("console:{}", form.key);
    state
        .tx(move |conn| grant_in(conn, target, form.amount, &reason, &key, Some(admin)).map(|_| ()))
        .await
        .map_err(|e| ConsoleError::Api(e, lang))?;
    Ok(see_other("/mod/admin"))
}
