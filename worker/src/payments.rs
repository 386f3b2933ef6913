//! Buying credits through a payment provider. One interface, two providers:
//!
//! - `satim`: CIB and Edahabia cards through SATIM's gateway. The order is registered
//!   server to server (`register.do`, amount in centimes, currency 012), the buyer pays on
//!   SATIM's page and comes back to our return URL with `orderId`. That return proves
//!   nothing (anyone can forge it): the order is credited only when SATIM itself, asked
//!   server to server (`public/acknowledgeTransaction.do`), says it is paid: `ErrorCode` 0,
//!   `OrderStatus` 2, `params.respCode` "00", and the amount registered.
//! - `local`: a test provider for development and demos: its checkout is a route of this
//!   API, and the order is paid once its buyer confirms there. Never for real money, so never
//!   a default: without `SOUK_PAYMENT_PROVIDER` the site sells no credits.
//!
//! Confirming is a job (`confirm_payment`), retried with backoff while the provider cannot
//! be reached; the credit's ledger key names the order, so it is credited once.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use souk_store::payments::{self, Order};
use souk_store::{credits, jobs, DbConn, StoreError};

use crate::context::{RunnerError, Worker};

pub const CONFIRM_PAYMENT: &str = "confirm_payment";
/// A pending order the provider has not settled after this long is abandoned.
const ABANDONED_AFTER_HOURS: i64 = 24;
/// How long a checkout link works; an order whose buyer never opened it fails after that.
pub const CHECKOUT_MINUTES: i64 = 60;
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(15);

pub use crate::payment_config::{PaymentConfig, ProviderKind};

/// An order registered with the provider: its id there and where the buyer pays.
#[derive(Debug, Clone)]
pub struct Registered {
    pub reference: String,
    pub payment_url: String,
}

/// What the provider says of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Paid,
    /// Not paid (yet): the buyer may still be on the payment page.
    Pending,
    /// Declined, cancelled, or paid for another amount: never credited.
    Failed(String),
    /// An answer that settles nothing (access denied, system error, an unknown order): asked
    /// again later, never taken as a decline.
    Unknown(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("payment provider unreachable: {0}")]
    Unreachable(String),
    #[error("payment provider refused: {0}")]
    Refused(String),
}

/// The local test provider's reference for an order, before and after its buyer confirms.
pub fn local_reference(order_id: i64, paid: bool) -> String {
    if paid {
        format!("local-{order_id}-paid")
    } else {
        format!("local-{order_id}")
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(PROVIDER_TIMEOUT)
        .build()
        .unwrap_or_default()
}

/// SATIM's answers give numbers as numbers or as strings.
fn number(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.trim().parse().ok())
}

async fn satim_call(
    cfg: &PaymentConfig,
    method: &str,
    form: &[(&str, String)],
) -> Result<Value, ProviderError> {
    let url = format!(
        "{}/payment/rest/{method}",
        cfg.satim_url.trim_end_matches('/')
    );
    let res = http()
        .post(&url)
        .form(form)
        .send()
        .await
        .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
    let status = res.status();
    let text = res
        .text()
        .await
        .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
    if status.is_server_error() {
        return Err(ProviderError::Unreachable(format!("{status}")));
    }
    serde_json::from_str(&text)
        .map_err(|_| ProviderError::Refused(format!("{status}: {text:.200}")))
}

/// Registers `order` with the provider (registration `attempt`, from 1: each under its own
/// order number, as the provider refuses a number twice); its page sends the buyer back to
/// `public_url`'s return route.
pub async fn register(
    cfg: &PaymentConfig,
    order: &Order,
    attempt: i32,
    public_url: &str,
) -> Result<Registered, ProviderError> {
    match cfg.provider {
        ProviderKind::None => Err(ProviderError::Refused("no payment provider".into())),
        ProviderKind::Local => Ok(Registered {
            reference: local_reference(order.id, false),
            payment_url: format!("{public_url}/v1/payments/local/checkout/{}", order.id),
        }),
        ProviderKind::Satim => {
            // At most 10 letters and digits at SATIM.
            let order_number = format!("{}A{attempt}", order.id);
            let params = serde_json::json!({"force_terminal_id": cfg.satim_terminal_id, "udf1": order_number});
            let return_url = format!("{public_url}/v1/payments/satim/return");
            let v = satim_call(
                cfg,
                "register.do",
                &[
                    ("userName", cfg.satim_username.clone()),
                    ("password", cfg.satim_password.clone()),
                    ("orderNumber", order_number),
                    ("amount", (order.amount * 100).to_string()),
                    ("currency", "012".into()),
                    ("returnUrl", return_url.clone()),
                    ("failUrl", return_url),
                    ("language", "FR".into()),
                    ("jsonParams", params.to_string()),
                ],
            )
            .await?;
            let code = v.get("errorCode").and_then(number).unwrap_or(0);
            match (code, v["orderId"].as_str(), v["formUrl"].as_str()) {
                (0, Some(id), Some(url)) => Ok(Registered {
                    reference: id.to_string(),
                    payment_url: url.to_string(),
                }),
                _ => Err(ProviderError::Refused(format!(
                    "register.do: errorCode {code}: {}",
                    v["errorMessage"].as_str().unwrap_or("")
                ))),
            }
        }
    }
}

