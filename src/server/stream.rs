//! `POST /api/v1/execute/stream`: the same execution, with stdout and stderr delivered as
//! they are produced, ending with the full result. Server-sent events when the client
//! accepts `text/event-stream`, otherwise newline-delimited JSON.
//!
//! Every check (bad request, rate limit, full queue) happens before the response starts,
//! so refusals keep their status codes; once streaming, the last event is the result.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use utoipa::ToSchema;

use crate::jail::Stream;
use crate::server::routes::execute::{admit, run_admitted};
use crate::server::wire::{ErrorBody, ExecuteRequest, ExecuteResponse};
use crate::server::{ApiError, ApiJson, Shared};

/// One event of an execution stream.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum StreamEvent {
    /// A chunk of standard output, as text (invalid UTF-8 replaced by U+FFFD).
    Stdout {
        data: String,
    },
    Stderr {
        data: String,
    },
    /// The full result: always the last event of a stream that ran.
    Result {
        result: Box<ExecuteResponse>,
    },
    /// The execution could not finish (the server failed); the last event.
    Error {
        error: String,
    },
}

impl StreamEvent {
    fn name(&self) -> &'static str {
        match self {
            StreamEvent::Stdout { .. } => "stdout",
            StreamEvent::Stderr { .. } => "stderr",
            StreamEvent::Result { .. } => "result",
            StreamEvent::Error { .. } => "error",
        }
    }
}

/// Turns byte chunks into text without splitting a UTF-8 sequence across two events: an
/// incomplete sequence at the end of a chunk waits for the next chunk.
#[derive(Default)]
pub struct Utf8Chunker {
    pending: Vec<u8>,
}

impl Utf8Chunker {
    pub fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let keep_from = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => {
                // Invalid somewhere: emit it lossily but keep a trailing incomplete sequence.
                let tail = incomplete_tail(&self.pending);
                self.pending.len() - tail
            }
        };
        let rest = self.pending.split_off(keep_from);
        let text = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending = rest;
        text
    }

    pub fn finish(&mut self) -> String {
        let text = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        text
    }
}

/// Length of an incomplete UTF-8 sequence at the end of `bytes` (0 to 3).
fn incomplete_tail(bytes: &[u8]) -> usize {
    for back in 1..=3.min(bytes.len()) {
        let b = bytes[bytes.len() - back];
        if b & 0b1100_0000 == 0b1000_0000 {
            continue;
        }
        let needed = if b >= 0xF0 {
            4
        } else if b >= 0xE0 {
            3
        } else if b >= 0xC0 {
            2
        } else {
            1
        };
        return if needed > back { back } else { 0 };
    }
    0
}

fn wants_sse(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"))
}

/// Runs a program and streams its output (SSE or NDJSON), ending with the full result.
#[utoipa::path(
    post,
    path = "/api/v1/execute/stream",
    request_body = ExecuteRequest,
    responses(
        (status = 200, description = "A stream of events: stdout/stderr chunks, then the result. Server-sent events (each event's data a StreamEvent) with `Accept: text/event-stream`, otherwise one StreamEvent per line.",
            content(
                (StreamEvent = "application/x-ndjson"),
                (String = "text/event-stream"),
            )
        ),
        (status = 400, description = "Bad request", body = ErrorBody),
        (status = 429, description = "Too many requests from this client", body = ErrorBody),
        (status = 503, description = "Every slot and the queue are taken; see Retry-After", body = ErrorBody),
    )
)]
pub async fn execute_stream(
    State(state): State<Shared>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ExecuteRequest>,
) -> Result<Response, ApiError> {
    let admitted = admit(&state, &request).await?;
    let (chunks_tx, mut chunks_rx) = mpsc::unbounded_channel::<(Stream, Vec<u8>)>();
    let (events_tx, events_rx) = mpsc::unbounded_channel::<StreamEvent>();
    let client = client.ip().to_string();

    // Chunks become text events in order; the result follows the last chunk because the
    // execution (and with it every chunk) has ended before it is sent.
    let forward = events_tx.clone();
    let forwarder = tokio::spawn(async move {
        let (mut out, mut err) = (Utf8Chunker::default(), Utf8Chunker::default());
        while let Some((stream, bytes)) = chunks_rx.recv().await {
            let event = match stream {
                Stream::Stdout => StreamEvent::Stdout {
                    data: out.push(&bytes),
                },
                Stream::Stderr => StreamEvent::Stderr {
                    data: err.push(&bytes),
                },
            };
            if matches!(&event, StreamEvent::Stdout { data } | StreamEvent::Stderr { data } if data.is_empty())
            {
                continue;
            }
            let _ = forward.send(event);
        }
        for (tail, make) in [
            (
                out.finish(),
                (|data| StreamEvent::Stdout { data }) as fn(String) -> StreamEvent,
            ),
            (err.finish(), |data| StreamEvent::Stderr { data }),
        ] {
            if !tail.is_empty() {
                let _ = forward.send(make(tail));
            }
        }
    });
    let run_state = state.clone();
    tokio::spawn(async move {
        let result = run_admitted(
            &run_state,
            admitted,
            "/api/v1/execute/stream",
            &client,
            Some(chunks_tx),
        )
        .await;
        // Every sender of chunks is gone now: the forwarder drains and ends.
        let _ = forwarder.await;
        let last = match result {
            Ok(response) => StreamEvent::Result {
                result: Box::new(response),
            },
            Err(e) => StreamEvent::Error { error: e.message },
        };
        let _ = events_tx.send(last);
    });

    let events = UnboundedReceiverStream::new(events_rx);
    if wants_sse(&headers) {
        let sse = events.map(|event| {
            let data = serde_json::to_string(&event).unwrap_or_else(|_| "{}".into());
            Ok::<_, Infallible>(Event::default().event(event.name()).data(data))
        });
        Ok(Sse::new(sse).into_response())
    } else {
        let lines = events.map(|event| {
            let mut line = serde_json::to_vec(&event).unwrap_or_else(|_| b"{}".to_vec());
            line.push(b'\n');
            Ok::<_, Infallible>(Bytes::from(line))
        });
        let mut response = Body::from_stream(lines).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        );
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_sequences_split_across_chunks_are_joined() {
        let mut c = Utf8Chunker::default();
        let snowman = "☃".as_bytes();
        assert_eq!(c.push(b"a"), "a");
        assert_eq!(c.push(&snowman[..1]), "");
        assert_eq!(c.push(&snowman[1..]), "☃");
        assert_eq!(c.push(b"\xffb"), "\u{fffd}b");
        assert_eq!(c.push(&[b'x', snowman[0], snowman[1]]), "x");
        assert_eq!(c.finish(), "\u{fffd}");
    }

    #[test]
    fn events_are_tagged_json() {
        let e = StreamEvent::Stdout { data: "hi".into() };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"event":"stdout","data":"hi"}"#
        );
    }
}
