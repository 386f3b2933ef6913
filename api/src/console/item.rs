//! An item of the queue: opening it claims it for a few minutes (a second moderator sees it
//! taken and cannot decide); its evidence; the decisions, which go through the same use
//! cases as `/v1/mod/...` and release the claim.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use souk_store::console;

use super::error::ConsoleError;
use super::evidence::{gather, shared_words, Evidence};
use super::i18n::{hide_reason, Lang, HIDE_REASONS};
use super::pages::see_other;
use super::pages::{html_response, layout, marked};
use super::queue::listing_item;
use super::session::Moderator;
use crate::error::ApiError;
use crate::state::AppState;
use crate::usecases::bulk_moderation::{ads_of_seller_for, decide_listings, MAX_ADS_PER_DECISION};
use crate::usecases::moderation::{
    decide_listing, decide_user, reason_text, ListingDecision, UserDecision,
};
use crate::views::{photo_url, time};

/// How long opening an item keeps it ours.
pub const CLAIM_MINUTES: i64 = 10;

/// Claims `item` for `user` as opening its page does (`CLAIM_MINUTES`): the holder, who may
/// be another moderator.
pub fn claim_on_opening(
    conn: &mut souk_store::DbConn,
    item: &str,
    user: crate::auth::AuthUser,
) -> Result<i64, ApiError> {
    let until = souk_store::now() + chrono::Duration::minutes(CLAIM_MINUTES);
    Ok(console::claim(conn, item, user.id, until)?)
}

pub async fn listing_page(
    state: web::Data<AppState>,
    me: Moderator,
    path: web::Path<i64>,
) -> Result<HttpResponse, ConsoleError> {
    let id = path.into_inner();
    let lang = me.lang;
    let user = me.user;
    let (evidence, holder) = state
        .tx(move |conn| {
            crate::usecases::roles::moderator(conn, user)?;
            let evidence = gather(conn, id)?;
            let holder = claim_on_opening(conn, &listing_item(id), user)?;
            Ok((evidence, holder))
        })
        .await
        .map_err(|e| ConsoleError::Api(e, lang))?;
    let mine = holder == me.user.id;
    let body = html! {
        p { a href="/mod/" { "← " (lang.t("back")) } }
        @if !mine { p.refusal id="taken" { (lang.t("taken")) " (#" (holder) ")" } }
        (ad_section(lang, &evidence))
        (reports_section(lang, &evidence))
        (flags_section(lang, &evidence))
        (seller_section(lang, &evidence))
        @if mine { (decisions(lang, &me.csrf, &evidence)) }
    };
    Ok(html_response(
        StatusCode::OK,
        layout(lang, &evidence.listing.title, Some(&me.csrf), body),
    ))
}

