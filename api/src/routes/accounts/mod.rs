//! Accounts: registration, sessions, email confirmation, password reset, the account's data, phone numbers, public profiles, and the one-click links of emails.
//! `routes` registers each handler and documents it in the OpenAPI document in one call.

pub mod account;
pub mod account_data;
pub mod devices;
pub mod email_links;
pub mod phones;
pub mod profiles;
pub mod sessions;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(account::register)
        .service(sessions::login)
        .service(sessions::refresh)
        .service(sessions::logout)
        .service(account::verify_email)
        .service(account::verify_email_link)
        .service(account::resend_verification)
        .service(account::request_reset)
        .service(account::confirm_reset)
        .service(account::me)
        .service(account::update_me)
        .service(account_data::export_my_data)
        .service(account_data::download_export)
        .service(account_data::delete_me)
        .service(phones::send_code)
        .service(phones::confirm_code)
        .service(profiles::get_profile)
        .service(email_links::renewal_page)
        .service(email_links::renew_by_token)
        .service(email_links::confirm_verification)
        .service(email_links::unsubscribe_page)
        .service(email_links::unsubscribe)
        .service(devices::register_device)
        .service(devices::remove_device)
        .service(devices::get_settings)
        .service(devices::put_settings);
}
