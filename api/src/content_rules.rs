//! Content rules at posting time: no contact details in titles (contact goes through souk, so
//! buyers stay protected and sellers' numbers are not scraped), no banned words anywhere: in
//! every free-text field, attributes and names included (a model typed by three throwaway
//! accounts became everyone's suggestion).

use souk_domain::attributes::{AttributeValue, Attributes};
use souk_domain::trust::contact_details_in;
use souk_domain::ValidationErrors;
use souk_search::content::banned_words;

use crate::error::ApiResult;

/// An ad's texts: title and description (`check`) and every free-text attribute (a model, a
/// colour typed in), which take neither contact details nor banned words.
pub fn check_listing(title: &str, description: &str, attributes: &Attributes) -> ApiResult<()> {
    check(title, description)?;
    let mut e = ValidationErrors::default();
    for (key, value) in attributes {
        if let AttributeValue::Text(text) = value {
            let field = format!("attributes.{key}");
            if let Some(kind) = contact_details_in(text) {
                e.push(&field, "contact_in_text", format!("no {kind} here"));
            }
            refuse_banned_words(&mut e, &field, text);
        }
    }
    Ok(e.into_result(())?)
}

pub fn check(title: &str, description: &str) -> ApiResult<()> {
    let mut e = ValidationErrors::default();
    if let Some(kind) = contact_details_in(title) {
        e.push(
            "title",
            "contact_in_title",
            format!("no {kind} in the title: buyers reach you through souk (or show your phone on the ad)"),
        );
    }
    for (field, text) in [("title", title), ("description", description)] {
        refuse_banned_words(&mut e, field, text);
    }
    Ok(e.into_result(())?)
}

fn refuse_banned_words(e: &mut ValidationErrors, field: &str, text: &str) {
    if let Some(word) = banned_words().find(text) {
        e.push(
            field,
            "banned_word",
            format!("“{word}” is not allowed on souk"),
        );
    }
}

/// The rules for free text users write to each other in public (rating comments, answers):
/// no contact details, no banned words.
pub fn check_text(field: &str, text: &str) -> ApiResult<()> {
    let mut e = ValidationErrors::default();
    if let Some(kind) = contact_details_in(text) {
        e.push(
            field,
            "contact_in_text",
            format!("no {kind} here: contact goes through souk"),
        );
    }
    refuse_banned_words(&mut e, field, text);
    Ok(e.into_result(())?)
}
