//! Builds and starts the HTTP service. `main` and the tests use the same `start`.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{Server, ServerHandle, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::{from_fn, Next};
use actix_web::{error, web, App, HttpResponse, HttpServer, ResponseError};
use souk_worker::{Mailer, RedisLink, Worker};

use crate::view_counts::ViewCounter;
use tokio::sync::{watch, Notify};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::generations::TokenGenerations;
use crate::auth::jwt::JwtKeys;
use crate::bounded::BoundedWork;
use crate::config::Config;
use crate::error::ApiError;
use crate::ratelimit::RateLimiter;
use crate::state::AppState;
use crate::telemetry;

/// Every route, registered by its context (`routes::configure`); the document those calls
/// also build is `openapi::document`, served once per process.
pub fn routes(cfg: &mut web::ServiceConfig) {
    crate::routes::configure(&mut utoipa_actix_web::service_config::ServiceConfig::new(
        cfg,
    ));
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        let api = ApiError::bad_request("invalid_query", err.to_string());
        error::InternalError::from_response(err, api.error_response()).into()
    })
}

fn path_config() -> web::PathConfig {
    // A path that does not parse (`/v1/listings/abc`) names nothing that exists.
    web::PathConfig::default().error_handler(|err, _| {
        error::InternalError::from_response(err, ApiError::NotFound.error_response()).into()
    })
}