fn ad_section(lang: Lang, e: &Evidence) -> Markup {
    let l = &e.listing;
    let phrases: Vec<String> = e
        .flags
        .iter()
        .filter(|f| f.kind == "scam_phrase")
        .flat_map(|f| {
            let ev: serde_json::Value = serde_json::from_str(&f.evidence).unwrap_or_default();
            ev["phrases"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|p| p.as_str().map(str::to_string))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
        .collect();
    html! {
        section.ad {
            h1 { "#" (l.id) " " (marked(&l.title, &phrases)) }
            p {
                (lang.t("category")) ": " (l.category) " · " (lang.t("wilaya")) ": " (l.wilaya)
                " · " (lang.t("price")) ": " (l.price.map(|p| p.to_string()).unwrap_or_default()) " DZD"
                " · " @if l.hidden_at.is_some() {
                    span.state { (lang.t("hidden")) } " (" (lang.t("hidden_by")) " " (l.hidden_by.clone().unwrap_or_default()) ")"
                } @else { (lang.t("visible")) }
            }
            p.description { (marked(&l.description, &phrases)) }
            div.photos { @for p in &e.photos { img src=(photo_url(&p.storage_key, "thumb")) alt="" width="160"; } }
        }
    }
}

fn reports_section(lang: Lang, e: &Evidence) -> Markup {
    html! {
        section.reports {
            h2 { (lang.t("reports")) " (" (e.reports.len()) ")" }
            @if !e.reports.is_empty() {
                table { thead { tr { th { (lang.t("reason")) } th { (lang.t("reporter")) } th { (lang.t("weight")) } th { (lang.t("when")) } } }
                    tbody { @for (r, w) in &e.reports { tr.report {
                        td { (r.reason) @if let Some(c) = &r.comment { br; q { (c) } } }
                        td { "#" (r.reporter_id) }
                        td.weight { (format!("{w:.2}")) }
                        td { (time(r.created_at).format("%Y-%m-%d %H:%M")) }
                    } } }
                }
            }
        }
    }
}

fn flags_section(lang: Lang, e: &Evidence) -> Markup {
    let photo = |id: Option<i64>| {
        id.and_then(|id| e.named_photos.iter().find(|p| p.id == id))
            .map(|p| photo_url(&p.storage_key, "large"))
    };
    html! {
        section.flags {
            h2 { (lang.t("flags")) " (" (e.flags.len()) ")" }
            @for f in &e.flags {
                @let ev: serde_json::Value = serde_json::from_str(&f.evidence).unwrap_or_default();
                article.flag data-kind=(f.kind) {
                    h3 { (f.kind) }
                    @match f.kind.as_str() {
                        "duplicate_photo" => {
                            p { (lang.t("distance")) ": " (ev["distance"]) }
                            div.side-by-side {
                                @if let Some(u) = photo(ev["photo_id"].as_i64()) { figure { img src=(u) alt="" width="320"; figcaption { "#" (f.listing_id) } } }
                                @if let Some(u) = photo(ev["other_photo_id"].as_i64()) { figure { img src=(u) alt="" width="320"; figcaption { (lang.t("other_ad")) " #" (f.other_listing_id.unwrap_or_default()) } } }
                            }
                        }
                        "duplicate_text" => {
                            p { (lang.t("distance")) ": " (ev["distance"]) }
                            @if let Some(other) = e.other_ads.iter().find(|o| Some(o.id) == f.other_listing_id) {
                                @let shared = shared_words(&other.description, &e.listing.description);
                                div.side-by-side {
                                    blockquote { (marked(&e.listing.description, &shared)) }
                                    blockquote { strong { (lang.t("other_ad")) " #" (other.id) ": " } (marked(&other.description, &shared)) }
                                }
                            }
                        }
                        "scam_phrase" => {
                            p { (lang.t("phrases")) ": "
                                @for p in ev["phrases"].as_array().cloned().unwrap_or_default() { mark { (p.as_str().unwrap_or_default()) } " " } }
                        }
                        "suspicious_price" => {
                            p { (lang.t("price")) ": " strong { (ev["price"]) } " · " (lang.t("quartiles")) ": "
                                (ev["p25"]) " / " (ev["median"]) " / " (ev["p75"]) " · " (lang.t("comparables")) ": " (ev["comparables"]) }
                        }
                        _ => { pre { (f.evidence) } }
                    }
                }
            }
        }
    }
}

fn seller_section(lang: Lang, e: &Evidence) -> Markup {
    let s = &e.seller;
    let yes_no = |b: bool| lang.t(if b { "yes" } else { "no" });
    let age = (souk_store::now() - s.created_at).num_days();
    html! {
        section.seller {
            h2 { (lang.t("seller")) " #" (s.id) " " (s.display_name) }
            ul {
                li { (lang.t("account_age_days")) ": " (age) }
                li { (lang.t("email_confirmed")) ": " (yes_no(s.email_verified_at.is_some())) }
                li { (lang.t("phone_confirmed")) ": " (yes_no(s.phone_verified_at.is_some())) }
                @if s.banned_at.is_some() { li.state { (lang.t("banned")) } }
                li { (lang.t("other_ads")) ": " (e.seller_active_ads) }
                li { (lang.t("ratings")) ": " (e.seller_ratings.0) " (" (format!("{:.1}", e.seller_ratings.1)) ")" }
            }
            h3 { (lang.t("past_decisions")) }
            ul.decisions { @for d in &e.past_decisions {
                li { (time(d.created_at).format("%Y-%m-%d")) " · " (d.action) " · " (d.target_kind) " #" (d.target_id) " · " (d.reason) }
            } }
        }
    }
}

fn decisions(lang: Lang, csrf: &str, e: &Evidence) -> Markup {
    let id = e.listing.id;
    let button = |decision: &str, key: &str| {
        html! { button type="submit" name="decision" value=(decision) data-key=(key) { (lang.t(decision)) " [" (key) "]" } }
    };
    html! {
        section.decide {
            h2 { (lang.t("decide")) }
            form id="decide" method="post" action={ "/mod/listings/" (id) "/decide" } {
                input type="hidden" name="csrf" value=(csrf);
                label { (lang.t("reason")) " "
                    select name="template" {
                        @for (key, ..) in HIDE_REASONS { option value=(key) { (hide_reason(key, lang.code()).unwrap_or(key)) } }
                    }
                }
                label { (lang.t("custom_reason")) " " input name="reason" maxlength="500"; }
                label.all-of-seller { input type="checkbox" name="all_of_seller" value="1"; " " (lang.t("all_of_seller")) }
                (button("dismiss", "d")) (button("hide", "h")) (button("restore", "r"))
            }
            form id="ban" method="post" action={ "/mod/users/" (e.seller.id) "/decide" } {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="from_listing" value=(id);
                input type="hidden" name="template" value="scam";
                @if e.seller.banned_at.is_some() {
                    @if let Some(until) = e.seller.banned_until { p.state { (lang.t("banned_until")) " " (time(until).format("%Y-%m-%d %H:%M")) } }
                    (button("unban", "u"))
                } @else {
                    (ban_length(lang))
                    button type="submit" name="decision" value="ban" data-key="b" data-confirm=(lang.t("confirm_ban")) { (lang.t("ban")) " [b]" }
                }
            }
        }
    }
}

/// The ban's length: a few days for a first offence, for good for a scammer.
pub fn ban_length(lang: Lang) -> Markup {
    html! {
        label { (lang.t("ban_length")) " "
            select name="days" {
                @for d in ["1", "7", "30", "365"] { option value=(d) { (lang.t(&format!("days_{d}"))) } }
                option value="" selected { (lang.t("for_good")) }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DecisionForm {
    /// Missing is refused like a wrong one (403), not as a malformed form.
    #[serde(default)]
    pub csrf: String,
    pub decision: String,
    /// A key of `HIDE_REASONS`: the owner reads it in their language.
    pub template: Option<String>,
    /// A reason of the moderator's own words instead.
    pub reason: Option<String>,
    /// On a user decision: the ad page it was taken from (its claim is let go).
    pub from_listing: Option<i64>,
    /// On a ban: its length in days; empty for good.
    pub days: Option<String>,
    /// On an ad: hide or restore every ad of its seller with it.
    pub all_of_seller: Option<String>,
}

impl DecisionForm {
    /// The reason in `language`: the moderator's words, or the template's.
    pub fn reason_in(&self, language: &str) -> Result<String, ApiError> {
        let own = self
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        let text = match own {
            Some(r) => r.to_string(),
            None => self
                .template
                .as_deref()
                .and_then(|t| hide_reason(t, language))
                .ok_or_else(|| ApiError::field("reason", "required", "pick or write a reason"))?
                .to_string(),
        };
        reason_text(&text)
    }

    /// The ban's length in days (`days`); none for good.
    pub fn ban_days(&self) -> Result<Option<u32>, ApiError> {
        match self
            .days
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            None => Ok(None),
            Some(d) => d
                .parse()
                .map(Some)
                .map_err(|_| ApiError::field("days", "invalid", "a number of days")),
        }
    }
}

pub async fn decide_on_listing(
    state: web::Data<AppState>,
    me: Moderator,
    path: web::Path<i64>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, ConsoleError> {
    me.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    let lang = me.lang;
    let decision = ListingDecision::parse(&form.decision)
        .ok_or(ConsoleError::Api(ApiError::NotFound, lang))?;
    let user = me.user;
    let form = form.into_inner();
    let decided = state
        .tx(move |conn| {
            // Opened by another moderator meanwhile, never opened, or decided already (a
            // double submit): not ours to decide.
            if !console::spend_claim(conn, &listing_item(id), user.id)? {
                return Ok(None);
            }
            let l = souk_store::listings::get_listing(conn, id)?;
            if form.all_of_seller.is_some() {
                let mut ids = ads_of_seller_for(conn, user, l.user_id, decision)?;
                if !ids.contains(&id) {
                    ids.insert(0, id);
                    ids.truncate(MAX_ADS_PER_DECISION);
                }
                // Ads another moderator has open are theirs to decide.
                let keys: Vec<String> = ids.iter().map(|i| listing_item(*i)).collect();
                let held: Vec<String> = console::live_claims(conn, &keys)?
                    .into_iter()
                    .filter(|(_, m)| *m != user.id)
                    .map(|(k, _)| k)
                    .collect();
                ids.retain(|i| !held.contains(&listing_item(*i)));
                let reason_for = |owner: &souk_store::users::User| form.reason_in(&owner.language);
                decide_listings(conn, user, &ids, decision, &reason_for)?;
                return Ok(Some(()));
            }
            let owner = souk_store::users::find_user(conn, l.user_id)?;
            let reason = form.reason_in(&owner.language)?;
            decide_listing(conn, user, id, decision, &reason)?;
            Ok(Some(()))
        })
        .await
        .map_err(|e| ConsoleError::Api(e, lang))?;
    if decided.is_none() {
        return Err(ConsoleError::Claimed(lang));
    }
    state.wake_worker().await;
    Ok(see_other("/mod/"))
}

pub async fn decide_on_user(
    state: web::Data<AppState>,
    me: Moderator,
    path: web::Path<i64>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, ConsoleError> {
    me.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    let lang = me.lang;
    let decision = UserDecision::parse(&form.decision)
        .ok_or(ApiError::NotFound)
        .and_then(|d| d.with_days(form.ban_days()?))
        .map_err(|e| ConsoleError::Api(e, lang))?;
    let user = me.user;
    let form = form.into_inner();
    let decided = state
        .tx(move |conn| {
            // Taken from the page of one of the seller's ads, while that ad is ours: two
            // moderators on two ads of one seller cannot ban and unban in turn.
            let from = form.from_listing.ok_or(ApiError::field(
                "from_listing",
                "required",
                "decide from an ad's page",
            ))?;
            if souk_store::listings::get_listing(conn, from)?.user_id != id {
                return Err(ApiError::field(
                    "from_listing",
                    "not_theirs",
                    "an ad of this seller",
                ));
            }
            if !console::spend_claim(conn, &listing_item(from), user.id)? {
                return Ok(None);
            }
            let target = souk_store::users::find_user(conn, id)?;
            let reason = form.reason_in(&target.language)?;
            let result = decide_user(conn, user, id, decision, &reason)?;
            Ok(Some(result))
        })
        .await
        .map_err(|e| ConsoleError::Api(e, lang))?;
    let Some(result) = decided else {
        return Err(ConsoleError::Claimed(lang));
    };
    if matches!(decision, UserDecision::Ban { .. }) {
        state.sessions_ended(result.target_id).await;
    }
    state.wake_worker().await;
    Ok(see_other("/mod/"))
}
