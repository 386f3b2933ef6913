//! Operations with more than one caller (a route, an emailed link, the command line, the
//! worker), each in one place: callers parse, authorise and shape their answer, and call these
//! for the rules. A route module never reaches into another route module for a rule.

pub mod billing;
pub mod conversations;
pub mod credits;
pub mod fair_price;
pub mod image_upload;
pub mod ownership;
pub mod posting;
pub mod ratings;
pub mod renewal;
pub mod roles;
pub mod search;
pub mod verification;
