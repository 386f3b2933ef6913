//! Revealing the phone a seller shows on an ad: who may see it (a confirmed address always; a
//! confirmed phone and an account of some age by configuration), how often (per viewer, per
//! client, per IPv6 site, a day), and the count in the seller's statistics.

use souk_domain::ListingStatus;
use souk_store::{listings, phones};

use crate::error::{ApiError, ApiResult};
use crate::extract::ClientIp;
use crate::state::AppState;

const DAY: std::time::Duration = std::time::Duration::from_secs(86_400);
/// Reveals a day from one IPv6 /48, as a multiple of the per-viewer limit.
const REVEALS_PER_SITE: u32 = 8;

/// The number the seller of ad `id` shows, for `viewer`, counted; or why not.
pub async fn reveal_phone(
    state: &AppState,
    viewer: i64,
    client: &ClientIp,
    id: i64,
) -> ApiResult<String> {
    let limiter = &state.limiter;
    limiter
        .hit(
            &format!("reveal:{viewer}"),
            state.config.limits.reveals_per_day,
            DAY,
        )
        .await?;
    limiter
        .hit(
            &format!("reveal-ip:{}", client.key()),
            state.config.limits.reveals_per_day * 2,
            DAY,
        )
        .await?;
    // One subscriber's IPv6 /48 holds 65,536 /64s: the site counts too.
    if let Some(site) = client.site_key() {
        limiter
            .hit(
                &format!("reveal-site:{site}"),
                state.config.limits.reveals_per_day * REVEALS_PER_SITE,
                DAY,
            )
            .await?;
    }
    let (requires_phone, min_age) = (
        state.config.reveal_requires_phone,
        chrono::Duration::hours(state.config.reveal_min_account_hours),
    );
    let phone = state
        .tx(move |conn| {
            // Throwaway accounts scraped numbers: a confirmed address always, and by
            // configuration a confirmed phone and an account of some age.
            let me = crate::auth::ensure_not_banned(conn, viewer)?;
            if me.email_verified_at.is_none() {
                return Err(ApiError::NotAllowed {
                    code: "email_not_confirmed",
                    detail: "confirm your email address to see sellers' numbers",
                });
            }
            crate::auth::ensure_phone_if(requires_phone, &me)?;
            if souk_store::now() - me.created_at < min_age {
                return Err(ApiError::NotAllowed {
                    code: "account_too_new",
                    detail: "new accounts write to sellers before seeing their numbers",
                });
            }
            let (l, seller) = listings::get_visible_listing_with_seller(conn, id)?;
            let shown = l.status()? == ListingStatus::Active
                && l.show_phone
                && seller.phone_verified_at.is_some();
            let Some(phone) = seller.phone.filter(|_| shown) else {
                return Err(ApiError::Conflict {
                    code: "no_phone",
                    detail: "this ad shows no confirmed phone; write to the seller instead".into(),
                });
            };
            if l.user_id != viewer {
                phones::count_reveal(conn, id)?;
            }
            Ok(phone)
        })
        .await?;
    Ok(phone)
}
