//! Restarts nobody sees. Two parts:
//! - **Draining** (`Running::drain_and_stop`, on SIGTERM): `/readyz` answers 503, every
//!   response closes its connection (no client keeps a kept-alive connection to a process about
//!   to go), live streams end with their retry hint; after `SOUK_SHUTDOWN_DRAIN_SECS` the
//!   listener closes and requests in flight get `SOUK_SHUTDOWN_TIMEOUT_SECS` to finish.
//! - **A listening socket that outlives the process** (systemd socket activation, `LISTEN_FDS`):
//!   connections that arrive while one process stops and the next starts wait in the socket's
//!   queue instead of being refused or reset, so a proxy in front sees a slow answer, never an
//!   error. Without it, a proxy retries refused connections on another upstream, but a request
//!   caught in the queue of a closing listener is reset, and proxies do not retry a POST.

use std::net::TcpListener;
use std::sync::atomic::Ordering;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web;

use crate::state::AppState;

/// The first descriptor systemd passes (`SD_LISTEN_FDS_START`).
const FIRST_PASSED_FD: i32 = 3;

pub async fn close_when_draining(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let draining = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.draining.load(Ordering::Relaxed));
    let mut res = next.call(req).await?;
    if draining {
        res.response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(res)
}

/// The listening socket systemd (or another supervisor) passed, when `LISTEN_FDS` says one was
/// passed to this process (`LISTEN_PID`, when set, names it). `Err` when the variables are
/// set but wrong: a unit that means to pass a socket and does not should not fall back to
/// binding a port of its own.
pub fn passed_listener() -> Result<Option<TcpListener>, String> {
    let Ok(count) = std::env::var("LISTEN_FDS") else {
        return Ok(None);
    };
    if let Ok(pid) = std::env::var("LISTEN_PID") {
        if pid.trim() != std::process::id().to_string() {
            // Meant for another process (a parent that did not clear it): not ours.
            return Ok(None);
        }
    }
    if count.trim() != "1" {
        return Err(format!(
            "LISTEN_FDS={count}: souk-api takes exactly one listening socket"
        ));
    }
    for name in ["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"] {
        std::env::remove_var(name);
    }
    use std::os::fd::FromRawFd;
    // SAFETY: under the socket-activation protocol descriptor 3 is open and given to this
    // process, which takes ownership of it here once (the variables are cleared above).
    let listener = unsafe { TcpListener::from_raw_fd(FIRST_PASSED_FD) };
    listener
        .local_addr()
        .map_err(|e| format!("descriptor {FIRST_PASSED_FD} is not a TCP socket: {e}"))?;
    Ok(Some(listener))
}
