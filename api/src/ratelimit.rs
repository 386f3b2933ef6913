//! Fixed-window rate limits kept in process. (The Redis-backed store shared by several API
//! processes comes with the worker issue; the interface stays the same.)

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::ApiError;

#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// Counts one hit on `key`; refuses with 429 and the seconds left in the window once
    /// `limit` hits were counted within `window`.
    pub fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = map.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        if entry.1 >= limit {
            let left = window.saturating_sub(now.duration_since(entry.0));
            return Err(ApiError::TooManyRequests {
                retry_after_secs: left.as_secs().max(1),
            });
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_limit_and_says_when_to_retry() {
        let rl = RateLimiter::default();
        for _ in 0..3 {
            rl.hit("k", 3, Duration::from_secs(60)).unwrap();
        }
        match rl.hit("k", 3, Duration::from_secs(60)) {
            Err(ApiError::TooManyRequests { retry_after_secs }) => {
                assert!((1..=60).contains(&retry_after_secs))
            }
            other => panic!("{other:?}"),
        }
        rl.hit("other", 3, Duration::from_secs(60)).unwrap();
    }

    #[test]
    fn a_new_window_starts_afresh() {
        let rl = RateLimiter::default();
        rl.hit("k", 1, Duration::from_millis(20)).unwrap();
        assert!(rl.hit("k", 1, Duration::from_millis(20)).is_err());
        std::thread::sleep(Duration::from_millis(30));
        rl.hit("k", 1, Duration::from_millis(20)).unwrap();
    }
}
