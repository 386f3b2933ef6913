//! Billing: credits and their ledger, bumps, promotions (featured, urgent), store plans, payments.
//! `routes` registers each handler and documents it in the OpenAPI document in one call.

pub mod credits;
pub mod payments;
pub mod plans;
pub mod promotions;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(credits::my_credits)
        .service(credits::grant)
        .service(credits::bump)
        .service(promotions::promote)
        .service(promotions::schedule_bumps)
        .service(promotions::get_schedule)
        .service(promotions::stop_schedule)
        .service(plans::price_list)
        .service(plans::my_plan)
        .service(plans::subscribe)
        .service(plans::cancel_renewal)
        .service(payments::buy_credits)
        .service(payments::my_purchase)
        .service(payments::satim_return)
        .service(payments::local_checkout)
        .service(payments::open_checkout);
}
