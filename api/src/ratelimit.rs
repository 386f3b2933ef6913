//! Fixed-window rate limits. With Redis the windows are shared by every API process; without
//! it, or while it is down, the same limits hold in this process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use souk_worker::RedisLink;

use crate::error::ApiError;

/// Keys kept in process before expired ones are swept.
const SWEEP_AT: usize = 100_000;
/// Failures are forgotten this long after the last one.
const FAILURE_MEMORY: Duration = Duration::from_secs(3600);

#[derive(Default)]
pub struct RateLimiter {
    redis: Option<RedisLink>,
    /// key → (window start, hits, the window's own length).
    windows: Mutex<HashMap<String, (Instant, u32, Duration)>>,
    /// key → (failures, unix milliseconds of the last one).
    failures: Mutex<HashMap<String, (u32, u64)>>,
    /// key → held until.
    claims: Mutex<HashMap<String, Instant>>,
}

/// Milliseconds, not seconds: a one-second wait measured in whole seconds could end at once
/// (a failure at 12.99 s and a retry at 13.0 s are a second apart to the clock's seconds).
fn unix_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

const FAILURE_MEMORY_MS: u64 = FAILURE_MEMORY.as_secs() * 1000;

impl RateLimiter {
    pub fn new(redis: Option<RedisLink>) -> RateLimiter {
        RateLimiter {
            redis,
            ..Default::default()
        }
    }

    /// Failures recorded on `key` (a login address) in the hour since its last one, and the
    /// unix millisecond of that last one.
    pub async fn failures(&self, key: &str) -> (u32, u64) {
        if let Some(redis) = &self.redis {
            let rkey = redis.key(&format!("fail:{key}"));
            let mut pipe = redis::pipe();
            pipe.cmd("HMGET").arg(&rkey).arg("n").arg("last_ms");
            if let Some((v,)) = redis.pipe::<(Vec<Option<u64>>,)>(&pipe).await {
                return (
                    v.first().copied().flatten().unwrap_or(0) as u32,
                    v.get(1).copied().flatten().unwrap_or(0),
                );
            }
        }
        let now = unix_now_ms();
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key) {
            Some(&(n, last)) if now.saturating_sub(last) < FAILURE_MEMORY_MS => (n, last),
            _ => (0, 0),
        }
    }

    pub async fn record_failure(&self, key: &str) {
        let now = unix_now_ms();
        if let Some(redis) = &self.redis {
            let rkey = redis.key(&format!("fail:{key}"));
            let mut pipe = redis::pipe();
            pipe.atomic()
                .cmd("HINCRBY")
                .arg(&rkey)
                .arg("n")
                .arg(1)
                .ignore()
                .cmd("HSET")
                .arg(&rkey)
                .arg("last_ms")
                .arg(now)
                .ignore()
                .cmd("EXPIRE")
                .arg(&rkey)
                .arg(FAILURE_MEMORY.as_secs())
                .ignore();
            if redis.pipe::<()>(&pipe).await.is_some() {
                return;
            }
        }
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > SWEEP_AT {
            map.retain(|_, (_, last)| now.saturating_sub(*last) < FAILURE_MEMORY_MS);
        }
        let entry = map.entry(key.to_string()).or_insert((0, now));
        if now.saturating_sub(entry.1) >= FAILURE_MEMORY_MS {
            entry.0 = 0;
        }
        *entry = (entry.0 + 1, now);
    }

    /// Holds `key` for `ttl` if nobody holds it: one caller at a time gets through (the first
    /// login attempt after a wait), the others are told when to come back.
    pub async fn claim(&self, key: &str, ttl: Duration) -> Result<(), ApiError> {
        let secs = ttl.as_secs().max(1);
        if let Some(redis) = &self.redis {
            let mut pipe = redis::pipe();
            pipe.cmd("SET")
                .arg(redis.key(&format!("claim:{key}")))
                .arg(1)
                .arg("NX")
                .arg("EX")
                .arg(secs);
            if let Some((set,)) = redis.pipe::<(Option<String>,)>(&pipe).await {
                return match set {
                    Some(_) => Ok(()),
                    None => Err(ApiError::TooManyRequests {
                        retry_after_secs: secs,
                    }),
                };
            }
        }
        let now = Instant::now();
        let mut map = self.claims.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > SWEEP_AT {
            map.retain(|_, until| *until > now);
        }
        match map.get(key) {
            Some(until) if *until > now => Err(ApiError::TooManyRequests {
                retry_after_secs: until.duration_since(now).as_secs().max(1),
            }),
            _ => {
                map.insert(key.to_string(), now + Duration::from_secs(secs));
                Ok(())
            }
        }
    }

    pub async fn release(&self, key: &str) {
        if let Some(redis) = &self.redis {
            let mut pipe = redis::pipe();
            pipe.cmd("DEL")
                .arg(redis.key(&format!("claim:{key}")))
                .ignore();
            let _ = redis.pipe::<()>(&pipe).await;
        }
        let mut map = self.claims.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key);
    }

    pub async fn clear_failures(&self, key: &str) {
        if let Some(redis) = &self.redis {
            let mut pipe = redis::pipe();
            pipe.cmd("DEL")
                .arg(redis.key(&format!("fail:{key}")))
                .ignore();
            let _ = redis.pipe::<()>(&pipe).await;
        }
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key);
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
        let now = unix_now_ms() / 1000;
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
        if map.len() > SWEEP_AT {
            // Each entry by its own window: an hourly counter outlives a burst of minute keys.
            map.retain(|_, (start, _, own)| now.duration_since(*start) < *own);
        }
        let entry = map.entry(key.to_string()).or_insert((now, 0, window));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0, window);
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
    fn sweeping_short_windows_keeps_long_ones() {
        let rl = RateLimiter::default();
        rl.hit_local("hourly", 1, Duration::from_secs(3600))
            .unwrap();
        std::thread::sleep(Duration::from_millis(5));
        for i in 0..=SWEEP_AT {
            rl.hit_local(&format!("burst{i}"), 5, Duration::from_millis(1))
                .unwrap();
        }
        // Before: the sweep used the burst's 1 ms window and erased the hourly counter.
        assert!(rl
            .hit_local("hourly", 1, Duration::from_secs(3600))
            .is_err());
    }

    #[tokio::test]
    async fn failures_accumulate_and_clear() {
        let rl = RateLimiter::default();
        assert_eq!(rl.failures("a").await.0, 0);
        rl.record_failure("a").await;
        rl.record_failure("a").await;
        let (n, last) = rl.failures("a").await;
        assert_eq!(n, 2);
        assert!(last > 0);
        rl.clear_failures("a").await;
        assert_eq!(rl.failures("a").await.0, 0);
    }

    #[tokio::test]
    async fn a_claim_lets_one_caller_through() {
        let rl = RateLimiter::default();
        rl.claim("slot", Duration::from_secs(60)).await.unwrap();
        assert!(rl.claim("slot", Duration::from_secs(60)).await.is_err());
        rl.release("slot").await;
        rl.claim("slot", Duration::from_secs(60)).await.unwrap();
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
