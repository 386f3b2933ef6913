//! View counts: the API counts them in Redis (or in its own memory without Redis); the
//! worker moves Redis's counts into the database in one transaction per flush.

use souk_store::listings;

use crate::context::{RunnerError, Worker};

/// Writes the views counted in Redis since the last flush to the database.
pub async fn flush_redis_views(w: &Worker) -> Result<usize, RunnerError> {
    let Some(redis) = &w.redis else {
        return Ok(0);
    };
    let Some((batch, counts)) = redis.take_views().await else {
        return Ok(0);
    };
    if counts.is_empty() {
        return Ok(0);
    }
    let n = counts.len();
    w.tx(move |conn| {
        for (id, by) in counts {
            listings::increment_views(conn, id, by)?;
        }
        Ok(())
    })
    .await?;
    // Only now: had the write failed, the batch would be taken over by a later flush. (A crash
    // between the commit and this delete counts the batch twice: the one gap left.)
    redis.views_flushed(&batch).await;
    Ok(n)
}
