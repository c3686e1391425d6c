//! `POST /api/v1/images/pull` (a pull that reports its progress as NDJSON, in the spirit of
//! Ollama's `/api/pull`) and `GET /api/v1/images` (the store's records, as
//! `localeval images --json` prints them).
//!
//! Only images the configuration allows are pulled: those in `images` (what a request may
//! name) and those catalog languages run on. Plain HTTP is used for loopback registries, and
//! for others only when the request asks for `insecure` and the registry is listed in
//! `insecure_registries` (`localeval pull --insecure` is the CLI's equivalent).
//!
//! Every check happens before the response starts, so refusals keep their status codes;
//! once streaming, the last line is `success` or `error`. The pull runs in its own task that
//! is aborted when the client goes away: what it downloaded stays in the store's `tmp/` to
//! be resumed, and nothing half done ever appears as an image (blobs and roots are renamed
//! into place only when complete, the record is written last). Pulls of one image, over
//! HTTP or from the CLI, are coalesced by the store's locks: each blob is downloaded once.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa::ToSchema;

use crate::image::{ImageRecord, ImageRef, PullEvent, PullOptions, PullProgress};
use crate::server::wire::ErrorBody;
use crate::server::{ApiError, ApiJson, Shared};

/// What to pull.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PullRequest {
    /// An image reference the server's configuration allows (`images`, or a catalog
    /// language's image), e.g. `python:3.12-slim` or `registry.lan:5000/py@sha256:…`.
    pub image: String,
    /// Plain HTTP to a registry off loopback; honoured only for registries listed in the
    /// configuration's `insecure_registries`.
    #[serde(default)]
    pub insecure: bool,
}

/// One line of a pull's progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PullLine {
    /// The first line: the pull started (it may wait for a pull of the same image).
    #[serde(rename = "pulling manifest")]
    PullingManifest {
        /// The normalized reference.
        image: String,
    },
    /// The manifest for this host's platform: its digest, layer count and compressed size
    /// (config and layers).
    Resolved {
        digest: String,
        layers: usize,
        total: u64,
    },
    /// Bytes of one blob downloaded so far (at most about ten lines a second per blob; the
    /// first says where a resumed download starts, the last has `completed == total`).
    Downloading {
        digest: String,
        total: u64,
        completed: u64,
    },
    /// A blob is in the store, verified (`cached`: it already was, or another pull fetched
    /// it).
    Downloaded { digest: String, cached: bool },
    /// The layers are being unpacked into the image's root.
    Unpacking { digest: String },
    /// The last line of a pull that worked.
    Success {
        /// The normalized reference.
        image: String,
        /// What the reference resolved to: the index's digest for a multi-platform image,
        /// else the manifest's.
        digest: String,
        /// The platform manifest's digest: the root's, in every result's provenance.
        root_digest: String,
        /// Compressed bytes (config and layers).
        size: u64,
        /// Bytes of regular files unpacked.
        unpacked_bytes: u64,
        /// The root was already unpacked.
        cached: bool,
    },
    /// The last line of a pull that failed.
    Error { error: String },
}

/// How often a blob's byte count is reported.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Turns the store's pull events into lines for the client.
struct Lines {
    tx: mpsc::UnboundedSender<PullLine>,
    /// When each blob's progress was last sent.
    last: Mutex<HashMap<String, Instant>>,
    /// The root was already unpacked (from the store's last event).
    cached: AtomicBool,
}

impl PullProgress for Lines {
    fn event(&self, event: &PullEvent) {
        let line = match event {
            PullEvent::Resolved {
                digest,
                layers,
                bytes,
            } => PullLine::Resolved {
                digest: digest.clone(),
                layers: *layers,
                total: *bytes,
            },
            PullEvent::BlobStart {
                digest,
                size,
                resumed_from,
            } => {
                let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
                last.insert(digest.clone(), Instant::now());
                PullLine::Downloading {
                    digest: digest.clone(),
                    total: *size,
                    completed: *resumed_from,
                }
            }
            PullEvent::BlobProgress { digest, done, size } => {
                let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let recent =
                    matches!(last.get(digest), Some(t) if now.duration_since(*t) < PROGRESS_EVERY);
                if recent && done != size {
                    return;
                }
                last.insert(digest.clone(), now);
                PullLine::Downloading {
                    digest: digest.clone(),
                    total: *size,
                    completed: *done,
                }
            }
            PullEvent::BlobDone { digest, cached } => {
                let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
                last.remove(digest);
                PullLine::Downloaded {
                    digest: digest.clone(),
                    cached: *cached,
                }
            }
            PullEvent::Unpacking { digest } => PullLine::Unpacking {
                digest: digest.clone(),
            },
            // The success line, with the record, follows.
            PullEvent::Done { cached, .. } => {
                self.cached.store(*cached, Ordering::Relaxed);
                return;
            }
        };
        // The receiver is gone only when the client is: the pull is being aborted.
        let _ = self.tx.send(line);
    }
}

