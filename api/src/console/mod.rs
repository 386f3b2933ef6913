//! The moderation console at `/mod/`: the queue, the evidence of each item, decisions by
//! keyboard, the log; server-rendered HTML over the same use cases as `/v1/mod/...`
//! (`usecases::moderation`), in Arabic and French. Not part of the OpenAPI document: pages
//! for people, not an API for apps.

mod admin;
mod appeal;
mod bulk;
pub mod error;
mod evidence;
pub mod i18n;
mod item;
mod log;
mod pages;
mod queue;
pub mod session;
mod thread;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpResponse};

use crate::state::AppState;

/// Items on one page of the queue.
pub const QUEUE_PAGE: usize = queue::PAGE;

/// The Content-Security-Policy of every console page: our own script and stylesheet, images
/// from here (and from the public photo base when photos are served from one), forms posting
/// here, nothing inline, no framing.
pub fn content_policy(photos_public_url: Option<&str>) -> String {
    let photos = photos_public_url
        .and_then(origin_of)
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'{photos}; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// Puts `content_policy` on every console response.
async fn add_policy(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let policy = req
        .app_data::<web::Data<AppState>>()
        .map(|s| content_policy(s.config.photos_public_url.as_deref()));
    let mut res = next.call(req).await?;
    if let Some(value) = policy.and_then(|p| HeaderValue::from_str(&p).ok()) {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(res)
}

fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    Some(format!("{scheme}://{host}"))
}

const SCRIPT: &str = include_str!("assets/console.js");
const STYLE: &str = include_str!("assets/console.css");

async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

async fn style() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLE)
}

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type.to_string())
        // Versioned with the binary; an hour is enough to save repeat downloads in a day.
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .body(body)
}

/// Registers `/mod/...` (outside the OpenAPI document).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/mod")
            .wrap(from_fn(add_policy))
            // Forms are small: a reason of 500 characters and a few fields.
            .app_data(web::FormConfig::default().limit(16 * 1024))
            .route("/", web::get().to(queue::queue_page))
            .route("", web::get().to(|| async { pages::see_other("/mod/") }))
            .route("/login", web::get().to(session::sign_in_page))
            .route("/login", web::post().to(session::sign_in))
            .route("/logout", web::post().to(session::sign_out))
            .route("/language/{lang}", web::get().to(session::switch_language))
            .route("/log", web::get().to(log::log_page))
            .route("/admin", web::get().to(admin::admin_page))
            .route("/admin/users/{id}/role", web::post().to(admin::set_role))
            .route(
                "/admin/users/{id}/credits",
                web::post().to(admin::grant_credits),
            )
            .route("/threads/{id}", web::get().to(thread::thread_page))
            .route("/threads/{id}/decide", web::post().to(thread::decide))
            .route(
                "/threads/{id}/photos/{key}/{size}",
                web::get().to(thread::thread_photo),
            )
            .route("/appeals/{id}", web::get().to(appeal::appeal_page))
            .route("/appeals/{id}/decide", web::post().to(appeal::decide))
            .route("/listings/{id}", web::get().to(item::listing_page))
            .route(
                "/listings/{id}/decide",
                web::post().to(item::decide_on_listing),
            )
            .route("/users/{id}/decide", web::post().to(item::decide_on_user))
            .route("/selection", web::post().to(bulk::decide_selection))
            .route("/assets/console.js", web::get().to(script))
            .route("/assets/console.css", web::get().to(style)),
    );
}
