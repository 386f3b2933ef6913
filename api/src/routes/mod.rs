//! The HTTP routes, one module per context (the OpenAPI tags group under them). Each context
//! registers its own handlers, and registering a handler documents it: the served routes and
//! the OpenAPI document come from the same calls (`configure`).

pub mod accounts;
pub mod billing;
pub mod events;
pub mod listings;
pub mod messaging;
pub mod operations;
pub mod reference;
pub mod search;
pub mod stores;
pub mod trust;

use utoipa_actix_web::service_config::ServiceConfig;

/// Every route of the API, context by context.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.configure(accounts::routes)
        .configure(listings::routes)
        .configure(search::routes)
        .configure(messaging::routes)
        .configure(events::routes)
        .configure(trust::routes)
        .configure(stores::routes)
        .configure(billing::routes)
        .configure(reference::routes)
        .configure(operations::routes);
}
