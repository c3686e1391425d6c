//! OpenAI-compatible servers: `GET /v1/models`, `POST /v1/chat/completions` and
//! `POST /v1/completions`. Errors come as `{"error": {"message": ...}}`.
//!
//! Streaming (the default) asks `"stream": true` with `stream_options.include_usage` and
//! reads server-sent events: `data: {chunk}` with `choices[].delta.content` (chat) or
//! `choices[].text` (completions), ended by `data: [DONE]`; the token counts come from the
//! chunk that carries `usage` (vLLM: a last chunk with no choices; llama.cpp: the one with
//! the finish reason), and stay unknown when the server sends none. A stream that stops
//! before its finish reason is truncated; an error inside it (`data: {"error": ...}`,
//! vLLM's `{"object": "error"}`, llama.cpp's `error: {...}` line) is a mid-stream
//! failure; both are retried like any transient failure.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::{
    error_message, BackendConfig, BackendError, GenPrompt, GenRequest, Generation, Http, ModelInfo,
};

const HINT: &str = "; is the server running (e.g. `python -m llama_cpp.server`, vLLM), and is --url its base address without /v1?";

pub struct OpenAi {
    pub config: BackendConfig,
    http: Http,
}

#[derive(Deserialize)]
struct Models {
    #[serde(default)]
    data: Option<Vec<ModelEntry>>,
}

#[derive(Deserialize)]
struct ModelEntry {
    id: String,
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    message: Option<Message>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    content: Option<String>,
}

/// One event of a stream.
#[derive(Deserialize)]
struct StreamChunk {
    #[serde(default)]
    choices: Vec<StreamChoice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct StreamChoice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
}

impl OpenAi {
    pub fn new(config: BackendConfig) -> OpenAi {
        let http = Http::new(&config, Some(Duration::from_millis(config.timeout_ms)));
        OpenAi { config, http }
    }

    fn base(&self) -> String {
        let url = self.config.url.trim_end_matches('/');
        url.strip_suffix("/v1").unwrap_or(url).to_string()
    }

    fn err(&self, e: reqwest::Error) -> BackendError {
        BackendError::from_reqwest(
            &self.config.url,
            Duration::from_millis(self.config.timeout_ms),
            e,
            HINT,
        )
    }

    fn authorized(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.config.api_key {
            Some(key) => r.bearer_auth(key),
            None => r,
        }
    }

    fn client(&self) -> Result<&reqwest::Client, BackendError> {
        self.http.client()
    }

    pub async fn prepare(&self, model: &str) -> Result<ModelInfo, BackendError> {
        let r = self
            .authorized(self.client()?.get(format!("{}/v1/models", self.base())))
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
        let models: Models = serde_json::from_str(&text)
            .map_err(|e| BackendError::Malformed(format!("/v1/models: {e}")))?;
        let ids: Vec<String> = models
            .data
            .unwrap_or_default()
            .into_iter()
            .map(|m| m.id)
            .collect();
        if !ids.iter().any(|id| id == model) {
            return Err(BackendError::ModelMissing {
                model: model.to_string(),
                url: self.config.url.clone(),
                available: ids.join(", "),
                hint: "; pass one of the listed ids as --model (llama.cpp server: --model_alias)",
            });
        }
        Ok(ModelInfo {
            server_version: None,
            model: model.to_string(),
            pulled: false,
            details: None,
        })
    }

    pub async fn generate_once(&self, request: &GenRequest) -> Result<Generation, BackendError> {
        let p = &request.params;
        let mut body = json!({
            "model": request.model,
            "temperature": p.temperature,
            "max_tokens": p.max_tokens,
            "stream": self.config.stream,
        });
        if self.config.stream {
            body["stream_options"] = json!({"include_usage": true});
        }
        if let Some(top_p) = p.top_p {
            body["top_p"] = json!(top_p);
        }
        if let Some(seed) = request.seed() {
            body["seed"] = json!(seed);
        }
        let path = match &request.prompt {
            GenPrompt::Chat { system, user } => {
                let mut messages = Vec::new();
                if let Some(s) = system {
                    messages.push(json!({"role": "system", "content": s}));
                }
                messages.push(json!({"role": "user", "content": user}));
                body["messages"] = json!(messages);
                "/v1/chat/completions"
            }
            GenPrompt::Completion { prompt, stop } => {
                body["prompt"] = json!(prompt);
                if !stop.is_empty() {
                    // The API takes at most four stop sequences.
                    body["stop"] = json!(stop.iter().take(4).collect::<Vec<_>>());
                }
                "/v1/completions"
            }
        };
        let r = self
            .authorized(
                self.client()?
                    .post(format!("{}{path}", self.base()))
                    .json(&body),
            )
            .send()
            .await
            .map_err(|e| self.err(e))?;
        let status = r.status();
        if status.is_success() && self.config.stream {
            return self.read_stream(path, r).await;
        }
        let text = r.text().await.map_err(|e| self.err(e))?;
        if !status.is_success() {
            let message = error_message(&text);
            if status.as_u16() == 404 && message.contains("not found") {
                return Err(BackendError::ModelMissing {
                    model: request.model.clone(),
                    url: self.config.url.clone(),
                    available: "see /v1/models".into(),
                    hint: "",
                });
            }
            return Err(BackendError::Http {
                status: status.as_u16(),
                message,
            });
        }
        let c: Completion = serde_json::from_str(&text).map_err(|e| {
            BackendError::Malformed(format!(
                "{path}: {e}: {}",
                text.chars().take(200).collect::<String>()
            ))
        })?;
        let choice = c
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| BackendError::Malformed(format!("{path}: no choices")))?;
        let content = match (choice.message, choice.text) {
            (Some(m), _) => m.content.unwrap_or_default(),
            (None, Some(t)) => t,
            (None, None) => {
                return Err(BackendError::Malformed(format!(
                    "{path}: a choice without message or text"
                )))
            }
        };
        Ok(Generation {
            text: content,
            prompt_tokens: c.usage.as_ref().and_then(|u| u.prompt_tokens),
            completion_tokens: c.usage.as_ref().and_then(|u| u.completion_tokens),
            finish_reason: choice.finish_reason,
            elapsed_ms: 0,
            attempts: 1,
        })
    }
}

