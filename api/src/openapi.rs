//! The OpenAPI document, generated from the handlers' annotations. `openapi.yaml` at the
//! repository root is this document; a test fails when they differ.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{
    account_data, accounts, contact, credits, discovery, email_links, favorites, listings,
    moderation, ops, payments, phones, photos, plans, price_hints, profiles, promotions, ratings,
    reference, saved_searches, search, sessions, stats, stores,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "souk",
        description = "Classifieds marketplace API: accounts, listings with photos, categories and Algerian geography. \
                       Errors are application/problem+json documents with a stable `type`.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later")
    ),
    servers((url = "http://127.0.0.1:8080", description = "embedded default")),
    paths(
        accounts::register, sessions::login, sessions::refresh, sessions::logout,
        accounts::verify_email, accounts::verify_email_link, accounts::resend_verification,
        accounts::request_reset, accounts::confirm_reset, accounts::me, accounts::update_me, account_data::export_my_data, account_data::download_export, account_data::delete_me, phones::send_code, phones::confirm_code, phones::reveal_phone, stats::listing_stats, stats::store_stats, ratings::rate, ratings::user_ratings, ratings::answer, ratings::remove, price_hints::price_hint_for_draft,
        listings::create_listing, listings::browse, listings::get_listing, listings::update_listing,
        listings::delete_listing, listings::mark_sold, listings::renew_listing, listings::my_listings,
        photos::upload_photo, photos::delete_photo, photos::serve_photo,
        search::search, discovery::suggest, discovery::similar,
        credits::my_credits, credits::grant, credits::bump,
        promotions::promote, promotions::schedule_bumps, promotions::get_schedule, promotions::stop_schedule,
        plans::price_list, plans::my_plan, plans::subscribe, plans::cancel_renewal,
        payments::buy_credits, payments::my_purchase, payments::satim_return, payments::local_checkout, payments::open_checkout,
        contact::contact_seller, contact::post_message, contact::get_conversation, contact::my_conversations,
        favorites::add_favorite, favorites::remove_favorite, favorites::my_favorites,
        saved_searches::create_saved_search, saved_searches::my_saved_searches, saved_searches::delete_saved_search,
        email_links::renewal_page, email_links::renew_by_token, email_links::confirm_verification, email_links::unsubscribe_page, email_links::unsubscribe,
        profiles::get_profile,
        stores::create_store, stores::get_store, stores::update_store, stores::upload_store_image, stores::store_listings,
        moderation::report_listing, moderation::report_queue, moderation::act_on_listing, moderation::act_on_user,
        moderation::moderation_log,
        reference::categories, reference::wilayas, reference::communes,
        ops::healthz, ops::readyz, ops::metrics,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "accounts", description = "Registration, sessions, email verification, password reset"),
        (name = "listings", description = "Ads: post, read, edit, sell, renew, delete, browse"),
        (name = "photos", description = "Listing photos (EXIF stripped, re-encoded)"),
        (name = "search", description = "Full-text and faceted search over active ads"),
        (name = "credits", description = "Credits (one per dinar) on an append-only ledger, and what they buy: bumps"),
        (name = "contact", description = "Buyer–seller threads, relayed by email without revealing addresses"),
        (name = "favorites", description = "Ads a buyer keeps; price drops are emailed"),
        (name = "saved searches", description = "Searches whose new matches are emailed, instantly or daily"),
        (name = "profiles", description = "Public seller profiles"),
        (name = "stores", description = "Seller stores: a public page with logo, banner and the store's ads"),
        (name = "moderation", description = "Reports, the moderation queue, hide/restore/ban, the audit log"),
        (name = "email links", description = "One-click renewal and unsubscribe links from emails (no sign-in)"),
        (name = "reference", description = "Categories with attribute schemas, wilayas, communes"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        // Operations that do not ask for a token say so explicitly (`security: []`), so a
        // reader never has to guess whether a route is public.
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_path_params = path.contains('{');
            let ops = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for op in ops.into_iter().flatten() {
                op.security.get_or_insert_with(Vec::new);
                problem_responses(op, has_path_params);
            }
        }
    }
}

/// Errors are `application/problem+json`: documented responses with the Problem body say so,
/// and every operation also lists the error statuses any route of its shape can answer (a
/// malformed query or body, a path naming nothing, an oversized or mistyped body, a missing
/// or revoked token, the database unreachable). Listed explicitly, not as `default`, so a
/// status outside them is a contract failure the fuzzer reports.
fn problem_responses(op: &mut utoipa::openapi::path::Operation, has_path_params: bool) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    const PROBLEM: &str = "#/components/schemas/Problem";
    const PROBLEM_JSON: &str = "application/problem+json";
    for response in op.responses.responses.values_mut() {
        let RefOr::T(r) = response else { continue };
        let is_problem = r.content.get("application/json").is_some_and(|c| {
            matches!(&c.schema, Some(RefOr::Ref(reference)) if reference.ref_location == PROBLEM)
        });
        if is_problem {
            if let Some(c) = r.content.shift_remove("application/json") {
                r.content.insert(PROBLEM_JSON.to_string(), c);
            }
        }
    }
    let has_body = op.request_body.is_some();
    let has_query = op.parameters.as_ref().is_some_and(|ps| !ps.is_empty());
    let needs_token = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut add = |status: &str, why: &str| {
        op.responses
            .responses
            .entry(status.into())
            .or_insert_with(|| {
                RefOr::T(
                    ResponseBuilder::new()
                        .description(why)
                        .content(
                            PROBLEM_JSON,
                            ContentBuilder::new()
                                .schema(Some(Ref::new(PROBLEM)))
                                .build(),
                        )
                        .build(),
                )
            });
    };
    add(
        "400",
        "The request could not be understood (malformed query, body or form)",
    );
    if has_path_params {
        add("404", "Nothing exists at this address");
    }
    if has_body || has_query {
        add("422", "Some fields or parameters are invalid; see `errors`");
    }
    if has_body {
        add("413", "The body is too large");
        add("415", "The body is not of a supported media type");
    }
    if needs_token {
        add("401", "A valid access token is required");
        add(
            "403",
            "Not allowed (not yours, moderators only, or the account is banned)",
        );
    }
    add(
        "503",
        "The database or the search index is not available; retry shortly",
    );
}

/// The document as checked in.
pub fn yaml() -> String {
    ApiDoc::openapi()
        .to_yaml()
        .expect("the OpenAPI document serialises")
}

#[cfg(test)]
mod tests {
    #[test]
    fn checked_in_openapi_yaml_matches_the_code() {
        let checked_in = include_str!("../../openapi.yaml");
        assert!(
            checked_in == super::yaml(),
            "openapi.yaml is stale: run `cargo run -p souk-api -- openapi > openapi.yaml`"
        );
    }
}
