//! Request logging (tracing) and Prometheus metrics, recorded by one middleware.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::ResponseError;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

const LATENCY: &str = "http_request_duration_seconds";
const REQUESTS: &str = "http_requests_total";

/// The process-wide recorder, installed on first use (tests start several apps in one process).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(LATENCY.into()),
                &[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            )
            .expect("static buckets are valid")
            // The database writer: how long callers wait for it and hold it (souk_store::writer).
            .set_buckets_for_metric(
                Matcher::Prefix("souk_db_writer_".into()),
                &[
                    0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                    2.5, 10.0,
                ],
            )
            .expect("static buckets are valid")
            .build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was installed first, in which case ours stays empty.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

pub fn init() {
    handle();
}

pub fn render() -> String {
    handle().render()
}

/// The methods the API serves. Any other (HTTP allows any token, `Q0000001X` included) is
/// refused with 405 before anything records it: as a metrics label each made-up method became
/// a series of its own, and the process grew without bound.
fn known_method(method: &Method) -> Option<&'static str> {
    Some(match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => return None,
    })
}

/// Logs each request and records its count and latency under the route pattern (not the
/// raw path, which would make one series per listing id). Every label comes from a closed set:
/// a known method, a route pattern or `unmatched`, a status code the API answers.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(method) = known_method(req.method()) else {
        let refused = crate::error::ApiError::MethodNotAllowed.error_response();
        return Ok(req.into_response(refused).map_into_right_body());
    };
    let start = Instant::now();
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    let status = res.status().as_u16();
    let elapsed = start.elapsed();
    metrics::counter!(REQUESTS, "method" => method, "route" => route.clone(), "status" => status.to_string()).increment(1);
    metrics::histogram!(LATENCY, "method" => method, "route" => route.clone())
        .record(elapsed.as_secs_f64());
    tracing::info!(%method, %route, status, ms = elapsed.as_secs_f64() * 1000.0, "request");
    Ok(res.map_into_left_body())
}

/// Hands memory freed by bulk work (an index rebuild and its merges) back to the system.
/// glibc keeps freed heap in its arenas otherwise, and the process would stay at its peak.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns unused heap pages to the kernel; it touches no live data.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Caps glibc's malloc arenas: with one per thread (up to 8 × cores), memory freed on one
/// thread is not reused by another and the resident size creeps up. Call before threads start.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called at start-up, before other threads.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
