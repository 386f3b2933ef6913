//! Push notices of an ad's life and of payments, queued beside the email they come with (in the
//! same transaction). The owner's preferences decide at send time (`expiry`, `payments`);
//! payment notices pass quiet hours.

use std::collections::BTreeMap;

use souk_domain::notifications::PushKind;
use souk_domain::Localized;
use souk_store::{DbConn, StoreResult};

use super::{enqueue_push, Notification};

fn data(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// An ad expires soon (`expiring`) or expired: the ad's title as the body, the renewal in the
/// app. One per ad on the phone: the expiry replaces the warning.
pub fn ad_expiry(
    conn: &mut DbConn,
    user_id: i64,
    listing_id: i64,
    title: &str,
    expiring: bool,
) -> StoreResult<()> {
    let heading = if expiring {
        Localized {
            ar: "إعلانك ينتهي قريبا: جدده".into(),
            fr: "Votre annonce expire bientôt : renouvelez-la".into(),
            en: "Your ad expires soon: renew it".into(),
        }
    } else {
        Localized {
            ar: "انتهت صلاحية إعلانك".into(),
            fr: "Votre annonce a expiré".into(),
            en: "Your ad expired".into(),
        }
    };
    let kind = if expiring {
        "ad_expiring"
    } else {
        "ad_expired"
    };
    enqueue_push(
        conn,
        &Notification {
            user_id,
            kind: PushKind::Expiry,
            title: heading,
            body: title.chars().take(super::BODY_CHARS).collect(),
            collapse_key: Some(format!("expiry-{listing_id}")),
            data: data(&[
                ("type", kind.into()),
                ("listing_id", listing_id.to_string()),
            ]),
            only_installations: None,
        },
    )?;
    Ok(())
}

/// A payment settled: credited (`paid`) or refused by the provider.
pub fn payment_settled(
    conn: &mut DbConn,
    user_id: i64,
    order_id: i64,
    credits: i64,
    paid: bool,
) -> StoreResult<()> {
    let heading = if paid {
        Localized {
            ar: format!("تم استلام الدفع: {credits}+ رصيد"),
            fr: format!("Paiement reçu : +{credits} crédits"),
            en: format!("Payment received: +{credits} credits"),
        }
    } else {
        Localized {
            ar: "لم يتم قبول الدفع".into(),
            fr: "Paiement non accepté".into(),
            en: "Payment not accepted".into(),
        }
    };
    enqueue_push(
        conn,
        &Notification {
            user_id,
            kind: PushKind::Payment,
            title: heading,
            body: String::new(),
            collapse_key: Some(format!("order-{order_id}")),
            data: data(&[
                (
                    "type",
                    if paid {
                        "payment_paid"
                    } else {
                        "payment_failed"
                    }
                    .into(),
                ),
                ("order_id", order_id.to_string()),
            ]),
            only_installations: None,
        },
    )?;
    Ok(())
}
