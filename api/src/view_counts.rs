//! Counts ad views without a database write per read: into Redis (flushed to the database by
//! the worker), or, without Redis or while it is down, into this process's memory, flushed
//! here every few seconds. Featured-slot impressions and clicks (one or two per search page)
//! are always counted in memory and flushed with them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use souk_store::stats::Stat;
use souk_store::writer::WriterUse;
use souk_store::Pool;
use souk_worker::RedisLink;
use tokio::sync::watch;

/// Ads per transaction when flushing counts: a flush after a busy second holds thousands,
/// and one transaction over all of them would keep the SQLite writer from requests meanwhile.
const FLUSH_CHUNK: usize = 100;

#[derive(Default)]
pub struct ViewCounter {
    redis: Option<RedisLink>,
    pending: Mutex<HashMap<i64, i64>>,
    promoted: Mutex<HashMap<(i64, PromotedStat), i64>>,
}

/// What happened to an ad in a featured slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromotedStat {
    Impression,
    Click,
}

impl PromotedStat {
    fn stat(self) -> Stat {
        match self {
            PromotedStat::Impression => Stat::PromotedImpressions,
            PromotedStat::Click => Stat::PromotedClicks,
        }
    }
}

impl ViewCounter {
    pub fn new(redis: Option<RedisLink>) -> ViewCounter {
        ViewCounter {
            redis,
            pending: Mutex::default(),
            promoted: Mutex::default(),
        }
    }

    pub async fn count(&self, listing_id: i64) {
        if let Some(r) = &self.redis {
            if r.add_views(listing_id, 1).await {
                return;
            }
        }
        *self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(listing_id)
            .or_default() += 1;
    }

    /// Counts `what` for each of `ids`; no database write until the flush.
    pub fn count_promoted(&self, ids: &[i64], what: PromotedStat) {
        let mut m = self.promoted.lock().unwrap_or_else(|p| p.into_inner());
        for id in ids {
            *m.entry((*id, what)).or_default() += 1;
        }
    }

    fn take(&self) -> (HashMap<i64, i64>, HashMap<(i64, PromotedStat), i64>) {
        (
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner())),
            std::mem::take(&mut *self.promoted.lock().unwrap_or_else(|p| p.into_inner())),
        )
    }

    /// Writes the views counted in memory to the database, `FLUSH_CHUNK` ads a transaction so
    /// the one SQLite writer goes back to requests between them; what fails is kept for the
    /// next flush.
    pub fn flush(&self, pool: &Pool) {
        let (batch, promoted) = self.take();
        let views: Vec<(i64, i64)> = batch.into_iter().collect();
        let promoted: Vec<((i64, PromotedStat), i64)> = promoted.into_iter().collect();
        for chunk in views.chunks(FLUSH_CHUNK) {
            let written = Self::write(pool, |c| {
                for (id, n) in chunk {
                    souk_store::listings::increment_views(c, *id, *n)?;
                }
                Ok(())
            });
            if let Err(e) = written {
                tracing::warn!(error = %e, "view counts not written; kept for the next flush");
                let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
                for (id, n) in chunk {
                    *pending.entry(*id).or_default() += n;
                }
            }
        }
        for chunk in promoted.chunks(FLUSH_CHUNK) {
            let written = Self::write(pool, |c| {
                for ((id, what), n) in chunk {
                    souk_store::stats::bump(c, *id, what.stat(), *n)?;
                }
                Ok(())
            });
            if let Err(e) = written {
                tracing::warn!(error = %e, "promoted counts not written; kept for the next flush");
                let mut kept = self.promoted.lock().unwrap_or_else(|p| p.into_inner());
                for (key, n) in chunk {
                    *kept.entry(*key).or_default() += n;
                }
            }
        }
    }

    fn write(
        pool: &Pool,
        f: impl FnOnce(&mut souk_store::DbConn) -> Result<(), souk_store::StoreError>,
    ) -> Result<(), souk_store::StoreError> {
        let mut conn = souk_store::writer::take_writer(pool, WriterUse::Background)?;
        souk_store::db::write_transaction(&mut conn, f)
    }

    /// Flushes every `every` until `stop`, and once more on the way out.
    pub async fn run_flusher(
        self: std::sync::Arc<Self>,
        pool: Pool,
        every: Duration,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            let stopping = tokio::select! {
                _ = tokio::time::sleep(every) => false,
                _ = stop.changed() => true,
            };
            let me = self.clone();
            let p = pool.clone();
            let _ = tokio::task::spawn_blocking(move || me.flush(&p)).await;
            if stopping || *stop.borrow() {
                return;
            }
        }
    }
}
