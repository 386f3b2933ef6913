//! Trust and moderation: reports, the moderation queue and its actions, ratings between buyers and sellers.
//! `routes` registers each handler and documents it in the OpenAPI document in one call.

pub mod appeals;
pub mod bulk_moderation;
pub mod moderation;
pub mod ratings;
pub mod reported_threads;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(ratings::rate)
        .service(ratings::user_ratings)
        .service(ratings::answer)
        .service(ratings::remove)
        .service(moderation::report_listing)
        .service(moderation::report_queue)
        .service(moderation::act_on_listing)
        .service(moderation::act_on_user)
        .service(bulk_moderation::decide_selection)
        .service(bulk_moderation::decide_all_of_seller)
        .service(moderation::moderation_log)
        .service(appeals::appeal_hidden_listing)
        .service(appeals::appeal_account_ban)
        .service(reported_threads::reported_threads)
        .service(reported_threads::resolve_thread);
}
