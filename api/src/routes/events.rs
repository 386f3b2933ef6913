//! `GET /v1/me/events`: the signed-in user's live stream (server-sent events). Each event has
//! the user's next number as its `id`; a client that reconnects with `Last-Event-ID` (the
//! header EventSource sends by itself, or `?last_event_id=`) gets every event after it from
//! the database, then live ones. Without it the stream starts at the present. A comment line
//! every `SOUK_EVENTS_HEARTBEAT_SECS` keeps proxies from closing an idle stream, and a stream
//! whose client went away ends at the next one.

use std::collections::VecDeque;
use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_store::events::{self, UserEvent};
use souk_store::tokens::{self, TokenPurpose};
use utoipa::{IntoParams, ToSchema};

use crate::auth::secret::token_hash;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::live::StreamSlot;
use crate::state::AppState;

/// Events read from the database at once.
const BATCH: i64 = 200;
/// Milliseconds the client waits before reconnecting (sent first, as `retry:`).
const RETRY_MS: u64 = 3000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// The last event id the client received, where it cannot send `Last-Event-ID`.
    pub last_event_id: Option<String>,
    /// A stream ticket (`POST /v1/me/events/ticket`) instead of a bearer token, for clients
    /// that cannot set headers (EventSource).
    pub ticket: Option<String>,
}

/// Seconds a stream ticket can be used in.
const TICKET_SECS: i64 = 60;

#[derive(Debug, Serialize, ToSchema)]
pub struct StreamTicket {
    /// Pass as `ticket` to `GET /v1/me/events`, once, within `expires_in` seconds.
    pub ticket: String,
    pub expires_in: i64,
}

/// A single-use ticket to open the live stream without a bearer token (browsers' EventSource
/// cannot send one). The stream it opens lives as an access token issued now would.
#[utoipa::path(tag = "events", security(("bearer" = [])),
    responses((status = 201, body = StreamTicket)))]
#[post("/v1/me/events/ticket")]
pub async fn stream_ticket(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let expires = souk_store::now() + chrono::Duration::seconds(TICKET_SECS);
    let ticket = state
        .tx(move |c| {
            crate::auth::ensure_not_banned(c, user.id)?;
            Ok(tokens::mint(
                c,
                user.id,
                TokenPurpose::EventsTicket,
                &user.generation.to_string(),
                expires,
            )?)
        })
        .await?;
    Ok(HttpResponse::Created().json(StreamTicket {
        ticket,
        expires_in: TICKET_SECS,
    }))
}

/// The signed-in user of a stream: by its bearer token, or by a ticket, used up here.
async fn stream_user(
    state: &AppState,
    bearer: Result<AuthUser, ApiError>,
    ticket: Option<&str>,
) -> ApiResult<AuthUser> {
    let Some(ticket) = ticket else {
        return bearer;
    };
    let refused = || ApiError::Unauthorized {
        code: "invalid_ticket",
        detail: "this stream ticket is invalid, expired or already used; ask for another",
    };
    let ticket = ticket.trim();
    let generation: i64 = ticket
        .split_once('.')
        .and_then(|(g, _)| g.parse().ok())
        .filter(|_| ticket.len() <= 128)
        .ok_or_else(refused)?;
    let hash = token_hash(ticket);
    let id = state
        .tx(move |c| {
            Ok(tokens::consume_one_time(
                c,
                TokenPurpose::EventsTicket,
                &hash,
            )?)
        })
        .await?
        .ok_or_else(refused)?;
    let user = AuthUser {
        id,
        generation,
        expires_at: chrono::Utc::now().timestamp() + state.config.access_ttl_secs,
    };
    if !user.still_valid(state) {
        return Err(ApiError::Unauthorized {
            code: "token_revoked",
            detail: "this session was ended; sign in again",
        });
    }
    Ok(user)
}

/// Where to resume: the header first, then the query; digits only.
fn resume_from(req: &HttpRequest, query: &EventsQuery) -> ApiResult<Option<i64>> {
    let header = req
        .headers()
        .get("last-event-id")
        .map(|v| v.to_str().unwrap_or("?").to_string());
    let Some(raw) = header.or_else(|| query.last_event_id.clone()) else {
        return Ok(None);
    };
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if raw.len() > 18 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request(
            "invalid_last_event_id",
            "Last-Event-ID is the id of an event this stream sent: digits only",
        ));
    }
    Ok(Some(raw.parse().expect("checked digits")))
}

fn frame(e: &UserEvent) -> Bytes {
    crate::live::frame(e.seq, &e.kind, &e.payload)
}

struct Stream {
    state: AppState,
    /// The token the stream was opened with: the stream ends when it expires or its session
    /// is ended (a ban, a deletion, a password reset), checked before every read.
    auth: AuthUser,
    user: i64,
    last: i64,
    pending: VecDeque<Bytes>,
    closing: tokio::sync::watch::Receiver<bool>,
    heartbeat: Duration,
    /// The stream's place, with its user's wake-up channel.
    slot: StreamSlot,
    /// The database holds events this stream may not have sent (at the start, after a
    /// heartbeat, a wake-up without its events, or a gap in those it carried).
    behind: bool,
    /// The wake-ups without events seen so far (`Recent::plain`).
    plain_seen: u64,
}

