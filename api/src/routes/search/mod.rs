//! Search: full-text and faceted search, suggestions, similar ads, saved searches.
//! `routes` registers each handler and documents it in the OpenAPI document in one call.

pub mod discovery;
pub mod queries;
pub mod saved_searches;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(saved_searches::create_saved_search)
        .service(saved_searches::my_saved_searches)
        .service(saved_searches::delete_saved_search)
        .service(queries::search)
        .service(discovery::suggest)
        .service(discovery::similar);
}
