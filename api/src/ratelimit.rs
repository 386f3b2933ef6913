//! Fixed-window rate limits. With Redis the windows are shared by every API process; without
//! it, or while it is down, the same limits hold in this process.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use souk_worker::RedisLink;

use crate::error::ApiError;
use crate::expiring::{seconds_left, ExpiringMap, DEFAULT_CAP};

/// Failures are forgotten this long after the last one.
const FAILURE_MEMORY: Duration = Duration::from_secs(3600);

pub struct RateLimiter {
    redis: Option<RedisLink>,
    /// key → hits in the window, until the window ends.
    windows: Mutex<ExpiringMap<u32>>,
    /// key → (failures, unix milliseconds of the last one), an hour past the last one.
    failures: Mutex<ExpiringMap<(u32, u64)>>,
    /// key → held, until the claim ends.
    claims: Mutex<ExpiringMap<()>>,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::with_cap(None, DEFAULT_CAP)
    }
}

/// Milliseconds, not seconds: a one-second wait measured in whole seconds could end at once
/// (a failure at 12.99 s and a retry at 13.0 s are a second apart to the clock's seconds).
fn unix_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl RateLimiter {
    pub fn new(redis: Option<RedisLink>) -> RateLimiter {
        RateLimiter::with_cap(redis, DEFAULT_CAP)
    }

    /// In process, each map holds at most `cap` keys (see `expiring`).
    pub fn with_cap(redis: Option<RedisLink>, cap: usize) -> RateLimiter {
        RateLimiter {
            redis,
            windows: Mutex::new(ExpiringMap::new(cap)),
            failures: Mutex::new(ExpiringMap::new(cap)),
            claims: Mutex::new(ExpiringMap::new(cap)),
        }
    }

    /// Keys held in process (windows, failures, claims), for the benchmark.
    pub fn keys_in_process(&self) -> usize {
        fn n<V>(m: &Mutex<ExpiringMap<V>>) -> usize {
            m.lock().unwrap_or_else(|p| p.into_inner()).len()
        }
        n(&self.windows) + n(&self.failures) + n(&self.claims)
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
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key, Instant::now()) {
            Some((&(n, last), _)) => (n, last),
            None => (0, 0),
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
        let at = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.expire(at);
        let before = map.get(key, at).map_or(0, |(v, _)| v.0);
        map.insert(key.to_string(), (before + 1, now), at + FAILURE_MEMORY);
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
        map.expire(now);
        match map.get(key, now) {
            Some((_, until)) => Err(ApiError::TooManyRequests {
                retry_after_secs: seconds_left(until, now),
            }),
            None => {
                map.insert(key.to_string(), (), now + Duration::from_secs(secs));
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
        // Each entry expires by its own window: an hourly counter outlives a burst of minute keys.
        map.expire(now);
        match map.get_mut(key, now) {
            Some((hits, until)) => {
                if *hits >= limit {
                    return Err(ApiError::TooManyRequests {
                        retry_after_secs: seconds_left(until, now),
                    });
                }
                *hits += 1;
            }
            None => {
                if limit == 0 {
                    return Err(ApiError::TooManyRequests {
                        retry_after_secs: window.as_secs().max(1),
                    });
                }
                map.insert(key.to_string(), 1, now + window);
            }
        }
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
        for i in 0..=100_000 {
            rl.hit_local(&format!("burst{i}"), 5, Duration::from_millis(1))
                .unwrap();
        }
        // Once the sweep used the burst's 1 ms window and erased the hourly counter.
        assert!(rl
            .hit_local("hourly", 1, Duration::from_secs(3600))
            .is_err());
    }

    #[test]
    fn a_full_limiter_drops_the_keys_nearest_their_end() {
        let rl = RateLimiter::with_cap(None, 2);
        rl.hit_local("minute", 1, Duration::from_secs(60)).unwrap();
        rl.hit_local("day", 1, Duration::from_secs(86_400)).unwrap();
        rl.hit_local("hour", 1, Duration::from_secs(3600)).unwrap();
        assert_eq!(rl.keys_in_process(), 2);
        assert!(rl.hit_local("day", 1, Duration::from_secs(86_400)).is_err());
        assert!(rl.hit_local("hour", 1, Duration::from_secs(3600)).is_err());
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
