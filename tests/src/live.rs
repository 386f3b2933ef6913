//! A live event stream (`GET /v1/me/events`) as a test client reads it.

use std::time::Duration;

use serde_json::Value;

use crate::TestApp;

/// An open stream and what has been read of it.
pub struct Events {
    res: reqwest::Response,
    buffer: String,
}

/// One event as sent: id, kind, data.
#[derive(Debug)]
pub struct Event {
    pub id: i64,
    pub kind: String,
    pub data: Value,
}

impl Events {
    pub async fn open(app: &TestApp, token: &str, last_event_id: Option<i64>) -> Events {
        let mut req = app.client.get(app.url("/v1/me/events")).bearer_auth(token);
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let res = req.send().await.expect("stream");
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        Events {
            res,
            buffer: String::new(),
        }
    }

    /// A stream opened some other way (a ticket, say).
    pub fn from_response(res: reqwest::Response) -> Events {
        Events {
            res,
            buffer: String::new(),
        }
    }

    /// Whether the server ends the stream within `wait` (what it sends meanwhile is read).
    pub async fn ends_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.res.chunk()).await {
                Err(_) => return false,
                Ok(Ok(Some(_))) => {}
                Ok(_) => return true,
            }
        }
    }

    /// The next event (skipping `retry:` and comment blocks), or `None` within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(str::to_string)
                };
                if let (Some(id), Some(kind), Some(data)) =
                    (field("id: "), field("event: "), field("data: "))
                {
                    return Some(Event {
                        id: id.parse().expect("numeric id"),
                        kind,
                        data: serde_json::from_str(&data).expect("JSON data"),
                    });
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.res.chunk())
                .await
                .ok()?;
            let chunk = chunk.expect("stream readable")?;
            self.buffer
                .push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        }
    }
}