impl OpenAi {
    /// Reads a server-sent event stream to its end.
    async fn read_stream(
        &self,
        path: &str,
        response: reqwest::Response,
    ) -> Result<Generation, BackendError> {
        let mut text = String::new();
        let mut finish_reason = None;
        let mut usage: Option<Usage> = None;
        let mut events = Sse::new(response);
        let mut done = false;
        while let Some(event) = events.next().await {
            let event = event.map_err(|e| match self.err(e) {
                BackendError::Truncated(why) => BackendError::Truncated(format!(
                    "{path} stream cut after {} characters: {why}",
                    text.len()
                )),
                other => other,
            })?;
            let data = match event {
                SseEvent::Error(e) => {
                    let message = serde_json::from_str::<serde_json::Value>(&e)
                        .ok()
                        .and_then(|v| v["message"].as_str().map(str::to_string))
                        .unwrap_or(e);
                    return Err(BackendError::MidStream(format!("{path}: {message}")));
                }
                SseEvent::Data(d) => d,
            };
            if data == "[DONE]" {
                done = true;
                break;
            }
            let value: serde_json::Value = serde_json::from_str(&data).map_err(|e| {
                BackendError::Malformed(format!(
                    "{path} stream event {:?}: {e}",
                    data.chars().take(200).collect::<String>()
                ))
            })?;
            if value.get("error").is_some_and(|e| !e.is_null()) || value["object"] == "error" {
                let message = if value["object"] == "error" {
                    value["message"].as_str().unwrap_or(&data).to_string()
                } else {
                    error_message(&data)
                };
                return Err(BackendError::MidStream(format!("{path}: {message}")));
            }
            let chunk: StreamChunk = serde_json::from_value(value).map_err(|e| {
                BackendError::Malformed(format!(
                    "{path} stream event {:?}: {e}",
                    data.chars().take(200).collect::<String>()
                ))
            })?;
            if chunk.usage.is_some() {
                usage = chunk.usage;
            }
            // n = 1: one choice (index 0) per chunk, or none (the usage chunk).
            if let Some(choice) = chunk.choices.into_iter().next() {
                match (choice.delta, choice.text) {
                    (Some(d), _) => text.push_str(&d.content.unwrap_or_default()),
                    (None, Some(t)) => text.push_str(&t),
                    (None, None) => {}
                }
                if choice.finish_reason.is_some() {
                    finish_reason = choice.finish_reason;
                }
            }
        }
        // A clean end after the finish reason is a whole answer even without `[DONE]`
        // (some servers leave it out); without a finish reason it was cut short.
        if !done && finish_reason.is_none() {
            return Err(BackendError::Truncated(format!(
                "{path} stream ended after {} characters without a finish reason or [DONE]",
                text.len()
            )));
        }
        Ok(Generation {
            text,
            prompt_tokens: usage.as_ref().and_then(|u| u.prompt_tokens),
            completion_tokens: usage.as_ref().and_then(|u| u.completion_tokens),
            finish_reason,
            elapsed_ms: 0,
            attempts: 1,
        })
    }
}

/// What a server-sent event carries.
#[derive(Debug, PartialEq)]
enum SseEvent {
    /// The `data:` lines of one event, joined by newlines.
    Data(String),
    /// llama.cpp's server reports failures in a stream as an `error: {json}` line, a field
    /// the SSE format does not define (so general SSE parsers drop it).
    Error(String),
}

/// Events of a `text/event-stream` body as they arrive (the WHATWG format: lines of
/// `field: value`, `:` comments, a blank line ends an event; `\r\n` or `\n`).
struct Sse {
    response: reqwest::Response,
    buffer: Vec<u8>,
    data: Vec<String>,
    ended: bool,
}

impl Sse {
    fn new(response: reqwest::Response) -> Sse {
        Sse {
            response,
            buffer: Vec::new(),
            data: Vec::new(),
            ended: false,
        }
    }

    /// The event a line completes, if any.
    fn line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            return (!self.data.is_empty())
                .then(|| SseEvent::Data(self.data.split_off(0).join("\n")));
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => self.data.push(value.to_string()),
            "error" => return Some(SseEvent::Error(value.to_string())),
            // Comments (`: ping`), `event:`, `id:`, `retry:`: nothing to read.
            _ => {}
        }
        None
    }

    async fn next(&mut self) -> Option<reqwest::Result<SseEvent>> {
        loop {
            while let Some(pos) = self.buffer.iter().position(|&b| b == b'\n') {
                let raw: Vec<u8> = self.buffer.drain(..=pos).collect();
                let line = String::from_utf8_lossy(&raw);
                let line = line.trim_end_matches(['\n', '\r']).to_string();
                if let Some(event) = self.line(&line) {
                    return Some(Ok(event));
                }
            }
            if self.ended {
                // A last event without its blank line still counts.
                let rest = String::from_utf8_lossy(&std::mem::take(&mut self.buffer)).to_string();
                if !rest.is_empty() {
                    if let Some(event) = self.line(rest.trim_end_matches('\r')) {
                        return Some(Ok(event));
                    }
                }
                return self.line("").map(Ok);
            }
            match self.response.chunk().await {
                Ok(Some(bytes)) => self.buffer.extend_from_slice(&bytes),
                Ok(None) => self.ended = true,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}
