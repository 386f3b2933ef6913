//! Operations with more than one caller (a route, an emailed link, the command line, the
//! worker), each in one place: callers parse, authorise and shape their answer, and call these
//! for the rules. A route module never reaches into another route module for a rule.

pub mod credits;
pub mod ownership;
pub mod renewal;
pub mod roles;
