//! Operations with more than one caller (a route, an emailed link, the command line, the load
//! benchmark), each in one place; what the worker runs too lives below, in `souk_worker`
//! (e.g. `visibility::paid_bump`). Callers parse, authorise and shape their answer, and call
//! these for the rules. A route module never reaches into another context's route module.

pub mod appeals;
pub mod billing;
pub mod bulk_moderation;
pub mod conversations;
pub mod credits;
pub mod events;
pub mod fair_price;
pub mod image_upload;
pub mod moderation;
pub mod ownership;
pub mod posting;
pub mod promotions;
pub mod ratings;
pub mod renewal;
pub mod reported_threads;
pub mod reveals;
pub mod roles;
pub mod search;
pub mod sign_in;
pub mod verification;
