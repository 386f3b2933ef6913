//! Accounts and sessions: argon2id passwords, short-lived JWT access tokens, rotated
//! refresh tokens revocable by family, emailed one-time tokens.

pub mod extractor;
pub mod jwt;
pub mod password;
pub mod secret;

pub use extractor::AuthUser;
