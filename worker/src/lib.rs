//! Background work of souk: the job runner and email delivery. Runs as `souk-worker`, or
//! inside `souk-api` in the embedded default so a fresh machine needs one process only.

pub mod alerts;
pub mod context;
pub mod email;
pub mod export;
pub mod lifecycle;
pub mod links;
pub mod live;
pub mod mailer;
pub mod messages;
pub mod payment_config;
pub mod payments;
pub mod price_list;
pub mod projection;
pub mod push;
pub mod push_delivery;
pub mod redis_link;
pub mod runner;
pub mod signals;
pub mod sms;
pub mod templates;
pub mod views;
pub mod visibility;

pub use context::{RunnerConfig, RunnerError, Worker};
pub use email::{Email, EmailJob, SEND_EMAIL};
pub use mailer::{MailConfig, Mailer};
pub use redis_link::RedisLink;
