//! Conversations between buyers and sellers: the threads and their messages, read marks and
//! unread counts, blocking, reporting and the warnings messages carry.

pub mod photos;
pub mod read_state;
pub mod safety;
pub mod threads;

pub use threads::{ContactRequest, ConversationView, NewMessage};

/// Registers this context's handlers and documents them in the OpenAPI document.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(threads::contact_seller)
        .service(threads::my_conversations)
        .service(threads::get_conversation)
        .service(threads::post_message)
        .service(read_state::mark_read)
        .service(read_state::my_unread)
        .service(safety::block)
        .service(safety::unblock)
        .service(safety::report)
        .service(safety::warning_texts)
        .service(photos::send_photo)
        .service(photos::serve_message_photo);
}
