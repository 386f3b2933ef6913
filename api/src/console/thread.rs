//! Reported threads in the console: the open ones in the queue; the page shows the reports
//! and the messages, the reported ones marked; the decisions close the reports (`d`) or ban
//! the reported person and close them (`b`), through the same use cases as the API.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use souk_store::{console, conversation_reports};

use super::error::ConsoleError;
use super::i18n::{hide_reason, Lang, HIDE_REASONS};
use super::item::DecisionForm;
use super::pages::{html_response, layout, see_other};
use super::session::Moderator;
use crate::error::ApiError;
use crate::state::AppState;
use crate::usecases::conversations::may_see_message_photo;
use crate::usecases::image_upload::{photo_file, read_image};
use crate::usecases::moderation::{decide_user, UserDecision};
use crate::usecases::reported_threads::{reported_thread, resolve_reported_thread};
use crate::views::moderation::ReportedThread;
use souk_store::files::Area;

/// The claim key of a thread.
pub fn thread_item(id: i64) -> String {
    format!("thread:{id}")
}

/// A photo of the thread as the console serves it to a moderator (the API's address wants a
/// bearer token; the console has its session cookie).
fn console_photo_url(api_url: &str) -> Option<String> {
    api_url
        .strip_prefix("/v1/conversations/")
        .map(|rest| format!("/mod/threads/{rest}"))
}

