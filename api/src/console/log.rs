//! The moderation log: who decided what, newest first, filtered by action, moderator and
//! target (by the database: a filter on a long log still finds everything).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::html;
use serde::Deserialize;
use souk_store::moderation;

use super::error::ConsoleError;
use super::pages::{html_response, layout};
use super::session::Moderator;
use crate::state::AppState;
use crate::views::time;

#[derive(Debug, Deserialize)]
pub struct LogQuery {
    /// Entries older than this id.
    pub before: Option<i64>,
    pub action: Option<String>,
    /// Numbers, or empty (the form's blank fields) for any.
    pub moderator: Option<String>,
    pub target_kind: Option<String>,
    pub target: Option<String>,
}

impl LogQuery {
    fn filter(&self) -> moderation::LogFilter {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.len() <= 32)
                .map(str::to_string)
        };
        let number = |v: &Option<String>| v.as_deref().and_then(|v| v.trim().parse().ok());
        moderation::LogFilter {
            action: text(&self.action),
            moderator_id: number(&self.moderator),
            target_kind: text(&self.target_kind),
            // An id alone would walk the whole log: it is read with its kind.
            target_id: text(&self.target_kind).and(number(&self.target)),
        }
    }

    /// The filters as the rest of a query string, for the next page's link.
    fn as_query(&self) -> String {
        let f = self.filter();
        let mut q = String::new();
        let clean = |v: &str| -> String {
            v.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        };
        if let Some(a) = &f.action {
            q.push_str(&format!("&action={}", clean(a)));
        }
        if let Some(m) = f.moderator_id {
            q.push_str(&format!("&moderator={m}"));
        }
        if let Some(k) = &f.target_kind {
            q.push_str(&format!("&target_kind={}", clean(k)));
        }
        if let Some(t) = f.target_id {
            q.push_str(&format!("&target={t}"));
        }
        q
    }
}

/// The target kinds the log knows.
const TARGET_KINDS: [&str; 5] = ["listing", "user", "conversation", "rating", "appeal"];

pub async fn log_page(
    state: web::Data<AppState>,
    me: Moderator,
    q: web::Query<LogQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let lang = me.lang;
    let q = q.into_inner();
    let filter = q.filter();
    let user = me.user;
    let before = q.before;
    let entries = state
        .db(move |conn| {
            crate::usecases::roles::moderator(conn, user)?;
            Ok(moderation::log_entries(conn, &filter, before, 100)?)
        })
        .await
        .map_err(|e| ConsoleError::Api(e, lang))?;
    let f = q.filter();
    let body = html! {
        h1 { (lang.t("log")) }
        form.filters method="get" action="/mod/log" {
            label { (lang.t("action")) " " input name="action" size="10" value=(f.action.clone().unwrap_or_default()); }
            label { (lang.t("moderator")) " #" input name="moderator" type="number" min="1" value=(f.moderator_id.map(|m| m.to_string()).unwrap_or_default()); }
            label { (lang.t("target")) " "
                select name="target_kind" {
                    option value="" { (lang.t("all")) }
                    @for k in TARGET_KINDS { option value=(k) selected[f.target_kind.as_deref() == Some(k)] { (k) } }
                }
                " #" input name="target" type="number" min="1" value=(f.target_id.map(|t| t.to_string()).unwrap_or_default());
            }
            button type="submit" { (lang.t("filter")) }
        }
        table.log {
            thead { tr { th { (lang.t("when")) } th { (lang.t("moderator")) } th { (lang.t("action")) } th { (lang.t("target")) } th { (lang.t("reason")) } } }
            tbody { @for e in &entries { tr {
                td { (time(e.created_at).format("%Y-%m-%d %H:%M")) }
                td { @if let Some(m) = e.moderator_id { "#" (m) } }
                td { (e.action) }
                td { (e.target_kind) " #" (e.target_id) }
                td { (e.reason) }
            } } }
        }
        @if entries.len() == 100 {
            @if let Some(last) = entries.last() {
                p { a.next href={ "/mod/log?before=" (last.id) (q.as_query()) } { "→" } }
            }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        layout(lang, lang.t("log"), Some(&me.csrf), body),
    ))
}
