//! Appeals in the console: the open ones in the queue, each with the decision appealed and
//! its moderator; granted (`a`) or denied (`x`) with an answer the appellant is emailed.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use souk_store::appeals::{self, Appeal};
use souk_store::console;
use souk_store::moderation::LogEntry;

use super::error::ConsoleError;
use super::i18n::Lang;
use super::pages::{html_response, layout, see_other};
use super::session::Moderator;
use crate::error::ApiError;
use crate::state::AppState;
use crate::usecases::appeals::decide_appeal;
use crate::usecases::moderation::reason_text;
use crate::views::time;

/// The claim key of an appeal.
pub fn appeal_item(id: i64) -> String {
    format!("appeal:{id}")
}

/// The open appeals with the decisions they are about, oldest first.
pub fn open_appeals(
    conn: &mut souk_store::DbConn,
    limit: i64,
) -> Result<Vec<(Appeal, LogEntry)>, ApiError> {
    let open = appeals::open(conn, limit)?;
    let mut out = Vec::with_capacity(open.len());
    for a in open {
        let decision = appeals::find_decision(conn, a.decision_id)?;
        out.push((a, decision));
    }
    Ok(out)
}

/// The queue's section of appeals.
pub fn section(lang: Lang, open: &[(Appeal, LogEntry)]) -> Markup {
    html! {
        @if !open.is_empty() {
            h2 { (lang.t("appeals")) " (" (open.len()) ")" }
            table.queue {
                thead { tr { th { (lang.t("item")) } th { (lang.t("decision_appealed")) } th { (lang.t("moderator")) } th { (lang.t("since")) } } }
                tbody { @for (a, d) in open {
                    tr.item data-href={ "/mod/appeals/" (a.id) } {
                        td { a href={ "/mod/appeals/" (a.id) } { (lang.t("appeal")) " #" (a.id) " · " (a.target_kind) " #" (a.target_id) } }
                        td { (d.action) " · " (d.reason) }
                        td { @if let Some(m) = d.moderator_id { "#" (m) } }
                        td { (time(a.created_at).format("%Y-%m-%d %H:%M")) }
                    }
                } }
            }
        }
    }
}

pub async fn appeal_page(
    state: web::Data<AppState>,
    me: Moderator,
    path: web::Path<i64>,
) -> Result<HttpResponse, ConsoleError> {
    let id = path.into_inner();
    let lang = me.lang;
    let user = me.user;
    let (appeal, decision, holder) = state
        .tx(move |conn| {
            crate::usecases::roles::moderator(conn, user)?;
            let appeal = appeals::find(conn, id)?;
            let decision = appeals::find_decision(conn, appeal.decision_id)?;
            let holder = super::item::claim_on_opening(conn, &appeal_item(id), user)?;
            Ok((appeal, decision, holder))
        })
        .await
        .map_err(|e| ConsoleError::Api(e, lang))?;
    let mine = holder == me.user.id && appeal.decided_at.is_none();
    let target = match appeal.target_kind.as_str() {
        "listing" => format!("/mod/listings/{}", appeal.target_id),
        _ => String::new(),
    };
    let body = html! {
        p { a href="/mod/" { "← " (lang.t("back")) } }
        @if holder != me.user.id { p.refusal id="taken" { (lang.t("taken")) " (#" (holder) ")" } }
        h1 { (lang.t("appeal")) " #" (appeal.id) }
        p { (appeal.target_kind) " #" (appeal.target_id)
            @if !target.is_empty() { " · " a href=(target) { (lang.t("ad")) } } }
        section {
            h2 { (lang.t("decision_appealed")) }
            p { (decision.action) " · " (lang.t("moderator")) " " @if let Some(m) = decision.moderator_id { "#" (m) }
                " · " (time(decision.created_at).format("%Y-%m-%d %H:%M")) }
            blockquote { (decision.reason) }
        }
        section { h2 { (lang.t("appeal_message")) } blockquote { (appeal.message) } }
        @if let Some(outcome) = &appeal.outcome { p.state { (outcome) } }
        @if mine {
            section.decide {
                form id="decide" method="post" action={ "/mod/appeals/" (appeal.id) "/decide" } {
                    input type="hidden" name="csrf" value=(me.csrf);
                    label { (lang.t("answer")) " " input name="answer" required minlength="3" maxlength="500"; }
                    button type="submit" name="decision" value="grant" data-key="a" { (lang.t("grant")) " [a]" }
                    button type="submit" name="decision" value="deny" data-key="x" { (lang.t("deny")) " [x]" }
                }
            }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        layout(lang, lang.t("appeal"), Some(&me.csrf), body),
    ))
}

#[derive(Debug, Deserialize)]
pub struct AppealDecision {
    #[serde(default)]
    pub csrf: String,
    pub decision: String,
    #[serde(default)]
    pub answer: String,
}

pub async fn decide(
    state: web::Data<AppState>,
    me: Moderator,
    path: web::Path<i64>,
    form: web::Form<AppealDecision>,
) -> Result<HttpResponse, ConsoleError> {
    me.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    let lang = me.lang;
    let grant = match form.decision.as_str() {
        "grant" => true,
        "deny" => false,
        _ => return Err(ConsoleError::Api(ApiError::NotFound, lang)),
    };
    let answer = reason_text(&form.answer).map_err(|e| ConsoleError::Api(e, lang))?;
    let user = me.user;
    let decided = state
        .tx(move |conn| {
            if !console::spend_claim(conn, &appeal_item(id), user.id)? {
                return Ok(false);
            }
            decide_appeal(conn, user, id, grant, &answer)?;
            Ok(true)
        })
        .await
        .map_err(|e| ConsoleError::Api(e, lang))?;
    if !decided {
        return Err(ConsoleError::Claimed(lang));
    }
    state.wake_worker().await;
    Ok(see_other("/mod/"))
}
