//! Buying a mark (featured or urgent) for an ad: the owner's active, shown ad; days included
//! in the store plan first for featured, then credits; a replayed key buys nothing again; the
//! days bought are added to the days left.

use chrono::NaiveDateTime;
use souk_domain::visibility::{extended_until, products, Mark};
use souk_store::billing::{self, Purchase};
use souk_store::credits::Movement;
use souk_store::plans::Included;
use souk_store::promotions;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::usecases::billing::{earlier_movement, ensure_active, spend_error, with_ledger};
use crate::usecases::ownership::{ensure_shown, owned_ad};

/// What is bought: `days` of `mark` on ad `listing` of `owner`, under the idempotency `key`.
pub struct Order {
    pub owner: i64,
    pub listing: i64,
    pub mark: Mark,
    pub days: i64,
    pub key: String,
}

/// The mark bought (or found bought by the same key before).
pub struct Bought {
    /// The mark runs until then.
    pub until: NaiveDateTime,
    /// Days the store plan covered.
    pub from_plan: i64,
    /// Credits spent (0 on a replay).
    pub charged: i64,
    pub balance: i64,
    pub replayed: bool,
}

pub async fn buy_mark(state: &AppState, order: &Order) -> ApiResult<Bought> {
    let Order {
        owner,
        listing: id,
        mark,
        days,
        ref key,
    } = *order;
    let key = key.clone();
    let offer = products().offer(mark).clone();
    if !(1..=offer.max_days).contains(&days) {
        return Err(ApiError::field(
            "days",
            "out_of_range",
            format!("1–{} days", offer.max_days),
        ));
    }
    with_ledger(state, move |c| {
        let l = owned_ad(c, owner, id)?;
        ensure_shown(&l, "promoted")?;
        let (featured, urgent) = promotions::marks_of(c, id)?;
        let current = match mark {
            Mark::Featured => featured,
            Mark::Urgent => urgent,
        };
        let same = |d: &Movement| d.reason == mark.as_str() && d.listing_id == Some(id);
        if let Some(done) = earlier_movement(c, owner, &key, same)? {
            return Ok(Bought {
                until: current.unwrap_or(done.created_at),
                from_plan: 0,
                charged: 0,
                balance: souk_store::credits::balance(c, owner)?,
                replayed: true,
            });
        }
        ensure_active(&l, "promoted")?;
        let paid = billing::pay(
            c,
            &Purchase {
                user_id: owner,
                reason: mark.as_str(),
                listing_id: Some(id),
                units: days,
                unit_price: offer.price_per_day,
                included: (mark == Mark::Featured).then_some(Included::FeaturedDays),
                idempotency_key: &key,
            },
        )
        .map_err(spend_error)?;
        let until = extended_until(current, souk_store::now(), days);
        promotions::set_mark(c, id, mark, until)?;
        Ok(Bought {
            until,
            from_plan: paid.from_plan,
            charged: paid.charged,
            balance: paid.movement.balance_after,
            replayed: false,
        })
    })
    .await
}
