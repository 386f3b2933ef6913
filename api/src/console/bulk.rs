//! A decision on a selection of the queue (`x` marks a row): each ad is claimed as opening it
//! would and decided through the same use case as one; an ad another moderator holds, or one
//! decided meanwhile (a second submission), is left out and counted.

use actix_web::{web, HttpResponse};
use souk_store::{console, moderation};

use super::error::ConsoleError;
use super::item::{claim_on_opening, DecisionForm};
use super::pages::see_other;
use super::queue::{listing_item, PAGE};
use super::session::Moderator;
use crate::error::ApiError;
use crate::state::AppState;
use crate::usecases::bulk_moderation::decide_listings;
use crate::usecases::moderation::ListingDecision;

/// The selection form: `ids` repeated, with the decision's fields.
fn read_form(pairs: Vec<(String, String)>) -> Result<(DecisionForm, Vec<i64>), ApiError> {
    let mut form = DecisionForm::default();
    let mut ids = Vec::new();
    for (key, value) in pairs {
        match key.as_str() {
            "csrf" => form.csrf = value,
            "decision" => form.decision = value,
            "template" => form.template = Some(value),
            "reason" => form.reason = Some(value),
            "ids" => ids.push(
                value
                    .parse()
                    .map_err(|_| ApiError::field("ids", "invalid", "ad ids"))?,
            ),
            _ => {}
        }
    }
    if ids.is_empty() || ids.len() > PAGE {
        return Err(ApiError::field(
            "ids",
            "out_of_range",
            "select 1 to 100 ads of the queue",
        ));
    }
    ids.sort_unstable();
    ids.dedup();
    Ok((form, ids))
}

pub async fn decide_selection(
    state: web::Data<AppState>,
    me: Moderator,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, ConsoleError> {
    let lang = me.lang;
    let (form, ids) = read_form(form.into_inner()).map_err(|e| ConsoleError::Api(e, lang))?;
    me.check_csrf(&form.csrf)?;
    let decision = ListingDecision::parse(&form.decision)
        .ok_or(ConsoleError::Api(ApiError::NotFound, lang))?;
    let user = me.user;
    let (done, skipped) = state
        .tx(move |conn| {
            crate::usecases::roles::moderator(conn, user)?;
            let mut mine = Vec::new();
            for &id in &ids {
                let item = listing_item(id);
                // Decided meanwhile (a second submission) first: no claim is left behind.
                if moderation::awaits_review(conn, id)?
                    && claim_on_opening(conn, &item, user)? == user.id
                    && console::spend_claim(conn, &item, user.id)?
                {
                    mine.push(id);
                }
            }
            let reason_for = |owner: &souk_store::users::User| form.reason_in(&owner.language);
            decide_listings(conn, user, &mine, decision, &reason_for)?;
            Ok((mine.len(), ids.len() - mine.len()))
        })
        .await
        .map_err(|e| ConsoleError::Api(e, lang))?;
    state.wake_worker().await;
    Ok(see_other(&format!("/mod/?done={done}&skipped={skipped}")))
}