/// Asks the provider, server to server, what became of `order`.
pub async fn verify(cfg: &PaymentConfig, order: &Order) -> Result<Verdict, ProviderError> {
    let Some(reference) = order.provider_ref.as_deref() else {
        return Ok(Verdict::Pending);
    };
    match cfg.provider {
        ProviderKind::None => Ok(Verdict::Unknown("no payment provider".into())),
        ProviderKind::Local => Ok(if reference == local_reference(order.id, true) {
            Verdict::Paid
        } else {
            Verdict::Pending
        }),
        ProviderKind::Satim => {
            let v = satim_call(
                cfg,
                "public/acknowledgeTransaction.do",
                &[
                    ("userName", cfg.satim_username.clone()),
                    ("password", cfg.satim_password.clone()),
                    ("mdOrder", reference.to_string()),
                    ("language", "FR".into()),
                ],
            )
            .await?;
            Ok(satim_verdict(&v, order.amount))
        }
    }
}

/// SATIM's confirmation, read strictly: paid only with `ErrorCode` 0, `OrderStatus` 2,
/// `params.respCode` "00" and the amount registered (in centimes).
pub fn satim_verdict(v: &Value, amount_dzd: i64) -> Verdict {
    let error = v.get("ErrorCode").and_then(number);
    let status = v.get("OrderStatus").and_then(number);
    let resp = v["params"]["respCode"].as_str().unwrap_or("");
    let amount = v.get("Amount").and_then(number);
    let said = || {
        format!(
            "ErrorCode {error:?}, OrderStatus {status:?}, respCode {resp:?}: {}",
            v["actionCodeDescription"].as_str().unwrap_or("")
        )
    };
    match (error, status) {
        (Some(0), Some(2)) if resp == "00" && amount == Some(amount_dzd * 100) => Verdict::Paid,
        // Deposited, but not as registered: never credited (a refund is for a person).
        (Some(0), Some(2)) => Verdict::Failed(format!(
            "{}; amount {amount:?}, registered {}",
            said(),
            amount_dzd * 100
        )),
        // Registered or only authorised: the buyer may still pay.
        (Some(0), Some(0 | 1)) => Verdict::Pending,
        // Reversed, refunded, declined; or declined as a business outcome.
        (Some(0), Some(3 | 4 | 6 | -1)) | (Some(3), _) => Verdict::Failed(said()),
        // Access denied, system error, unknown order, an unexpected shape: ask again.
        _ => Verdict::Unknown(said()),
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ConfirmPayment {
    pub order_id: i64,
}

/// Queues a confirmation of the order (in the caller's transaction), unless one is queued
/// already: coming back to the return page a thousand times asks the provider once. The
/// order (as the caller read it in this transaction) names its job, so this is one lookup by
/// key whatever the queue holds.
pub fn queue_confirm(conn: &mut DbConn, order: &Order) -> Result<bool, StoreError> {
    if order.checks >= payments::MAX_CHECKS {
        return Ok(false);
    }
    // A running one retries by itself while the order is pending.
    if let Some(job) = order.confirm_job_id {
        if jobs::is_pending(conn, job)? {
            return Ok(false);
        }
    }
    let order_id = order.id;
    let job = jobs::enqueue(conn, CONFIRM_PAYMENT, &ConfirmPayment { order_id })?;
    payments::set_confirm_job(conn, order_id, job)?;
    Ok(true)
}

/// The `confirm_payment` job: asks the provider; credits a paid order once, fails a declined
/// one; a pending one is asked again later (the job's retry) until it is abandoned.
pub async fn run_confirm(w: &Worker, job: &jobs::Job) -> Result<(), String> {
    let c: ConfirmPayment =
        serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
    let order = w
        .db(move |conn| payments::find(conn, c.order_id))
        .await
        .map_err(|e| e.to_string())?;
    if order.status != "pending" {
        return Ok(());
    }
    if order.provider != w.cfg.payments.name() {
        // The worker and the API name different providers: visible as a failing job.
        return Err(format!(
            "order of provider {} but this worker uses {} (SOUK_PAYMENT_PROVIDER)",
            order.provider,
            w.cfg.payments.name()
        ));
    }
    // Every question counts, answered or not: an order is asked about a bounded number of
    // times (payments::MAX_CHECKS), then it has failed.
    let checks = w
        .tx(move |conn| payments::count_check(conn, order.id))
        .await
        .map_err(|e| e.to_string())?;
    let verdict = verify(&w.cfg.payments, &order).await;
    let last_check = checks >= payments::MAX_CHECKS;
    let abandoned = last_check
        || order.created_at < souk_store::now() - chrono::Duration::hours(ABANDONED_AFTER_HOURS);
    let verdict = match verdict {
        Err(e) if last_check => Verdict::Unknown(e.to_string()),
        other => other.map_err(|e| e.to_string())?,
    };
    match verdict {
        Verdict::Paid => {
            let o = order.clone();
            w.tx(move |conn| credit(conn, &o))
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(
                order = order.id,
                amount = order.amount,
                "payment confirmed and credited"
            );
            Ok(())
        }
        Verdict::Failed(why) => {
            tracing::warn!(order = order.id, %why, "payment not accepted");
            let o = order.clone();
            w.tx(move |conn| refused(conn, &o))
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Verdict::Pending | Verdict::Unknown(_) if abandoned => {
            tracing::warn!(
                order = order.id,
                checks,
                "payment not settled by the provider after its last check: failed"
            );
            let o = order.clone();
            w.tx(move |conn| refused(conn, &o))
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Verdict::Pending => Err("not paid yet; asking again later".into()),
        Verdict::Unknown(why) => Err(format!("the provider settled nothing: {why}")),
    }
}

/// Marks an order failed and tells its buyer's phones (once: only the first settlement does).
fn refused(conn: &mut DbConn, o: &Order) -> Result<(), StoreError> {
    if payments::settle(conn, o.id, "failed")? {
        crate::push::notices::payment_settled(conn, o.user_id, o.id, o.amount, false)?;
    }
    Ok(())
}

/// Credits a paid order (once: the ledger key names it) and marks it paid.
fn credit(conn: &mut DbConn, o: &Order) -> Result<(), StoreError> {
    if !payments::settle(conn, o.id, "paid")? {
        return Ok(());
    }
    credits::append(
        conn,
        &credits::NewMovement {
            user_id: o.user_id,
            amount: o.amount,
            reason: "payment",
            listing_id: None,
            granted_by: None,
            idempotency_key: &payments::ledger_key(o.id),
        },
    )?;
    crate::push::notices::payment_settled(conn, o.user_id, o.id, o.amount, true)?;
    Ok(())
}

/// Periodic: asks again about orders still pending a while after their registration, in case
/// the buyer paid and never came back to the return page.
pub async fn recheck_pending(w: &Worker) -> Result<usize, RunnerError> {
    let batch = w.cfg.batch;
    w.tx(move |conn| {
        let now = souk_store::now();
        payments::fail_unopened(conn, now - chrono::Duration::minutes(CHECKOUT_MINUTES))?;
        let due = payments::take_to_recheck(
            conn,
            now - chrono::Duration::hours(ABANDONED_AFTER_HOURS + 1),
            now - chrono::Duration::minutes(10),
            batch,
        )?;
        let mut n = 0;
        for o in due {
            if queue_confirm(conn, &o)? {
                n += 1;
            }
        }
        Ok(n)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_test_provider_runs_only_when_allowed() {
        let vars = |allow: Option<&'static str>| {
            move |name: &str| match name {
                "SOUK_PAYMENT_PROVIDER" => Some("local".to_string()),
                "SOUK_ALLOW_TEST_PAYMENTS" => allow.map(String::from),
                _ => None,
            }
        };
        let refused = PaymentConfig::from_vars(vars(None)).unwrap_err();
        assert!(refused.contains("SOUK_ALLOW_TEST_PAYMENTS"), "{refused}");
        assert!(PaymentConfig::from_vars(vars(Some("yes"))).is_err());
        let allowed = PaymentConfig::from_vars(vars(Some("true"))).unwrap();
        assert_eq!(allowed.provider, ProviderKind::Local);
        let none = PaymentConfig::from_vars(|_| None).unwrap();
        assert_eq!(none.provider, ProviderKind::None);
    }
    use serde_json::json;

    fn ack(error: &str, status: i64, resp: &str, amount: i64) -> Value {
        json!({"ErrorCode": error, "OrderStatus": status, "Amount": amount,
               "params": {"respCode": resp}, "actionCodeDescription": "x"})
    }

    #[test]
    fn only_a_deposit_of_the_registered_amount_counts_as_paid() {
        assert_eq!(
            satim_verdict(&ack("0", 2, "00", 150_000), 1500),
            Verdict::Paid
        );
        assert!(matches!(
            satim_verdict(&ack("0", 2, "00", 100), 1500),
            Verdict::Failed(_)
        ));
        assert!(matches!(
            satim_verdict(&ack("0", 2, "51", 150_000), 1500),
            Verdict::Failed(_)
        ));
        assert_eq!(
            satim_verdict(&ack("0", 0, "", 150_000), 1500),
            Verdict::Pending
        );
        assert!(matches!(
            satim_verdict(&ack("3", 6, "51", 150_000), 1500),
            Verdict::Failed(_)
        ));
        // Numbers as numbers or strings.
        let v = json!({"ErrorCode": 0, "OrderStatus": "2", "Amount": "150000", "params": {"respCode": "00"}});
        assert_eq!(satim_verdict(&v, 1500), Verdict::Paid);
        assert!(matches!(
            satim_verdict(&json!({}), 1500),
            Verdict::Unknown(_)
        ));
        // Access denied (an expired merchant password) or a system error settle nothing.
        assert!(matches!(
            satim_verdict(&ack("5", 0, "", 0), 1500),
            Verdict::Unknown(_)
        ));
        assert!(matches!(
            satim_verdict(&ack("7", 2, "", 0), 1500),
            Verdict::Unknown(_)
        ));
    }
}
