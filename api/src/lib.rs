//! souk-api: the HTTP edge. Routes stay thin; rules live in `souk-domain`, data in `souk-store`.

pub mod app;
pub mod auth;
pub mod backup;
pub mod bounded;
pub mod bucket_copy;
pub mod client_ip;
pub mod config;
pub mod console;
pub mod content_rules;
pub mod error;
pub mod expiring;
pub mod extract;
pub mod healthcheck;
pub mod http_cache;
pub mod imaging;
pub mod indexing;
pub mod live;
pub mod openapi;
pub mod params;
pub mod ratelimit;
pub mod replica;
pub mod routes;
pub mod security_headers;
pub mod seed;
pub mod seller_ratings;
pub mod shutdown;
pub mod state;
pub mod telemetry;
pub mod upload_gate;
pub mod usecases;
pub mod view_counts;
pub mod views;

pub use app::{start, Running};
pub use config::Config;
