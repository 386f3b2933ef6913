//! Liveness, readiness and Prometheus metrics.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// The process can serve: the database answers, and the search index is open and has read
/// the change feed to its end within `SOUK_READY_MAX_LAG_SECS` (503 while the index is being
/// built or when it falls behind).
#[utoipa::path(tag = "operations", responses((status = 200, body = Health), (status = 503, body = crate::error::Problem)))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<web::Json<Health>> {
    use diesel::connection::SimpleConnection;
    if state.draining.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(ApiError::Unavailable(
            "stopping: this process is draining".into(),
        ));
    }
    state
        .db(|c| {
            c.batch_execute("SELECT 1")
                .map_err(crate::state::database_unavailable)
        })
        .await
        .map_err(|e| match e {
            ApiError::Internal(m) => crate::state::database_unavailable(m),
            other => other,
        })?;
    let max_lag = std::time::Duration::from_secs(state.config.ready_max_lag_secs);
    match state.search.lag() {
        None => Err(ApiError::Unavailable("search index: being built".into())),
        Some(lag) if lag > max_lag => Err(ApiError::Unavailable(format!(
            "search index: {} s behind the change feed",
            lag.as_secs()
        ))),
        Some(_) => Ok(web::Json(Health { status: "ready" })),
    }
}

/// Prometheus metrics: request counts and latency histograms per route. Private by default:
/// with `SOUK_METRICS_TOKEN` set, only `Authorization: Bearer <token>` gets them; without it,
/// only when `SOUK_METRICS_PUBLIC=true` (otherwise 404, as if absent).
#[utoipa::path(tag = "operations", responses((status = 200, content_type = "text/plain", body = String),
    (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    if state.config.metrics_token.is_none() && !state.config.metrics_public {
        return Err(ApiError::NotFound);
    }
    if let Some(expected) = &state.config.metrics_token {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !crate::auth::secret::constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return Err(ApiError::Unauthorized {
                code: "invalid_token",
                detail: "metrics need the configured bearer token",
            });
        }
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(crate::telemetry::render()))
}

/// Registers this context's handlers and documents them in the OpenAPI document.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}
