//! Which access tokens a ban, a deletion or a password reset ended, known without a query per
//! request. The database holds each account's session generation
//! (`souk_store::tokens::revoke_all_for_user` moves it on); every API process reads the
//! generations moved in the last seconds, four times a second, into memory, and refuses an
//! access token whose generation is older than its account's. An entry is kept only as long
//! as a token could outlive the event (the access lifetime and a minute): after that every
//! token issued before it has expired anyway.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use souk_store::Pool;
use tokio::sync::watch;

/// How often the moved generations are read: the refusal follows an event within this.
pub const POLL_EVERY: Duration = Duration::from_millis(250);
/// How far back each read looks: a commit that lands after a read began, stamped before it,
/// is still seen by the next reads (on PostgreSQL several transactions commit at once).
const READ_BACK: chrono::Duration = chrono::Duration::seconds(10);
/// Generations read at most at once (newest first): far above any real rate of bans, resets
/// and deletions.
const READ_AT_MOST: i64 = 100_000;

pub struct TokenGenerations {
    /// Account → (its current generation, when this process learned it).
    moved: RwLock<HashMap<i64, (i64, Instant)>>,
    keep: Duration,
}

impl TokenGenerations {
    pub fn new(access_ttl_secs: i64) -> TokenGenerations {
        TokenGenerations {
            moved: RwLock::default(),
            keep: Duration::from_secs(access_ttl_secs.max(0) as u64 + 60),
        }
    }

    /// Whether a token of `user_id` issued under `generation` is still good.
    pub fn is_current(&self, user_id: i64, generation: i64) -> bool {
        let moved = self.moved.read().unwrap_or_else(|p| p.into_inner());
        moved
            .get(&user_id)
            .is_none_or(|(current, _)| generation >= *current)
    }

    /// Learns generations (never moves one back).
    pub fn learn(&self, generations: impl IntoIterator<Item = (i64, i64)>) {
        let mut moved = self.moved.write().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        for (user, generation) in generations {
            let entry = moved.entry(user).or_insert((generation, now));
            if generation >= entry.0 {
                *entry = (generation, now);
            }
        }
        let keep = self.keep;
        moved.retain(|_, (_, learned)| learned.elapsed() < keep);
    }

    fn read(&self, pool: &Pool, back: chrono::Duration) -> Result<(), souk_store::StoreError> {
        let mut conn = pool
            .get()
            .map_err(|e| souk_store::StoreError::Pool(e.to_string()))?;
        let since = souk_store::now() - back;
        let moved = souk_store::tokens::revoked_since(&mut conn, since, READ_AT_MOST)?;
        if moved.len() as i64 == READ_AT_MOST {
            tracing::warn!(
                "more than {READ_AT_MOST} sessions ended within the read window; the oldest \
                 of them are refused only when their tokens expire"
            );
        }
        self.learn(moved);
        Ok(())
    }

    /// Reads everything a live token could still be affected by (at start), blocking.
    pub fn load(&self, pool: &Pool) -> Result<(), souk_store::StoreError> {
        let back = chrono::Duration::from_std(self.keep).unwrap_or(chrono::Duration::hours(1));
        self.read(pool, back)
    }

    /// Reads the recently moved generations every `POLL_EVERY` until `stop`.
    pub async fn follow(self: std::sync::Arc<Self>, pool: Pool, mut stop: watch::Receiver<bool>) {
        loop {
            let me = self.clone();
            let p = pool.clone();
            let read = tokio::task::spawn_blocking(move || me.read(&p, READ_BACK)).await;
            if let Ok(Err(e)) = read {
                tracing::warn!(error = %e, "session generations not read; retrying");
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL_EVERY) => {}
                _ = stop.changed() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TokenGenerations;

    #[test]
    fn older_generations_are_refused_and_newer_kept() {
        let g = TokenGenerations::new(900);
        assert!(g.is_current(1, 0), "an account never moved");
        g.learn([(1, 2)]);
        assert!(!g.is_current(1, 1));
        assert!(g.is_current(1, 2));
        g.learn([(1, 1)]);
        assert!(!g.is_current(1, 1), "never moved back");
        assert!(g.is_current(2, 0), "other accounts untouched");
    }
}
