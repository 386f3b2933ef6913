pub mod accounts;
pub mod listings;
pub mod ops;
pub mod photos;
pub mod reference;
pub mod search;
pub mod views;
