//! The queue page: every ad with open reports or findings (hidden ones first, then the oldest),
//! filterable by kind, reason, category and wilaya, with who is working on what.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::html;
use serde::Deserialize;
use souk_domain::trust::ReportReason;
use souk_store::console;

use super::error::ConsoleError;
use super::i18n::Lang;
use super::pages::{html_response, layout};
use super::session::Moderator;
use crate::state::AppState;
use crate::usecases::moderation::review_queue;
use crate::views::moderation::ReportedListing;

#[derive(Debug, Deserialize)]
pub struct QueueFilter {
    /// `reports` (ads with a report) or `flags` (ads with a finding).
    pub kind: Option<String>,
    pub reason: Option<String>,
    pub category: Option<String>,
    /// A number, or empty (the form's blank field) for any.
    pub wilaya: Option<String>,
    /// Items skipped: the page shows `PAGE` from there.
    pub offset: Option<usize>,
}

/// Items on one page of the queue: a screen's work, and a page that stays quick to build.
pub const PAGE: usize = 100;

/// The claim key of an ad in the queue.
pub fn listing_item(id: i64) -> String {
    format!("listing:{id}")
}

pub async fn queue_page(
    state: web::Data<AppState>,
    me: Moderator,
    filter: web::Query<QueueFilter>,
) -> Result<HttpResponse, ConsoleError> {
    let filter = filter.into_inner();
    let lang = me.lang;
    let reason = filter.reason.as_deref().and_then(ReportReason::parse);
    let wilaya: Option<i32> = filter.wilaya.as_deref().and_then(|w| w.trim().parse().ok());
    let user = me.user;
    let (items, claims, open_appeals, threads) = state
        .db(move |conn| {
            let items = review_queue(conn, user, reason)?;
            let keys: Vec<String> = items.iter().map(|i| listing_item(i.listing_id)).collect();
            let claims = console::live_claims(conn, &keys)?;
            let open_appeals = super::appeal::open_appeals(conn, 200)?;
            let threads = super::thread::open_threads(conn, 50)?;
            Ok((items, claims, open_appeals, threads))
        })
        .await
        .map_err(|e| ConsoleError::Api(e, lang))?;
    let items: Vec<ReportedListing> = items
        .into_iter()
        .filter(|i| match filter.kind.as_deref() {
            Some("reports") => !i.reports.is_empty(),
            Some("flags") => !i.flags.is_empty(),
            _ => true,
        })
        .filter(|i| {
            filter
                .category
                .as_deref()
                .is_none_or(|c| c.is_empty() || i.category == c)
        })
        .filter(|i| wilaya.is_none_or(|w| i.wilaya == w))
        .collect();
    let total = items.len();
    let offset = filter.offset.unwrap_or(0).min(total);
    let items = &items[offset..(offset + PAGE).min(total)];
    let holder = |id: i64| {
        let key = listing_item(id);
        claims.iter().find(|(k, _)| *k == key).map(|(_, m)| *m)
    };
    let body = html! {
        h1 { (lang.t("queue")) " (" (total + open_appeals.len() + threads.len()) ")" }
        (super::appeal::section(lang, &open_appeals))
        (super::thread::section(lang, &threads))
        (filters(lang, &filter))
        @if items.is_empty() {
            p.empty { (lang.t("empty")) }
        } @else {
            table.queue {
                thead { tr {
                    th { (lang.t("item")) } th { (lang.t("category")) } th { (lang.t("wilaya")) }
                    th { (lang.t("reports")) } th { (lang.t("flags")) } th { (lang.t("since")) } th {}
                } }
                tbody {
                    @for i in items {
                        tr.item data-href={ "/mod/listings/" (i.listing_id) } .hidden[i.hidden] {
                            td { a href={ "/mod/listings/" (i.listing_id) } { "#" (i.listing_id) " " (i.title) } }
                            td { (i.category) }
                            td { (i.wilaya) }
                            td { (i.reports.len()) @for r in &i.reports { " " span.tag { (r.reason) } } }
                            td { (i.flag_score) @for f in &i.flags { " " span.tag { (f.kind) } } }
                            td { (i.first_reported_at.format("%Y-%m-%d %H:%M")) }
                            td {
                                @if i.hidden { span.state { (lang.t("hidden")) } }
                                @match holder(i.listing_id) {
                                    Some(m) if m == me.user.id => { " " span.claim { (lang.t("claimed_by_you")) } }
                                    Some(m) => { " " span.claim.taken { (lang.t("claimed_by")) " #" (m) } }
                                    None => {}
                                }
                            }
                        }
                    }
                }
            }
            @if offset + PAGE < total {
                p { a.next href={ "/mod/?offset=" (offset + PAGE) (filter_query(&filter)) } { "→ " (offset + PAGE + 1) "–" ((offset + 2 * PAGE).min(total)) } }
            }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        layout(lang, lang.t("queue"), Some(&me.csrf), body),
    ))
}

/// The filters as the rest of a query string (`&kind=…`), for the next page's link.
fn filter_query(f: &QueueFilter) -> String {
    let mut q = String::new();
    let mut add = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            let v: String = v
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            q.push_str(&format!("&{k}={v}"));
        }
    };
    add("kind", f.kind.clone());
    add("reason", f.reason.clone());
    add("category", f.category.clone());
    add("wilaya", f.wilaya.clone());
    q
}

fn filters(lang: Lang, f: &QueueFilter) -> maud::Markup {
    let reasons = [
        "scam",
        "prohibited",
        "duplicate",
        "wrong_category",
        "offensive",
        "sold",
        "other",
    ];
    html! {
        form.filters method="get" action="/mod/" {
            label { (lang.t("item")) " "
                select name="kind" {
                    option value="" { (lang.t("all")) }
                    option value="reports" selected[f.kind.as_deref() == Some("reports")] { (lang.t("reports")) }
                    option value="flags" selected[f.kind.as_deref() == Some("flags")] { (lang.t("flags")) }
                }
            }
            label { (lang.t("reason")) " "
                select name="reason" {
                    option value="" { (lang.t("all")) }
                    @for r in reasons {
                        option value=(r) selected[f.reason.as_deref() == Some(r)] { (r) }
                    }
                }
            }
            label { (lang.t("category")) " " input name="category" size="12" value=(f.category.clone().unwrap_or_default()); }
            label { (lang.t("wilaya")) " " input name="wilaya" type="number" min="1" max="58" value=(f.wilaya.clone().unwrap_or_default()); }
            button type="submit" { (lang.t("filter")) }
        }
    }
}
