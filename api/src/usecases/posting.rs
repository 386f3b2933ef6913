//! Rules of posting an ad that more than one path applies: the store plan's quota (posting,
//! and an expired ad coming back by renewal), and the refusal of a repost.

use souk_domain::visibility::products;
use souk_store::plans;

use crate::error::{ApiError, ApiResult};

/// The posting rule of stores: with a plan in a paid period, each new ad takes one of its
/// ads (409 `plan_quota_exhausted` once used up); without one, a store keeps at most
/// `store_free_active_ads` active ads (402 `plan_required`). Private sellers are not limited
/// here. Call in the posting transaction.
pub fn take_posting_quota(c: &mut souk_store::DbConn, user_id: i64) -> ApiResult<()> {
    if souk_store::stores::find_by_owner(c, user_id)?.is_none() {
        return Ok(());
    }
    match plans::take_ad(c, user_id) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => {
            let active = souk_store::listings::count_active_of_user(c, user_id)?;
            let free = products().store_free_active_ads;
            if active >= free {
                return Err(ApiError::PaymentRequired {
                    code: "plan_required",
                    detail: format!(
                        "a store keeps up to {free} active ads without a plan; subscribe to one \
                         (POST /v1/me/plan) to post more"
                    ),
                });
            }
            Ok(())
        }
        Err(souk_store::StoreError::Conflict("plan_quota_exhausted")) => {
            let end = plans::current(c, user_id)?.map(|s| s.period_end);
            Err(ApiError::Conflict {
                code: "plan_quota_exhausted",
                detail: match end {
                    Some(e) => format!(
                        "the ads of this period of your plan are all used; it renews on {} UTC",
                        e.format("%Y-%m-%d %H:%M")
                    ),
                    None => "the ads of this period of your plan are all used".into(),
                },
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// The 409 of a repost: the text or a photo of one of the seller's active ads again.
pub fn duplicate_ad(existing: i64) -> ApiError {
    ApiError::Conflict {
        code: "duplicate_ad",
        detail: format!(
            "you already have this ad (id {existing}): edit it or renew it (POST /v1/listings/{existing}/renew)"
        ),
    }
}
