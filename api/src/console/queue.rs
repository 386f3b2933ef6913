//! The queue page: every ad with open reports or findings (hidden ones first, then the oldest),
//! filterable by kind, reason, category and wilaya, with who is working on what.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::html;
use serde::Deserialize;
use souk_domain::trust::ReportReason;
use souk_store::console;

use super::error::ConsoleError;
use super::i18n::{hide_reason, Lang, HIDE_REASONS};
use super::pages::{html_response, layout};
use super::session::Moderator;
use crate::state::AppState;
use crate::usecases::moderation::{review_queue, QueueFilter as UseCaseFilter};
use souk_store::review_queue::QueueKind;

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
    /// After a decision on a selection: ads decided, and ads left out (taken or decided).
    pub done: Option<usize>,
    pub skipped: Option<usize>,
}

/// Items on one page of the queue: a screen's work, and a page that stays quick to build.
pub const PAGE: usize = 100;

/// The claim key of an ad in the queue.
pub fn listing_item(id: i64) -> String {
    format!("listing:{id}")
}

impl QueueFilter {
    /// What the use case takes; a value the form cannot produce filters nothing.
    fn as_filter(&self) -> UseCaseFilter {
        UseCaseFilter {
            kind: match self.kind.as_deref() {
                Some("reports") => QueueKind::Reports,
                Some("flags") => QueueKind::Findings,
                _ => QueueKind::All,
            },
            reason: self.reason.as_deref().and_then(ReportReason::parse),
            category: self
                .category
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty() && c.len() <= 64)
                .map(str::to_string),
            wilaya: self.wilaya.as_deref().and_then(|w| w.trim().parse().ok()),
            offset: self.offset.unwrap_or(0).min(100_000) as i64,
            limit: PAGE as i64,
        }
    }
}

pub async fn queue_page(
    state: web::Data<AppState>,
    me: Moderator,
    filter: web::Query<QueueFilter>,
) -> Result<HttpResponse, ConsoleError> {
    let filter = filter.into_inner();
    let lang = me.lang;
    let user = me.user;
    let wanted = filter.as_filter();
    let offset = wanted.offset as usize;
    let (items, total, claims, open_appeals, threads) = state
        .db(move |conn| {
            let (items, total) = review_queue(conn, user, &wanted)?;
            let keys: Vec<String> = items.iter().map(|i| listing_item(i.listing_id)).collect();
            let claims = console::live_claims(conn, &keys)?;
            let open_appeals = super::appeal::open_appeals(conn, 200)?;
            let threads = super::thread::open_threads(conn, 50)?;
            Ok((items, total as usize, claims, open_appeals, threads))
        })
        .await
        .map_err(|e| ConsoleError::Api(e, lang))?;
    let items = &items[..];
    let holder = |id: i64| {
        let key = listing_item(id);
        claims.iter().find(|(k, _)| *k == key).map(|(_, m)| *m)
    };
    let body = html! {
        h1 { (lang.t("queue")) " (" (total + open_appeals.len() + threads.len()) ")" }
        (super::appeal::section(lang, &open_appeals))
        (super::thread::section(lang, &threads))
        (filters(lang, &filter))
        @if let (Some(done), Some(skipped)) = (filter.done, filter.skipped) {
            p.notice id="selection-outcome" { (lang.t("done_skipped")) ": " (done) " / " (skipped) }
        }
        @if items.is_empty() {
            p.empty { (lang.t("empty")) }
        } @else {
            form id="selection" method="post" action="/mod/selection" {
            input type="hidden" name="csrf" value=(me.csrf);
            table.queue {
                thead { tr {
                    th { "✓" }
                    th { (lang.t("item")) } th { (lang.t("category")) } th { (lang.t("wilaya")) }
                    th { (lang.t("reports")) } th { (lang.t("flags")) } th { (lang.t("since")) } th {}
                } }
                tbody {
                    @for i in items {
                        tr.item data-href={ "/mod/listings/" (i.listing_id) } .hidden[i.hidden] {
                            td { input type="checkbox" name="ids" value=(i.listing_id) disabled[holder(i.listing_id).is_some_and(|m| m != me.user.id)]; }
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
            (selection_bar(lang))
            }
            @if offset > 0 {
                p { a.previous href={ "/mod/?offset=" (offset.saturating_sub(PAGE)) (filter_query(&filter)) } { "← " (offset.saturating_sub(PAGE) + 1) "–" (offset) } }
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

/// The decision on the rows marked (`x`): a reason, and one of three decisions.
fn selection_bar(lang: Lang) -> maud::Markup {
    html! {
        fieldset.selection {
            legend { (lang.t("decide_selection")) }
            label { (lang.t("reason")) " "
                select name="template" {
                    @for (key, ..) in HIDE_REASONS { option value=(key) { (hide_reason(key, lang.code()).unwrap_or(key)) } }
                }
            }
            label { (lang.t("custom_reason")) " " input name="reason" maxlength="500"; }
            @for (decision, key) in [("dismiss", "D"), ("hide", "H"), ("restore", "R")] {
                button type="submit" name="decision" value=(decision) data-key=(key) { (lang.t(decision)) " [" (key) "]" }
            }
        }
    }
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