/// Aborts the pull when the response body (and with it this guard) is dropped, which is
/// what happens when the client disconnects.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn normalized(reference: &str) -> Option<String> {
    ImageRef::parse(reference).ok().map(|r| r.to_string())
}

/// Whether the configuration allows pulling `reference` (already normalized): listed in
/// `images`, or the image of a catalog language.
fn allowed(state: &Shared, reference: &str) -> bool {
    let catalog = state
        .policy
        .catalog
        .languages()
        .map(|l| l.entry.rootfs.as_str())
        .filter(|r| *r != "host");
    state
        .config
        .images
        .iter()
        .map(String::as_str)
        .chain(catalog)
        .any(|a| normalized(a).as_deref() == Some(reference))
}

/// Pulls an image into the server's store, streaming progress as NDJSON.
#[utoipa::path(
    post,
    path = "/api/v1/images/pull",
    operation_id = "pull_image",
    request_body = PullRequest,
    responses(
        (status = 200, description = "One progress line after another, the last `success` or `error`.", content((PullLine = "application/x-ndjson"))),
        (status = 400, description = "Not an image reference, or a bad body", body = ErrorBody),
        (status = 403, description = "The configuration does not allow this image (`images`), or plain HTTP to this registry (`insecure_registries`)", body = ErrorBody),
        (status = 429, description = "Too many requests from this client", body = ErrorBody),
    )
)]
pub async fn pull(
    State(state): State<Shared>,
    ApiJson(request): ApiJson<PullRequest>,
) -> Result<Response, ApiError> {
    let reference =
        ImageRef::parse(&request.image).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let name = reference.to_string();
    if !allowed(&state, &name) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "image {:?} may not be pulled here: the server's configuration does not list \
                 {name:?} in `images` (nor does a catalog language run on it); add it there to \
                 allow it",
                request.image
            ),
        ));
    }
    let registry_listed = state
        .config
        .insecure_registries
        .iter()
        .any(|r| r == reference.registry() || r == reference.resolved_registry());
    if request.insecure && !reference.is_loopback() && !registry_listed {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "plain HTTP to registry {} is not allowed here: add it to \
                 `insecure_registries` in the server's configuration, or pull without \
                 `insecure`",
                reference.registry()
            ),
        ));
    }
    let Some(store) = state.image_store.clone() else {
        // Allowed images imply a store (the configuration opens one for them).
        return Err(ApiError::internal("no image store is configured"));
    };
    let options = PullOptions {
        insecure: request.insecure,
        ..Default::default()
    };

    let (tx, rx) = mpsc::unbounded_channel();
    let _ = tx.send(PullLine::PullingManifest {
        image: name.clone(),
    });
    let lines = Arc::new(Lines {
        tx: tx.clone(),
        last: Mutex::new(HashMap::new()),
        cached: AtomicBool::new(false),
    });
    let task = tokio::spawn(async move {
        let last = match store.pull(&name, &options, lines.clone()).await {
            Ok(record) => success(record, lines.cached.load(Ordering::Relaxed)),
            Err(e) => PullLine::Error {
                error: format!("pulling {name}: {e}"),
            },
        };
        let _ = tx.send(last);
    });
    let guard = AbortOnDrop(task.abort_handle());
    let body = futures_util::stream::unfold((rx, guard), |(mut rx, guard)| async move {
        let line = rx.recv().await?;
        let mut bytes = serde_json::to_vec(&line).unwrap_or_else(|_| b"{}".to_vec());
        bytes.push(b'\n');
        Some((Ok::<_, Infallible>(Bytes::from(bytes)), (rx, guard)))
    });
    let mut response = Body::from_stream(body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    Ok(response)
}

fn success(record: ImageRecord, cached: bool) -> PullLine {
    PullLine::Success {
        image: record.reference,
        digest: record.index_digest.unwrap_or_else(|| record.digest.clone()),
        root_digest: record.digest,
        size: record.size,
        unpacked_bytes: record.unpacked_bytes,
        cached,
    }
}

/// The images in the server's store (`[]` when the server has none), as
/// `localeval images --json` lists them.
#[utoipa::path(
    get,
    path = "/api/v1/images",
    operation_id = "list_images",
    responses((status = 200, description = "The store's records", body = Vec<ImageRecord>))
)]
pub async fn list(State(state): State<Shared>) -> Result<Json<Vec<ImageRecord>>, ApiError> {
    let Some(store) = state.image_store.clone() else {
        return Ok(Json(Vec::new()));
    };
    tokio::task::spawn_blocking(move || store.list())
        .await
        .map_err(|e| ApiError::internal(format!("listing the images: {e}")))?
        .map(Json)
        .map_err(|e| ApiError::internal(e.to_string()))
}
