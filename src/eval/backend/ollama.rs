//! Ollama's native API (docs/MODEL-BACKENDS.md): `GET /`, `/api/version`, `/api/tags`,
//! `/api/pull` (NDJSON progress), `/api/chat` and `/api/generate` (NDJSON streams ending in
//! a `done: true` object; an `{"error": ...}` line mid-stream is a failure).

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::{
    error_message, BackendConfig, BackendError, GenPrompt, GenRequest, Generation, Http, ModelInfo,
    PullProgress,
};

const HINT: &str = "; is `ollama serve` running, and does OLLAMA_HOST point at it?";

pub struct Ollama {
    pub config: BackendConfig,
    http: Http,
    /// Without an overall timeout: a pull can take far longer than one generation.
    pull_http: Http,
}

#[derive(Deserialize)]
struct Tags {
    models: Vec<TagModel>,
}

#[derive(Deserialize)]
struct TagModel {
    name: String,
    #[serde(default)]
    details: Option<serde_json::Value>,
}

/// One line of a chat or generate stream.
#[derive(Deserialize, Default)]
struct Chunk {
    #[serde(default)]
    message: Option<ChunkMessage>,
    #[serde(default)]
    response: Option<String>,
    #[serde(default)]
    done: bool,
    #[serde(default)]
    done_reason: Option<String>,
    #[serde(default)]
    prompt_eval_count: Option<u64>,
    #[serde(default)]
    eval_count: Option<u64>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct ChunkMessage {
    #[serde(default)]
    content: String,
}

#[derive(Deserialize)]
struct PullLine {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    completed: Option<u64>,
    #[serde(default)]
    total: Option<u64>,
    #[serde(default)]
    error: Option<String>,
}

/// Whether a tag list name is the model asked for (`llama3.2` is `llama3.2:latest`).
fn same_model(listed: &str, wanted: &str) -> bool {
    let full = |n: &str| {
        if n.rsplit('/').next().unwrap_or(n).contains(':') {
            n.to_string()
        } else {
            format!("{n}:latest")
        }
    };
    full(listed) == full(wanted)
}

impl Ollama {
    pub fn new(config: BackendConfig) -> Ollama {
        let http = Http::new(&config, Some(Duration::from_millis(config.timeout_ms)));
        let pull_http = Http::new(&config, None);
        Ollama {
            config,
            http,
            pull_http,
        }
    }

    fn err(&self, e: reqwest::Error) -> BackendError {
        BackendError::from_reqwest(
            &self.config.url,
            Duration::from_millis(self.config.timeout_ms),
            e,
            HINT,
        )
    }

    async fn get_text(&self, path: &str) -> Result<String, BackendError> {
        let r = self
            .http
            .client()?
            .get(format!("{}{path}", self.config.url))
            .send()
            .await
            .map_err(|e| self.err(e))?;
        let status = r.status();
        let text = r.text().await.map_err(|e| self.err(e))?;
        if !status.is_success() {
            return Err(BackendError::Http {
                status: status.as_u16(),
                message: error_message(&text),
            });
        }
        Ok(text)
    }

    async fn tags(&self) -> Result<Vec<TagModel>, BackendError> {
        let text = self.get_text("/api/tags").await?;
        let tags: Tags = serde_json::from_str(&text)
            .map_err(|e| BackendError::Malformed(format!("/api/tags: {e}")))?;
        Ok(tags.models)
    }

    pub async fn prepare(
        &self,
        model: &str,
        pull: bool,
        on_progress: &(dyn Fn(PullProgress) + Send + Sync),
    ) -> Result<ModelInfo, BackendError> {
        let root = self.get_text("/").await?;
        if !root.contains("Ollama is running") {
            return Err(BackendError::Unreachable {
                url: self.config.url.clone(),
                why: format!(
                    "GET / answered {:?}, not \"Ollama is running\"",
                    root.chars().take(80).collect::<String>()
                ),
                hint: HINT,
            });
        }
        let version =
            serde_json::from_str::<serde_json::Value>(&self.get_text("/api/version").await?)
                .ok()
                .and_then(|v| v["version"].as_str().map(str::to_string));
        let find = |tags: &[TagModel]| {
            tags.iter()
                .find(|t| same_model(&t.name, model))
                .map(|t| t.details.clone())
        };
        let tags = self.tags().await?;
        if let Some(details) = find(&tags) {
            return Ok(ModelInfo {
                server_version: version,
                model: model.to_string(),
                pulled: false,
                details,
            });
        }
        if !pull {
            return Err(BackendError::ModelMissing {
                model: model.to_string(),
                url: self.config.url.clone(),
                available: tags
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                hint: "; run `ollama pull MODEL`, or let localeval pull it (without --no-pull)",
            });
        }
        self.pull(model, on_progress).await?;
        let tags = self.tags().await?;
        match find(&tags) {
            Some(details) => Ok(ModelInfo {
                server_version: version,
                model: model.to_string(),
                pulled: true,
                details,
            }),
            None => Err(BackendError::PullFailed {
                model: model.to_string(),
                why: "the pull said success but the model is not listed by /api/tags".into(),
            }),
        }
    }

