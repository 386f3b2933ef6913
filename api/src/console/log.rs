//! The moderation log: who decided what, newest first, filterable by action.

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
pub struct LogFilter {
    /// Entries older than this id.
    pub before: Option<i64>,
    pub action: Option<String>,
}

pub async fn log_page(
    state: web::Data<AppState>,
    me: Moderator,
    q: web::Query<LogFilter>,
) -> Result<HttpResponse, ConsoleError> {
    let lang = me.lang;
    let q = q.into_inner();
    let user = me.user;
    let entries = state
        .db(move |conn| {
            crate::usecases::roles::moderator(conn, user)?;
            Ok(moderation::log_entries(conn, q.before, 100)?)
        })
        .await
        .map_err(|e| crate::console::error::ConsoleError::Api(e, lang))?;
    let action = q.action.filter(|a| !a.is_empty());
    let shown: Vec<_> = entries
        .iter()
        .filter(|e| action.as_deref().is_none_or(|a| e.action == a))
        .collect();
    let body = html! {
        h1 { (lang.t("log")) }
        form.filters method="get" action="/mod/log" {
            label { (lang.t("action")) " " input name="action" size="10" value=(action.clone().unwrap_or_default()); }
            button type="submit" { (lang.t("filter")) }
        }
        table.log {
            thead { tr { th { (lang.t("when")) } th { (lang.t("moderator")) } th { (lang.t("action")) } th { (lang.t("target")) } th { (lang.t("reason")) } } }
            tbody { @for e in &shown { tr {
                td { (time(e.created_at).format("%Y-%m-%d %H:%M")) }
                td { @if let Some(m) = e.moderator_id { "#" (m) } }
                td { (e.action) }
                td { (e.target_kind) " #" (e.target_id) }
                td { (e.reason) }
            } } }
        }
        @if let Some(last) = entries.last() {
            p { a href={ "/mod/log?before=" (last.id) } { "→" } }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        layout(lang, lang.t("log"), Some(&me.csrf), body),
    ))
}
