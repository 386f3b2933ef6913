//! Periodic tasks of paid visibility: marks that ended leave search, scheduled bumps are made
//! (and paid) when due, store plans move to their next period or lapse. Each item is one
//! transaction; a bump or a renewal carries an idempotency key naming its run, so two workers
//! (or a retry) never charge twice.

use souk_domain::visibility::{next_bump_at, products};
use souk_domain::ListingStatus;
use souk_store::billing::{self, Purchase};
use souk_store::bump_schedules::{self, Schedule};
use souk_store::plans::{self, Included, Subscription};
use souk_store::{listings, promotions, DbConn, StoreError, StoreResult};

use crate::context::{RunnerError, Worker};

/// A bump of `listing_id`, paid by `user_id` under `key` (one the store plan includes first,
/// else the price list's), in the caller's transaction: the one bump of the owner's route and
/// of the scheduled runs alike. A replay of `key` charges and bumps nothing again; an ad
/// bumped less than the interval ago (or no longer active) is `Conflict("bumped_recently")`.
pub fn paid_bump(
    c: &mut DbConn,
    user_id: i64,
    listing_id: i64,
    key: &str,
    now: chrono::NaiveDateTime,
) -> StoreResult<billing::Paid> {
    let bump = &products().bump;
    let paid = billing::pay(
        c,
        &Purchase {
            user_id,
            reason: "bump",
            listing_id: Some(listing_id),
            units: 1,
            unit_price: bump.price,
            included: Some(Included::Bumps),
            idempotency_key: key,
        },
    )?;
    if !paid.replayed {
        let interval = chrono::Duration::hours(bump.min_hours_between);
        listings::mark_bumped(c, listing_id, now, now - interval)?;
    }
    Ok(paid)
}

/// Clears the featured and urgent marks that ended (the ads leave the featured slots' shelf
/// and the urgent filter's list through the change feed).
pub async fn clear_ended_marks(w: &Worker) -> Result<usize, RunnerError> {
    let batch = w.cfg.batch;
    let mut total = 0;
    loop {
        let n = w
            .tx(move |c| promotions::clear_ended(c, souk_store::now(), batch))
            .await?;
        total += n;
        if (n as i64) < batch {
            break;
        }
    }
    if total > 0 {
        tracing::info!(ads = total, "ended featured/urgent marks cleared");
    }
    Ok(total)
}

/// What became of one scheduled run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    Bumped,
    /// The ad was bumped by hand within the day: this run is skipped, unpaid.
    Skipped,
    /// The schedule stopped (no credit, or the ad is no longer active).
    Stopped,
    /// Another worker moved the schedule first.
    Raced,
}

fn run_schedule(c: &mut DbConn, s: &Schedule) -> StoreResult<Run> {
    let now = souk_store::now();
    let listing = match listings::get_listing(c, s.listing_id) {
        Ok(l) => Some(l),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e),
    };
    let live = listing.filter(|l| {
        l.user_id == s.user_id
            && l.hidden_at.is_none()
            && l.status().is_ok_and(|st| st == ListingStatus::Active)
    });
    let Some(l) = live.filter(|_| !account_closed(c, s.user_id).unwrap_or(true)) else {
        bump_schedules::stop(c, s.id, "not_active")?;
        return Ok(Run::Stopped);
    };
    if next_bump_at(l.bumped_at, now).is_some() {
        return Ok(if bump_schedules::advance(c, s)? {
            Run::Skipped
        } else {
            Run::Raced
        });
    }
    // `/`: a key no client can send (see `souk_store::billing`).
    let key = format!("schedule/{}/{}", s.id, s.runs + 1);
    match paid_bump(c, s.user_id, s.listing_id, &key, now) {
        Ok(_) => {}
        Err(StoreError::Conflict("insufficient_credits")) => {
            bump_schedules::stop(c, s.id, "insufficient_credits")?;
            return Ok(Run::Stopped);
        }
        Err(e) => return Err(e),
    }
    if !bump_schedules::advance(c, s)? {
        // Another worker made this run: roll this charge back.
        return Err(StoreError::Conflict("ledger_race"));
    }
    Ok(Run::Bumped)
}

/// Makes the scheduled bumps that are due.
pub async fn scheduled_bumps(w: &Worker) -> Result<usize, RunnerError> {
    let batch = w.cfg.batch;
    let due = w
        .db(move |c| bump_schedules::due(c, souk_store::now(), batch))
        .await?;
    let mut bumped = 0;
    for s in due {
        match w.tx(move |c| run_schedule(c, &s)).await {
            Ok(Run::Bumped) => bumped += 1,
            Ok(_) => {}
            // A race for the ledger or a failure: the run stays due for the next pass.
            Err(e) => tracing::warn!(error = %e, "scheduled bump not made"),
        }
    }
    if bumped > 0 {
        tracing::info!(ads = bumped, "scheduled bumps made");
    }
    Ok(bumped)
}

/// What became of a subscription at its period's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    Renewed,
    Lapsed,
}

/// A deleted or banned account is charged nothing more.
fn account_closed(c: &mut DbConn, user_id: i64) -> StoreResult<bool> {
    let u = souk_store::users::find_user(c, user_id)?;
    Ok(u.deleted_at.is_some() || u.banned_at.is_some())
}

fn renew_one(c: &mut DbConn, s: &Subscription) -> StoreResult<Renewal> {
    let closed = account_closed(c, s.user_id)?;
    let plan = products().plan(&s.plan).filter(|_| s.auto_renew && !closed);
    let Some(plan) = plan else {
        // Cancelled, or the plan is no longer sold.
        plans::lapse(c, s.id)?;
        return Ok(Renewal::Lapsed);
    };
    let key = format!("plan/{}/{}", s.id, s.period_no + 1);
    let paid = billing::pay(
        c,
        &Purchase {
            user_id: s.user_id,
            reason: "plan",
            listing_id: None,
            units: 1,
            unit_price: plan.price,
            included: None,
            idempotency_key: &key,
        },
    );
    match paid {
        Ok(_) => {
            if !plans::renew(c, s, plan)? {
                // Another worker renewed it, or renewal was just turned off: roll back.
                return Err(StoreError::Conflict("ledger_race"));
            }
            Ok(Renewal::Renewed)
        }
        Err(StoreError::Conflict("insufficient_credits")) => {
            plans::lapse(c, s.id)?;
            Ok(Renewal::Lapsed)
        }
        Err(e) => Err(e),
    }
}

/// Renews (and charges) the store plans whose period ended, or lets them lapse.
pub async fn renew_plans(w: &Worker) -> Result<usize, RunnerError> {
    let batch = w.cfg.batch;
    let due = w
        .db(move |c| plans::due(c, souk_store::now(), batch))
        .await?;
    let mut renewed = 0;
    for s in due {
        match w.tx(move |c| renew_one(c, &s)).await {
            Ok(Renewal::Renewed) => renewed += 1,
            Ok(Renewal::Lapsed) => tracing::info!("store plan lapsed"),
            Err(e) => tracing::warn!(error = %e, "store plan not renewed"),
        }
    }
    Ok(renewed)
}