/// A photo of a reported thread, for moderators (the same check as the API's route).
pub async fn thread_photo(
    state: web::Data<AppState>,
    me: Moderator,
    path: web::Path<(i64, String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (id, key, size) = path.into_inner();
    let lang = me.lang;
    let size = size.strip_suffix(".jpg").unwrap_or_default().to_string();
    let file = photo_file(&key, &size).map_err(|e| ConsoleError::Api(e, lang))?;
    let user = me.user;
    state
        .db(move |conn| may_see_message_photo(conn, user, id, &key))
        .await
        .map_err(|e| ConsoleError::Api(e, lang))?;
    let bytes = read_image(&state, Area::MessagePhotos, &file)
        .await
        .map_err(|e| ConsoleError::Api(e, lang))?;
    Ok(HttpResponse::Ok()
        .content_type("image/jpeg")
        .insert_header((
            actix_web::http::header::CACHE_CONTROL,
            "private, max-age=3600",
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}

/// The queue's section of reported threads: (thread, reports, first report time).
pub fn section(lang: Lang, open: &[(i64, usize, chrono::NaiveDateTime)]) -> Markup {
    html! {
        @if !open.is_empty() {
            h2 { (lang.t("reported_threads")) " (" (open.len()) ")" }
            table.queue {
                thead { tr { th { (lang.t("item")) } th { (lang.t("reports")) } th { (lang.t("since")) } } }
                tbody { @for (id, n, since) in open {
                    tr.item data-href={ "/mod/threads/" (id) } {
                        td { a href={ "/mod/threads/" (id) } { (lang.t("thread")) " #" (id) } }
                        td { (n) }
                        td { (since.format("%Y-%m-%d %H:%M")) }
                    }
                } }
            }
        }
    }
}

/// The open reported threads for the queue, the longest waiting first.
pub fn open_threads(
    conn: &mut souk_store::DbConn,
    limit: i64,
) -> Result<Vec<(i64, usize, chrono::NaiveDateTime)>, ApiError> {
    let (threads, _) = conversation_reports::open_threads(conn, 1, limit)?;
    Ok(threads
        .into_iter()
        .filter_map(|(id, reports)| {
            let first = reports.iter().map(|r| r.created_at).min()?;
            Some((id, reports.len(), first))
        })
        .collect())
}

/// The person a thread's reports are about: the other side of its first reporter.
fn reported_person(t: &ReportedThread) -> Option<i64> {
    let reporter = t.reports.first()?.reporter_id;
    Some(if reporter == t.buyer_id {
        t.seller_id
    } else {
        t.buyer_id
    })
}

pub async fn thread_page(
    state: web::Data<AppState>,
    me: Moderator,
    path: web::Path<i64>,
) -> Result<HttpResponse, ConsoleError> {
    let id = path.into_inner();
    let lang = me.lang;
    let user = me.user;
    let (thread, holder) = state
        .tx(move |conn| {
            crate::usecases::roles::moderator(conn, user)?;
            let reports = conversation_reports::open_reports_of(conn, id)?;
            if reports.is_empty() {
                return Err(ApiError::NotFound);
            }
            let thread = reported_thread(conn, id, reports)?;
            let holder = super::item::claim_on_opening(conn, &thread_item(id), user)?;
            Ok((thread, holder))
        })
        .await
        .map_err(|e| ConsoleError::Api(e, lang))?;
    let reported: Vec<i64> = thread.reports.iter().filter_map(|r| r.message_id).collect();
    let body = html! {
        p { a href="/mod/" { "← " (lang.t("back")) } }
        @if holder != me.user.id { p.refusal id="taken" { (lang.t("taken")) " (#" (holder) ")" } }
        h1 { (lang.t("thread")) " #" (thread.conversation_id) " · " (thread.listing_title) }
        p { "buyer #" (thread.buyer_id) " · seller #" (thread.seller_id)
            @if let Some(l) = thread.listing_id { " · " a href={ "/mod/listings/" (l) } { (lang.t("ad")) " #" (l) } } }
        section.reports {
            h2 { (lang.t("reports")) " (" (thread.reports.len()) ")" }
            ul { @for r in &thread.reports {
                li { (r.reason) " · " (lang.t("reporter")) " #" (r.reporter_id)
                    @if let Some(m) = r.message_id { " · message #" (m) }
                    @if let Some(d) = &r.detail { " · " q { (d) } } }
            } }
        }
        section.messages {
            @for m in &thread.messages {
                article.message .reported[reported.contains(&m.id)] {
                    p { strong { (m.from) " #" (m.sender_id) } " · " (m.created_at.format("%Y-%m-%d %H:%M"))
                        @if let Some(w) = &m.warning { " · " span.state { (w) } } }
                    p { (m.body) }
                    @if let Some(url) = m.photo_url.as_deref().and_then(console_photo_url) {
                        a href=(url) { img.message-photo src=(url.replace("/large.jpg", "/thumb.jpg")) alt="photo" width="240"; }
                    }
                }
            }
        }
        @if holder == me.user.id {
            section.decide {
                form id="decide" method="post" action={ "/mod/threads/" (thread.conversation_id) "/decide" } {
                    input type="hidden" name="csrf" value=(me.csrf);
                    label { (lang.t("reason")) " "
                        select name="template" {
                            @for (key, ..) in HIDE_REASONS { option value=(key) { (hide_reason(key, lang.code()).unwrap_or(key)) } }
                        }
                    }
                    label { (lang.t("custom_reason")) " " input name="reason" maxlength="500"; }
                    button type="submit" name="decision" value="dismiss" data-key="d" { (lang.t("dismiss")) " [d]" }
                    @if let Some(p) = reported_person(&thread) {
                        (super::item::ban_length(lang))
                        button type="submit" name="decision" value="ban" data-key="b" data-confirm=(lang.t("confirm_ban")) { (lang.t("ban")) " #" (p) " [b]" }
                    }
                }
            }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        layout(lang, lang.t("thread"), Some(&me.csrf), body),
    ))
}

pub async fn decide(
    state: web::Data<AppState>,
    me: Moderator,
    path: web::Path<i64>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, ConsoleError> {
    me.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    let lang = me.lang;
    let ban = match form.decision.as_str() {
        "dismiss" => false,
        "ban" => true,
        _ => return Err(ConsoleError::Api(ApiError::NotFound, lang)),
    };
    let user = me.user;
    let form = form.into_inner();
    let decided = state
        .tx(move |conn| {
            if !console::spend_claim(conn, &thread_item(id), user.id)? {
                return Ok(None);
            }
            let reports = conversation_reports::open_reports_of(conn, id)?;
            let thread = reported_thread(conn, id, reports)?;
            let banned = match (ban, reported_person(&thread)) {
                (true, Some(person)) => {
                    let target = souk_store::users::find_user(conn, person)?;
                    let reason = form.reason_in(&target.language)?;
                    let ban = UserDecision::Ban { days: None }.with_days(form.ban_days()?)?;
                    decide_user(conn, user, person, ban, &reason)?;
                    Some(person)
                }
                _ => None,
            };
            resolve_reported_thread(conn, user, id, &form.reason_in("fr")?)?;
            Ok(Some(banned))
        })
        .await
        .map_err(|e| ConsoleError::Api(e, lang))?;
    let Some(banned) = decided else {
        return Err(ConsoleError::Claimed(lang));
    };
    if let Some(person) = banned {
        state.sessions_ended(person).await;
    }
    state.wake_worker().await;
    Ok(see_other("/mod/"))
}
