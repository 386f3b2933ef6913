//! Background work of souk: the job runner and email delivery. Runs as `souk-worker`, or
//! inside `souk-api` in the embedded default so a fresh machine needs one process only.

pub mod email;
pub mod mailer;
pub mod runner;

pub use email::{Email, EmailJob, SEND_EMAIL};
pub use mailer::{MailConfig, Mailer};
pub use runner::{run_due_jobs, run_until_shutdown, RunnerConfig};
