//! Fixed-window rate limits. With Redis the windows are shared by every API process; without
//! it, or while it is down, the same limits hold in this process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use souk_worker::RedisLink;

use crate::error::ApiError;

#[derive(Default)]
pub struct RateLimiter {
    redis: Option<RedisLink>,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(redis: Option<RedisLink>) -> RateLimiter {
        RateLimiter {
            redis,
            windows: Mutex::default(),
        }
    }

    /// Counts one hit on `key`; refuses with 429 and the seconds left in the window once
    /// `limit` hits were counted within `window`.
    pub async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<(), ApiError> {
        if let Some(redis) = &self.redis {
            if let Some(result) = Self::hit_redis(redis, key, limit, window).await {
                return result;
            }
        }
        self.hit_local(key, limit, window)
    }

    /// `None` when Redis could not answer.
    async fn hit_redis(
        redis: &RedisLink,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Option<Result<(), ApiError>> {
        let secs = window.as_secs().max(1);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let slot = now / secs;
        let rkey = redis.key(&format!("rl:{key}:{slot}"));
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("INCR")
            .arg(&rkey)
            .cmd("EXPIRE")
            .arg(&rkey)
            .arg(secs + 1)
            .ignore();
        let (count,): (u64,) = redis.pipe(&pipe).await?;
        if count > u64::from(limit) {
            let left = (slot + 1) * secs - now;
            return Some(Err(ApiError::TooManyRequests {
                retry_after_secs: left.max(1),
            }));
        }
        Some(Ok(()))
    }

    fn hit_local(&self, key: &str, limit: u32, window: Duration) -> Result<(), ApiError> {
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
            rl.hit_local("k", 3, Duration::from_secs(60)).unwrap();
        }
        match rl.hit_local("k", 3, Duration::from_secs(60)) {
            Err(ApiError::TooManyRequests { retry_after_secs }) => {
                assert!((1..=60).contains(&retry_after_secs))
            }
            other => panic!("{other:?}"),
        }
        rl.hit_local("other", 3, Duration::from_secs(60)).unwrap();
    }

    #[test]
    fn a_new_window_starts_afresh() {
        let rl = RateLimiter::default();
        rl.hit_local("k", 1, Duration::from_millis(20)).unwrap();
        assert!(rl.hit_local("k", 1, Duration::from_millis(20)).is_err());
        std::thread::sleep(Duration::from_millis(30));
        rl.hit_local("k", 1, Duration::from_millis(20)).unwrap();
    }
}