    async fn pull(
        &self,
        model: &str,
        on_progress: &(dyn Fn(PullProgress) + Send + Sync),
    ) -> Result<(), BackendError> {
        let failed = |why: String| BackendError::PullFailed {
            model: model.to_string(),
            why,
        };
        let r = self
            .pull_http
            .client()?
            .post(format!("{}/api/pull", self.config.url))
            .json(&json!({"model": model, "stream": true}))
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let status = r.status();
        if !status.is_success() {
            let body = r.text().await.unwrap_or_default();
            return Err(failed(format!("HTTP {status}: {}", error_message(&body))));
        }
        let mut success = false;
        let mut lines = NdJson::new(r);
        while let Some(line) = lines.next().await {
            let line = line.map_err(|e| failed(e.to_string()))?;
            let p: PullLine = serde_json::from_str(&line)
                .map_err(|e| failed(format!("unexpected progress line {line:?}: {e}")))?;
            if let Some(error) = p.error {
                return Err(failed(error));
            }
            let status = p.status.unwrap_or_default();
            success = status == "success";
            on_progress(PullProgress {
                status,
                completed: p.completed,
                total: p.total,
            });
        }
        if !success {
            return Err(failed(
                "the progress stream ended without \"success\"".into(),
            ));
        }
        Ok(())
    }

    pub async fn generate_once(&self, request: &GenRequest) -> Result<Generation, BackendError> {
        let p = &request.params;
        let mut options = json!({"temperature": p.temperature, "num_predict": p.max_tokens});
        if let Some(top_p) = p.top_p {
            options["top_p"] = json!(top_p);
        }
        if let Some(seed) = request.seed() {
            options["seed"] = json!(seed);
        }
        let (path, body) = match &request.prompt {
            GenPrompt::Chat { system, user } => {
                let mut messages = Vec::new();
                if let Some(s) = system {
                    messages.push(json!({"role": "system", "content": s}));
                }
                messages.push(json!({"role": "user", "content": user}));
                (
                    "/api/chat",
                    json!({"model": request.model, "messages": messages, "stream": self.config.stream, "options": options}),
                )
            }
            GenPrompt::Completion { prompt, stop } => {
                if !stop.is_empty() {
                    options["stop"] = json!(stop);
                }
                // raw: the prompt is code to continue, not a message for the chat template.
                (
                    "/api/generate",
                    json!({"model": request.model, "prompt": prompt, "raw": true, "stream": self.config.stream, "options": options}),
                )
            }
        };
        // Without streaming the answer is one JSON object: the last (and only) line.
        let r = self
            .http
            .client()?
            .post(format!("{}{path}", self.config.url))
            .json(&body)
            .send()
            .await
            .map_err(|e| self.err(e))?;
        let status = r.status();
        if !status.is_success() {
            let body = r.text().await.unwrap_or_default();
            let message = error_message(&body);
            if status.as_u16() == 404 && message.contains("not found") {
                return Err(BackendError::ModelMissing {
                    model: request.model.clone(),
                    url: self.config.url.clone(),
                    available: "see /api/tags".into(),
                    hint: "; run `ollama pull MODEL`",
                });
            }
            return Err(BackendError::Http {
                status: status.as_u16(),
                message,
            });
        }
        let mut text = String::new();
        let mut lines = NdJson::new(r);
        while let Some(line) = lines.next().await {
            let line = line.map_err(|e| self.err(e))?;
            let chunk: Chunk = serde_json::from_str(&line)
                .map_err(|e| BackendError::Malformed(format!("{path} line {line:?}: {e}")))?;
            if let Some(error) = chunk.error {
                return Err(BackendError::MidStream(error));
            }
            match (&chunk.message, &chunk.response) {
                (Some(m), _) => text.push_str(&m.content),
                (None, Some(r)) => text.push_str(r),
                (None, None) => {
                    return Err(BackendError::Malformed(format!(
                        "{path} line without message or response: {line:?}"
                    )))
                }
            }
            if chunk.done {
                return Ok(Generation {
                    text,
                    prompt_tokens: chunk.prompt_eval_count,
                    completion_tokens: chunk.eval_count,
                    finish_reason: chunk.done_reason,
                    elapsed_ms: 0,
                    attempts: 1,
                });
            }
        }
        Err(BackendError::Truncated(format!(
            "{path} stream ended after {} characters without a done object",
            text.len()
        )))
    }
}

/// Lines of an NDJSON response body, as they arrive.
pub(crate) struct NdJson {
    response: reqwest::Response,
    buffer: Vec<u8>,
    ended: bool,
}

impl NdJson {
    pub(crate) fn new(response: reqwest::Response) -> NdJson {
        NdJson {
            response,
            buffer: Vec::new(),
            ended: false,
        }
    }

    /// The next non-empty line; `None` at the end of the body.
    pub(crate) async fn next(&mut self) -> Option<reqwest::Result<String>> {
        loop {
            if let Some(pos) = self.buffer.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=pos).collect();
                let line = String::from_utf8_lossy(&line).trim().to_string();
                if line.is_empty() {
                    continue;
                }
                return Some(Ok(line));
            }
            if self.ended {
                let rest = String::from_utf8_lossy(&std::mem::take(&mut self.buffer))
                    .trim()
                    .to_string();
                return (!rest.is_empty()).then_some(Ok(rest));
            }
            match self.response.chunk().await {
                Ok(Some(bytes)) => self.buffer.extend_from_slice(&bytes),
                Ok(None) => self.ended = true,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}
