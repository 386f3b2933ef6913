//! The database of souk. Functions take a connection, not a pool, so that callers can compose
//! them into one transaction (a listing, its change-feed row and its email job commit together).

pub mod account_data;
pub mod backup;
pub mod billing;
pub mod blocks;
pub mod bump_schedules;
pub mod changes;
pub mod console;
pub mod conversation_reports;
pub mod conversations;
pub mod credits;
pub mod db;
pub mod devices;
pub mod error;
pub mod events;
pub mod favorites;
pub mod feed;
pub mod files;
pub mod jobs;
pub mod lifecycle;
pub mod listings;
pub mod moderation;
pub mod open;
pub mod past_fingerprints;
pub mod payments;
pub mod phones;
pub mod photos;
pub mod plans;
pub mod preferences;
pub mod promotions;
pub mod ratings;
pub mod replication;
pub mod saved_searches;
pub mod schema;
pub mod secret;
pub mod signals;
pub mod stats;
pub mod stores;
pub mod time;
pub mod tokens;
pub mod users;
pub mod writer;

pub use db::{Backend, DbConn, DbUrl, Pool, PooledConn};
pub use error::{StoreError, StoreResult};
pub use open::{open_pool, open_pools, Pools};
pub use time::now;
