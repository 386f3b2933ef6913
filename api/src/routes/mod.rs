pub mod accounts;
pub mod listings;
pub mod ops;
pub mod photos;
pub mod reference;
pub mod views;