enum Woke {
    Mine,
    Heartbeat,
    Closing,
}

impl Stream {
    async fn wait(&mut self) -> Woke {
        let heartbeat = tokio::time::sleep(self.heartbeat);
        tokio::pin!(heartbeat);
        tokio::select! {
            got = self.slot.wake.changed() => match got {
                Ok(()) => Woke::Mine,
                Err(_) => Woke::Closing,
            },
            _ = &mut heartbeat => Woke::Heartbeat,
            _ = self.closing.changed() => Woke::Closing,
        }
    }

    /// Takes the events a wake-up carried that follow `last` without a gap; anything else
    /// (a gap, a wake-up without events) leaves the stream `behind`, to read the database.
    fn take_carried(&mut self) {
        let recent = self.slot.wake.borrow_and_update();
        if recent.plain != self.plain_seen {
            self.plain_seen = recent.plain;
            self.behind = true;
        }
        for (seq, framed) in recent.events.iter() {
            if *seq <= self.last {
                continue;
            }
            if *seq != self.last + 1 {
                self.behind = true;
                break;
            }
            self.pending.push_back(framed.clone());
            self.last = *seq;
        }
    }

    /// The next piece of the stream, `None` when it ends.
    async fn next(mut self) -> Option<(Result<Bytes, actix_web::Error>, Stream)> {
        loop {
            if *self.closing.borrow() || !self.auth.still_valid(&self.state) {
                return None;
            }
            if let Some(b) = self.pending.pop_front() {
                return Some((Ok(b), self));
            }
            if self.behind {
                let (user, last) = (self.user, self.last);
                match self
                    .state
                    .db(move |c| Ok(events::after(c, user, last, BATCH)?))
                    .await
                {
                    Ok(found) => {
                        // A full batch may have more behind it.
                        self.behind = found.len() as i64 == BATCH;
                        for e in &found {
                            self.pending.push_back(frame(e));
                        }
                        self.last = found.last().map_or(last, |e| e.seq);
                        if !found.is_empty() {
                            continue;
                        }
                    }
                    // The database is away: end; the client reconnects after `retry`.
                    Err(_) => return None,
                }
            }
            match self.wait().await {
                Woke::Mine => self.take_carried(),
                Woke::Heartbeat => {
                    // A wake-up lost on the way (Redis down, a worker without Redis) costs
                    // at most a heartbeat.
                    self.behind = true;
                    return Some((Ok(Bytes::from_static(b": heartbeat\n\n")), self));
                }
                Woke::Closing => return None,
            }
        }
    }
}

/// The signed-in user's live events (server-sent events, `text/event-stream`): `message.created`
/// for now. Resume with `Last-Event-ID` (or `last_event_id`); at most 5 streams per account.
/// A bearer token, or a `ticket` where the client cannot send headers.
#[utoipa::path(tag = "events", security(("bearer" = [])),
    params(EventsQuery, ("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received (EventSource sends it when it reconnects)")),
    responses((status = 200, content_type = "text/event-stream",
                description = "`id: <n>`, `event: <kind>`, `data: <JSON>` per event; `: heartbeat` comments", body = String),
              (status = 400, description = "invalid_last_event_id", body = crate::error::Problem),
              (status = 401, description = "missing, invalid or revoked token; invalid_ticket", body = crate::error::Problem),
              (status = 429, description = "too many streams open for this account", body = crate::error::Problem)))]
#[get("/v1/me/events")]
pub async fn events_stream(
    state: web::Data<AppState>,
    bearer: Result<AuthUser, ApiError>,
    req: HttpRequest,
    query: web::Query<EventsQuery>,
) -> ApiResult<HttpResponse> {
    let resume = resume_from(&req, &query)?;
    let user = stream_user(&state, bearer, query.ticket.as_deref()).await?;
    let slot = state
        .events
        .open_stream(user.id)
        .ok_or(ApiError::TooManyRequests {
            retry_after_secs: 30,
        })?;
    // The slot's wake-up channel counts from before the first read: an event committed in
    // between wakes it.
    let user_id = user.id;
    let last = match resume {
        Some(n) => n,
        None => state.db(move |c| Ok(events::latest(c, user_id)?)).await?,
    };
    let plain_seen = slot.wake.borrow().plain;
    let stream = Stream {
        state: state.get_ref().clone(),
        auth: user,
        user: user.id,
        last,
        pending: VecDeque::from([Bytes::from(format!("retry: {RETRY_MS}\n\n"))]),
        closing: state.events.closing(),
        heartbeat: Duration::from_secs(state.config.events_heartbeat_secs),
        slot,
        behind: true,
        plain_seen,
    };
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-store"))
        // Not compressed (the encoder would hold events back) nor buffered by nginx.
        .insert_header(("content-encoding", "identity"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(futures_util::stream::unfold(stream, Stream::next)))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(stream_ticket).service(events_stream);
}