/// Turns any error response that is not yet a problem document (from actix itself: a wrong
/// method, a broken multipart body…) into one, so clients see a single error format.
async fn problem_fallback(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // Problems are ours already; so are the HTML pages for people (the console's refusals).
    let ours = content_type.starts_with("application/problem+json")
        || content_type.starts_with("text/html");
    if status.as_u16() < 400 || ours {
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let detail = to_bytes(res.into_body())
        .await
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let api = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(detail),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(detail),
        s if s.is_client_error() => ApiError::bad_request("bad_request", detail),
        _ => ApiError::Internal(detail),
    };
    Ok(ServiceResponse::new(req, api.error_response()))
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Store(#[from] souk_store::StoreError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("mail: {0}")]
    Mail(#[from] souk_worker::mailer::MailError),
    #[error("search index: {0}")]
    Search(#[from] souk_search::SearchError),
    #[error("{0}")]
    Files(String),
}

/// A started service: its address, its state, and a way to stop it. The server future
/// itself is returned beside it by `start`, for the caller to await or spawn.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    handle: ServerHandle,
    stop_worker: watch::Sender<bool>,
}

impl Running {
    /// Stops without draining (Ctrl-C, tests): stops accepting requests, finishes those in
    /// flight, stops the embedded worker.
    pub async fn stop(&self) {
        // Live streams end first (clients reconnect after their `retry`), or the server would
        // wait its whole shutdown timeout on them.
        self.state.events.close();
        let _ = self.stop_worker.send(true);
        self.handle.stop(true).await;
    }

    /// Stops the way a deployment wants (SIGTERM): `/readyz` answers 503 and every response
    /// closes its connection at once, live streams end with their retry hint; requests are
    /// still served for `shutdown_drain_secs`, for a load balancer to notice; then `stop`.
    pub async fn drain_and_stop(&self) {
        let drain = std::time::Duration::from_secs(self.state.config.shutdown_drain_secs);
        tracing::info!(?drain, "stopping: draining");
        self.state
            .draining
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.state.events.close();
        tokio::time::sleep(drain).await;
        // Stop accepting first, and give the connections already accepted a moment to reach
        // their worker: a connection accepted and then dropped at stop is reset, and a proxy
        // does not retry a POST. New connections wait in the socket's queue meanwhile (for
        // the next process, when the socket is a supervisor's).
        self.handle.pause().await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        tracing::info!("stopping: finishing requests in flight");
        self.stop().await;
    }
}

/// Opens what the service needs; the flag says whether the search index must be rebuilt.
pub fn build_state(config: Config) -> Result<(AppState, bool), StartError> {
    let pools =
        souk_store::open_pools(&config.database_url, config.db_pool_size, config.db_readers)?;
    let files = souk_store::files::Files::open(&config.files)
        .map_err(|e| StartError::Files(e.to_string()))?;
    let jwt = JwtKeys::load(
        config.jwt_secret.as_deref(),
        &config.data_dir,
        config.access_ttl_secs,
    )?;
    // Where the database's change feed ends: an index ahead of it was made from other data.
    let feed_end = {
        let mut conn = pools
            .read
            .get()
            .map_err(|e| souk_store::StoreError::Pool(e.to_string()))?;
        souk_store::feed::last_change(&mut conn)?
    };
    let (search, checkpoint) = crate::indexing::snapshot::open_or_restore(
        &config.index_dir,
        config.index_snapshots.as_deref(),
        feed_end,
    )?;
    let redis = config
        .redis_url
        .as_deref()
        .map(|url| RedisLink::new(url, &config.redis_prefix))
        .transpose()
        .map_err(|e| std::io::Error::other(format!("REDIS_URL: {e}")))?;
    let replica = match &config.database_replica_url {
        Some(url) => {
            let pool =
                souk_store::replication::open_replica_pool(url, &pools.write, config.db_pool_size)
                    .map_err(std::io::Error::other)?;
            Some(Arc::new(crate::replica::Replica::new(
                pool,
                std::time::Duration::from_secs(config.replica_max_lag_secs),
            )))
        }
        None => None,
    };
    let decode_slots = config.decode_slots;
    let password_nice = config.password_nice;
    let uploads = crate::upload_gate::UploadGate::new(
        config.upload_buffer_bytes,
        config.uploads_per_account,
        std::time::Duration::from_secs(config.upload_wait_secs),
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let generations = TokenGenerations::new(config.access_ttl_secs);
    // Sessions ended while this process was down may still have live tokens: known before
    // the first request.
    generations.load(&pools.read)?;
    let state = AppState {
        config: Arc::new(config),
        pool: pools.write,
        reader: pools.read,
        jwt: Arc::new(jwt),
        generations: Arc::new(generations),
        limiter: Arc::new(RateLimiter::new(redis.clone())),
        jobs_wake: Arc::new(Notify::new()),
        search: Arc::new(search),
        views: Arc::new(ViewCounter::new(redis.clone())),
        events: Arc::new(crate::live::EventHub::new(redis.clone())),
        seller_ratings: Default::default(),
        redis,
        passwords: Arc::new(BoundedWork::on_own_threads(
            cores,
            "souk_password_hashes_total",
            "souk-argon2",
            password_nice,
        )?),
        searches: Arc::new(BoundedWork::new(2 * cores, "souk_search_runs_total")),
        decodes: Arc::new(BoundedWork::new(decode_slots, "souk_image_decodes_total")),
        uploads,
        draining: Default::default(),
        replica,
        files,
    };
    Ok((state, checkpoint.is_none()))
}

/// Starts the service on `listener`. Must be called within a Tokio runtime.
pub async fn start(config: Config, listener: TcpListener) -> Result<(Running, Server), StartError> {
    telemetry::init();
    let (state, needs_rebuild) = tokio::task::spawn_blocking(move || build_state(config))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??;
    // A missing bucket or refused keys stop the start here, not the first upload.
    state
        .files
        .check()
        .await
        .map_err(|e| StartError::Files(e.to_string()))?;
    crate::views::link_photos_at(state.config.photos_public_url.as_deref());
    let (stop_worker, stop_rx) = watch::channel(false);
    if state.config.embedded_worker {
        let mailer = Mailer::from_config(&state.config.mail_config())?;
        let mut worker = Worker::new(
            state.pool.clone(),
            mailer,
            state.config.runner_config(),
            state.redis.clone(),
            state.files.clone(),
        );
        worker.wake = state.jobs_wake.clone();
        tokio::spawn(worker.run_until_shutdown(stop_rx));
    }
    tokio::spawn(state.views.clone().run_flusher(
        state.pool.clone(),
        std::time::Duration::from_millis(state.config.worker.views_flush_ms.max(10)),
        stop_worker.subscribe(),
    ));
    tokio::spawn(
        state
            .generations
            .clone()
            .follow(state.reader.clone(), stop_worker.subscribe()),
    );
    tokio::spawn(state.seller_ratings.clone().run(
        state.reader.clone(),
        std::time::Duration::from_secs(state.config.ratings_refresh_secs),
        stop_worker.subscribe(),
    ));
    tokio::spawn(state.events.clone().follow_redis());
    if let Some(replica) = state.replica.clone() {
        tokio::spawn(replica.watch(state.pool.clone(), stop_worker.subscribe()));
    }
    if let (Some(dir), secs @ 1..) = (
        state.config.index_snapshots.clone(),
        state.config.index_snapshot_every_secs,
    ) {
        tokio::spawn(crate::indexing::snapshot::publish_periodically(
            state.search.clone(),
            dir,
            std::time::Duration::from_secs(secs),
            stop_worker.subscribe(),
        ));
    }
    tokio::spawn(crate::indexing::rebuild::run(
        state.search.clone(),
        state.config.database_url.clone(),
        needs_rebuild,
        std::time::Duration::from_millis(state.config.index_poll_ms),
        stop_worker.subscribe(),
    ));
    let addr = listener.local_addr()?;
    let workers = state.config.http_workers;
    let data = web::Data::new(state.clone());
    // The served document names the host it came from ("Try it out" on any address calls that
    // address); the checked-in openapi.yaml keeps the embedded default.
    let mut openapi = crate::openapi::document();
    openapi.servers = Some(vec![utoipa::openapi::Server::new("/")]);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(query_config())
            .app_data(path_config())
            .app_data(
                web::PayloadConfig::default().limit(crate::imaging::MAX_UPLOAD_BYTES + 64 * 1024),
            )
            .wrap(from_fn(problem_fallback))
            .wrap(from_fn(crate::shutdown::close_when_draining))
            .wrap(from_fn(crate::http_cache::conditional_get))
            .wrap(from_fn(crate::security_headers::add))
            .wrap(from_fn(telemetry::track))
            // gzip, brotli or zstd as the client accepts; images are left as they are.
            .wrap(actix_web::middleware::Compress::default())
            .configure(routes)
            .configure(crate::console::configure)
            .route(
                "/openapi.json",
                web::get().to({
                    let doc = openapi.clone();
                    move || {
                        let doc = doc.clone();
                        async move { HttpResponse::Ok().json(doc) }
                    }
                }),
            )
            .service(
                SwaggerUi::new("/docs/{_:.*}").config(
                    utoipa_swagger_ui::Config::new(["/openapi.json"]).validator_url("none"),
                ),
            )
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::NotFound)
            }))
    })
    // Without it a compressed (chunked) response's last small write waits for the client's
    // delayed ACK on a kept-alive connection: +40 ms per response, seen in the load benchmark.
    .tcp_nodelay(true)
    .workers(workers)
    .listen(listener)?
    .shutdown_timeout(state.config.shutdown_timeout_secs)
    // The process stops the server itself (`crate::shutdown`): draining first on SIGTERM.
    .disable_signals()
    .run();
    tracing::info!(%addr, "souk-api listening");
    let handle = server.handle();
    Ok((
        Running {
            addr,
            state,
            handle,
            stop_worker,
        },
        server,
    ))
}
