//! The OpenAPI document, generated from the handlers' annotations as the routes register them. `openapi.yaml` at the
//! repository root is this document; a test fails when they differ.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "souk",
        description = "Classifieds marketplace API: accounts, listings with photos, categories and Algerian geography. \
                       Errors are application/problem+json documents with a stable `type`.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later")
    ),
    servers((url = "http://127.0.0.1:8080", description = "embedded default")),
    tags(
        (name = "accounts", description = "Registration, sessions, email verification, password reset"),
        (name = "listings", description = "Ads: post, read, edit, sell, renew, delete, browse"),
        (name = "photos", description = "Listing photos (EXIF stripped, re-encoded)"),
        (name = "search", description = "Full-text and faceted search over active ads"),
        (name = "credits", description = "Credits (one per dinar) on an append-only ledger, and what they buy: bumps"),
        (name = "contact", description = "Buyer–seller threads, relayed by email without revealing addresses"),
        (name = "events", description = "The signed-in user's live event stream (server-sent events), resumable by event id"),
        (name = "favorites", description = "Ads a buyer keeps; price drops are emailed"),
        (name = "saved searches", description = "Searches whose new matches are emailed, instantly or daily"),
        (name = "profiles", description = "Public seller profiles"),
        (name = "stores", description = "Seller stores: a public page with logo, banner and the store's ads"),
        (name = "moderation", description = "Reports, the moderation queue, hide/restore/ban, the audit log"),
        (name = "ratings", description = "Ratings between the two sides of a conversation, their answers, their removal"),
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

/// The whole document: the info and tags of `ApiDoc`, the operations as `routes::configure`
/// registers them (the same calls that serve them), then the security and problem responses.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    BearerAuth.modify(&mut doc);
    doc
}

/// The document as checked in.
pub fn yaml() -> String {
    document()
        .to_yaml()
        .expect("the OpenAPI document serialises")
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    #[test]
    fn checked_in_openapi_yaml_matches_the_code() {
        let checked_in = include_str!("../../openapi.yaml");
        assert!(
            checked_in == super::yaml(),
            "openapi.yaml is stale: run `cargo run -p souk-api -- openapi > openapi.yaml`"
        );
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("source folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// `(method, path)` of every actix route attribute (`get`, `post`… with a path) in `text`.
    fn route_attributes(text: &str) -> Vec<(&'static str, String)> {
        let mut found = Vec::new();
        for method in ["get", "post", "put", "patch", "delete"] {
            let marker = format!("#[{method}(\"");
            for (at, _) in text.match_indices(&marker) {
                let rest = &text[at + marker.len()..];
                let end = rest.find('"').expect("closing quote");
                found.push((method, rest[..end].to_string()));
            }
        }
        found
    }

    /// A handler served without being documented would have to be registered apart from
    /// `routes::configure` (which documents what it registers): every route attribute in the
    /// sources must be an operation of the document, and nothing else may add routes by hand.
    #[test]
    fn every_route_in_the_sources_is_in_the_document() {
        let doc = super::document();
        let mut files = Vec::new();
        rust_files(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let (mut seen, mut missing, mut by_hand) = (0, Vec::new(), Vec::new());
        for file in &files {
            let text = std::fs::read_to_string(file).expect("source");
            for (method, path) in route_attributes(&text) {
                seen += 1;
                let documented = doc.paths.paths.get(&path).is_some_and(|item| match method {
                    "get" => item.get.is_some(),
                    "post" => item.post.is_some(),
                    "put" => item.put.is_some(),
                    "patch" => item.patch.is_some(),
                    _ => item.delete.is_some(),
                });
                if !documented {
                    missing.push(format!("{method} {path} ({})", file.display()));
                }
            }
            // The document itself and its viewer are the only routes of the API added by
            // hand; the moderation console's pages (api/src/console/) are for people, not
            // apps, and are kept out of the document on purpose.
            let console = file.components().any(|c| c.as_os_str() == "console");
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            for pattern in [".route(\"", "web::resource(\"", "web::scope(\""] {
                for (at, _) in text.match_indices(pattern) {
                    let line = text[at..].lines().next().unwrap_or_default();
                    let allowed =
                        console || (name == "app.rs" && line.contains("\"/openapi.json\""));
                    if !allowed {
                        by_hand.push(format!("{}: {line}", file.display()));
                    }
                }
            }
        }
        // The scan itself works: the API has dozens of routes.
        assert!(
            seen > 80,
            "only {seen} route attributes found: the scan is broken"
        );
        assert!(
            missing.is_empty(),
            "served but not documented: {missing:#?}"
        );
        assert!(
            by_hand.is_empty(),
            "routes added outside routes::configure: {by_hand:#?}"
        );
        let documented: usize = doc
            .paths
            .paths
            .values()
            .map(|i| {
                [&i.get, &i.post, &i.put, &i.patch, &i.delete]
                    .iter()
                    .filter(|o| o.is_some())
                    .count()
            })
            .sum();
        assert_eq!(
            documented, seen,
            "an operation documented without a handler"
        );
    }
}
