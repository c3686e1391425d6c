//! Test doubles of model servers: real HTTP servers on 127.0.0.1 that answer like Ollama
//! (docs/MODEL-BACKENDS.md) and like an OpenAI-compatible server, with scripted
//! answers (correct, wrong, slow, malformed, truncated, failing).

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

/// What the scripted model does with one request.
#[derive(Clone, Debug)]
pub enum Answer {
    /// Streams this text, then a `done` object.
    Text(String),
    /// Waits, then streams the text.
    Slow(Duration, String),
    /// A line that is not JSON, then the end of the stream.
    Malformed,
    /// Some chunks of the text and no `done` object.
    Truncated(String),
    /// An error status before any byte.
    Status(u16, String),
    /// Some chunks, then an `{"error": ...}` line (status already 200); for OpenAI
    /// streams, a `data: {"error": {...}}` event followed by `data: [DONE]` (as vLLM does).
    MidStreamError(String),
    /// Some chunks of the text, then the connection drops mid-body (the server died).
    Cut(String),
    /// This body as it is (`text/event-stream` for a stream request), for exact shapes.
    Raw(String),
}

/// What the double was asked.
#[derive(Clone, Debug)]
pub struct Asked {
    pub path: String,
    pub model: String,
    /// The user message (chat) or the prompt (generate / completions).
    pub prompt: String,
    pub seed: Option<u64>,
    /// How many times this exact (model, prompt, seed) was asked before.
    pub attempt: usize,
}

/// (model, prompt, seed) of a request.
type SeenKey = (String, String, Option<u64>);

pub type Script = Arc<dyn Fn(&Asked) -> Answer + Send + Sync>;

pub struct DoubleState {
    pub models: Mutex<Vec<String>>,
    /// Models `/api/pull` can fetch.
    pub pullable: Vec<String>,
    pub script: Script,
    /// Requests per path.
    pub hits: Mutex<HashMap<String, usize>>,
    seen: Mutex<HashMap<SeenKey, usize>>,
    pub version: String,
    /// The JSON bodies of the generation requests, in order.
    pub bodies: Mutex<Vec<Value>>,
    /// OpenAI-compatible answers being generated or sent now.
    pub open_answers: Arc<AtomicUsize>,
}

pub struct Double {
    pub url: String,
    pub state: Arc<DoubleState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Double {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Double {
    pub fn hits(&self, path: &str) -> usize {
        *self.state.hits.lock().unwrap().get(path).unwrap_or(&0)
    }

    /// OpenAI-compatible answers being generated or sent now.
    pub fn open_answers(&self) -> usize {
        self.state.open_answers.load(Ordering::SeqCst)
    }

    /// The body of the last generation request.
    pub fn last_body(&self) -> Value {
        self.state
            .bodies
            .lock()
            .unwrap()
            .last()
            .cloned()
            .unwrap_or(Value::Null)
    }

    pub fn generation_hits(&self) -> usize {
        [
            "/api/chat",
            "/api/generate",
            "/v1/chat/completions",
            "/v1/completions",
        ]
        .iter()
        .map(|p| self.hits(p))
        .sum()
    }
}

fn now() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    // Not a calendar date, but the shape Ollama sends (RFC 3339 with nanoseconds, UTC).
    format!(
        "2025-10-26T17:15:{:02}.{:09}Z",
        d.as_secs() % 60,
        d.subsec_nanos()
    )
}

fn error(status: u16, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        json!({"error": message}).to_string(),
    )
        .into_response()
}

fn openai_error(status: u16, message: &str) -> Response {
    let kind = match status {
        400 => "invalid_request_error",
        404 => "not_found_error",
        _ => "api_error",
    };
    (
        StatusCode::from_u16(status).unwrap(),
        [(header::CONTENT_TYPE, "application/json")],
        json!({"error": {"message": message, "type": kind, "param": null, "code": null}})
            .to_string(),
    )
        .into_response()
}

/// Splits text into "tokens" of at most 6 characters (on char boundaries).
fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(6).map(|c| c.iter().collect()).collect()
}

/// Applies `options.stop` and `num_predict` like the server: the text is cut before the
/// first stop string (done_reason "stop") or after num_predict tokens ("length").
fn shape(text: &str, stop: &[String], num_predict: Option<usize>) -> (Vec<String>, &'static str) {
    let mut text = text.to_string();
    if let Some(cut) = stop
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()))
        .min()
    {
        text.truncate(cut);
    }
    let mut toks = tokens(&text);
    let mut reason = "stop";
    if let Some(n) = num_predict {
        if toks.len() > n {
            toks.truncate(n);
            reason = "length";
        }
    }
    (toks, reason)
}

/// A streamed body: the first chunk after `delay` (the headers go at once, as a server
/// sends them before its first token), then the rest; `cut` drops the connection after the
/// last chunk instead of ending the body.
fn streamed(chunks: Vec<String>, cut: bool, delay: Duration, content_type: &str) -> Response {
    streamed_while(chunks, cut, delay, content_type, None)
}

/// Counts an answer being sent until it is dropped: sent whole, or abandoned by a client
/// that closed the connection.
pub struct Open(Arc<AtomicUsize>);

impl Open {
    fn new(counter: &Arc<AtomicUsize>) -> Open {
        counter.fetch_add(1, Ordering::SeqCst);
        Open(counter.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// [`streamed`], holding `open` until the body is over.
fn streamed_while(
    chunks: Vec<String>,
    cut: bool,
    delay: Duration,
    content_type: &str,
    open: Option<Open>,
) -> Response {
    let stream = futures_util::stream::unfold(
        (chunks.into_iter(), cut, delay, open),
        |(mut it, cut, delay, open)| async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            match it.next() {
                Some(c) => Some((Ok(Bytes::from(c)), (it, cut, Duration::ZERO, open))),
                None if cut => Some((
                    {
                        // What was sent reaches the client before the connection drops.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Err(std::io::Error::new(
                            std::io::ErrorKind::ConnectionReset,
                            "the double drops the connection",
                        ))
                    },
                    (it, false, Duration::ZERO, open),
                )),
                None => None,
            }
        },
    );
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from_stream(stream))
        .unwrap()
}

fn ndjson(lines: Vec<Value>, tail: Option<String>, delay: Duration) -> Response {
    let mut chunks: Vec<String> = lines.iter().map(|v| format!("{v}\n")).collect();
    chunks.extend(tail);
    streamed(chunks, false, delay, "application/x-ndjson")
}

impl DoubleState {
    fn hit(&self, path: &str) {
        *self
            .hits
            .lock()
            .unwrap()
            .entry(path.to_string())
            .or_insert(0) += 1;
    }

    fn ask(&self, path: &str, model: &str, prompt: &str, seed: Option<u64>) -> Answer {
        let attempt = {
            let mut seen = self.seen.lock().unwrap();
            let n = seen
                .entry((model.to_string(), prompt.to_string(), seed))
                .or_insert(0);
            *n += 1;
            *n - 1
        };
        (self.script)(&Asked {
            path: path.into(),
            model: model.into(),
            prompt: prompt.into(),
            seed,
            attempt,
        })
    }

    fn has_model(&self, name: &str) -> bool {
        let full = |n: &str| {
            if n.contains(':') {
                n.to_string()
            } else {
                format!("{n}:latest")
            }
        };
        self.models
            .lock()
            .unwrap()
            .iter()
            .any(|m| full(m) == full(name))
    }
}

async fn root(State(s): State<Arc<DoubleState>>) -> &'static str {
    s.hit("/");
    "Ollama is running"
}

async fn version(State(s): State<Arc<DoubleState>>) -> Response {
    s.hit("/api/version");
    axum::Json(json!({"version": s.version})).into_response()
}

async fn tags(State(s): State<Arc<DoubleState>>) -> Response {
    s.hit("/api/tags");
    let models: Vec<Value> = s
        .models
        .lock()
        .unwrap()
        .iter()
        .map(|m| {
            let name = if m.contains(':') { m.clone() } else { format!("{m}:latest") };
            json!({"name": name, "model": name, "modified_at": "2025-05-10T08:06:48.639712648-07:00",
                   "size": 986061892u64, "digest": "a".repeat(64),
                   "details": {"parent_model": "", "format": "gguf", "family": "qwen2", "families": ["qwen2"],
                               "parameter_size": "1.5B", "quantization_level": "Q4_K_M"}})
        })
        .collect();
    axum::Json(json!({"models": models})).into_response()
}

async fn pull(State(s): State<Arc<DoubleState>>, body: Bytes) -> Response {
    s.hit("/api/pull");
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) if body.is_empty() => return error(400, &format!("missing request body {e}")),
        Err(e) => return error(400, &e.to_string()),
    };
    let model = v["model"]
        .as_str()
        .or(v["name"].as_str())
        .unwrap_or("")
        .to_string();
    if model.is_empty() {
        return error(400, "model is required");
    }
    if !s.pullable.contains(&model) {
        return ndjson(
            vec![
                json!({"status": "pulling manifest"}),
                json!({"error": "pull model manifest: file does not exist"}),
            ],
            None,
            Duration::ZERO,
        );
    }
    let digest = format!("sha256:{}", "6a0746a1ec1a".repeat(5));
    let short = &digest[7..19];
    let total = 2_142_590_208u64;
    let mut lines = vec![
        json!({"status": "pulling manifest"}),
        json!({"status": format!("pulling {short}"), "digest": digest, "total": total}),
    ];
    for c in [241_970u64, total / 2, total] {
        lines.push(json!({"status": format!("pulling {short}"), "digest": digest, "total": total, "completed": c}));
    }
    lines.extend([
        json!({"status": "verifying sha256 digest"}),
        json!({"status": "writing manifest"}),
        json!({"status": "success"}),
    ]);
    s.models.lock().unwrap().push(model);
    ndjson(lines, None, Duration::ZERO)
}

/// `/api/chat` and `/api/generate`.
async fn generate_like(s: Arc<DoubleState>, path: &'static str, body: Bytes) -> Response {
    s.hit(path);
    if body.is_empty() {
        return error(400, "missing request body");
    }
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return error(400, &e.to_string()),
    };
    s.bodies.lock().unwrap().push(v.clone());
    let model = v["model"].as_str().unwrap_or("").to_string();
    if model.is_empty() && path == "/api/chat" {
        return error(400, "model is required");
    }
    if !s.has_model(&model) {
        return error(404, &format!("model '{model}' not found"));
    }
    let prompt = if path == "/api/chat" {
        v["messages"]
            .as_array()
            .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
            .and_then(|m| m["content"].as_str())
            .unwrap_or("")
            .to_string()
    } else {
        v["prompt"].as_str().unwrap_or("").to_string()
    };
    let options = &v["options"];
    let stop: Vec<String> = options["stop"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let num_predict = options["num_predict"].as_u64().map(|n| n as usize);
    let answer = s.ask(path, &model, &prompt, options["seed"].as_u64());
    let piece = |text: &str, done: bool| -> Value {
        let mut o = json!({"model": model, "created_at": now(), "done": done});
        if path == "/api/chat" {
            o["message"] = json!({"role": "assistant", "content": text});
        } else {
            o["response"] = json!(text);
        }
        o
    };
    let final_chunk = |reason: &str, count: usize| -> Value {
        let mut o = piece("", true);
        o["done_reason"] = json!(reason);
        o["total_duration"] = json!(10_706_818_083u64);
        o["load_duration"] = json!(6_338_219_291u64);
        o["prompt_eval_count"] = json!(prompt.len() / 4 + 1);
        o["prompt_eval_duration"] = json!(130_079_000u64);
        o["eval_count"] = json!(count);
        o["eval_duration"] = json!(4_232_710_000u64);
        if path == "/api/generate" && v["raw"] != json!(true) {
            o["context"] = json!([1, 2, 3]);
        }
        o
    };
    let stream = v["stream"].as_bool().unwrap_or(true);
    let (text, delay) = match answer {
        Answer::Status(code, message) => return error(code, &message),
        Answer::Malformed => {
            return ndjson(
                vec![piece("def", false)],
                Some("{\"model\":\"m\",\"message\":{\"role\":\"assist\n".into()),
                Duration::ZERO,
            )
        }
        Answer::Truncated(text) => {
            let toks = tokens(&text);
            let half = toks.len() / 2;
            return ndjson(
                toks[..half].iter().map(|t| piece(t, false)).collect(),
                None,
                Duration::ZERO,
            );
        }
        Answer::MidStreamError(text) => {
            let mut lines: Vec<Value> = tokens(&text)
                .iter()
                .take(2)
                .map(|t| piece(t, false))
                .collect();
            lines.push(json!({"error": "an error was encountered while running the model: unexpected EOF"}));
            return ndjson(lines, None, Duration::ZERO);
        }
        Answer::Cut(text) => {
            let toks = tokens(&text);
            let lines = toks[..toks.len() / 2]
                .iter()
                .map(|t| format!("{}\n", piece(t, false)))
                .collect();
            return streamed(lines, true, Duration::ZERO, "application/x-ndjson");
        }
        Answer::Raw(body) => {
            return streamed(vec![body], false, Duration::ZERO, "application/x-ndjson")
        }
        Answer::Text(t) => (t, Duration::ZERO),
        Answer::Slow(d, t) => (t, d),
    };
    let (toks, reason) = shape(&text, &stop, num_predict);
    if !stream {
        tokio::time::sleep(delay).await;
        let mut o = final_chunk(reason, toks.len());
        let whole = toks.concat();
        if path == "/api/chat" {
            o["message"]["content"] = json!(whole);
        } else {
            o["response"] = json!(whole);
        }
        return axum::Json(o).into_response();
    }
    let mut lines: Vec<Value> = toks.iter().map(|t| piece(t, false)).collect();
    lines.push(final_chunk(reason, toks.len()));
    ndjson(lines, None, delay)
}

async fn chat(State(s): State<Arc<DoubleState>>, body: Bytes) -> Response {
    generate_like(s, "/api/chat", body).await
}

async fn generate(State(s): State<Arc<DoubleState>>, body: Bytes) -> Response {
    generate_like(s, "/api/generate", body).await
}

// ------------------------------------------------------------------ OpenAI-compatible

async fn v1_models(State(s): State<Arc<DoubleState>>) -> Response {
    s.hit("/v1/models");
    let data: Vec<Value> = s
        .models
        .lock()
        .unwrap()
        .iter()
        .map(|m| json!({"id": m, "object": "model", "created": 1_730_000_000u64, "owned_by": "library"}))
        .collect();
    let data = if data.is_empty() {
        Value::Null
    } else {
        json!(data)
    };
    axum::Json(json!({"object": "list", "data": data})).into_response()
}

async fn v1_like(s: Arc<DoubleState>, path: &'static str, body: Bytes) -> Response {
    s.hit(path);
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return openai_error(400, &e.to_string()),
    };
    s.bodies.lock().unwrap().push(v.clone());
    let open = Open::new(&s.open_answers);
    let model = v["model"].as_str().unwrap_or("").to_string();
    if !s.has_model(&model) {
        return openai_error(404, &format!("model '{model}' not found"));
    }
    let chat = path == "/v1/chat/completions";
    let prompt = if chat {
        let messages = v["messages"].as_array().cloned().unwrap_or_default();
        if messages.is_empty() {
            return openai_error(400, "[] is too short - 'messages'");
        }
        messages
            .iter()
            .rev()
            .find(|m| m["role"] == "user")
            .and_then(|m| m["content"].as_str())
            .unwrap_or("")
            .to_string()
    } else {
        match v["prompt"].as_str() {
            Some(p) => p.to_string(),
            None => return openai_error(400, "prompt must be a string"),
        }
    };
    let stop: Vec<String> = match &v["stop"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    };
    let answer = s.ask(path, &model, &prompt, v["seed"].as_u64());
    let stream = v["stream"].as_bool().unwrap_or(false);
    let max_tokens = v["max_tokens"].as_u64().map(|n| n as usize);
    if stream {
        return v1_stream(&v, chat, &model, &prompt, &stop, max_tokens, answer, open);
    }
    let (text, delay) = match answer {
        Answer::Status(code, message) => return openai_error(code, &message),
        Answer::Malformed => {
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "{\"id\":\"chatcmpl-1\",\"choices\":[{\"mess",
            )
                .into_response()
        }
        Answer::Truncated(text) => {
            let body = json!({"id": "chatcmpl-347", "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}).to_string();
            let half = body.len() / 2;
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body[..half].to_string(),
            )
                .into_response();
        }
        Answer::Cut(text) => {
            let body = json!({"id": "chatcmpl-347", "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}).to_string();
            let half = body.len() / 2;
            return streamed(
                vec![body[..half].to_string()],
                true,
                Duration::ZERO,
                "application/json",
            );
        }
        Answer::Raw(body) => {
            return streamed(vec![body], false, Duration::ZERO, "application/json");
        }
        Answer::MidStreamError(_) => {
            return openai_error(500, "an error was encountered while running the model")
        }
        Answer::Text(t) => (t, Duration::ZERO),
        Answer::Slow(d, t) => (t, d),
    };
    tokio::time::sleep(delay).await;
    drop(open);
    let (toks, reason) = shape(&text, &stop, max_tokens);
    let content = toks.concat();
    let usage = usage_of(&prompt, toks.len());
    let choice = if chat {
        json!({"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": reason})
    } else {
        json!({"index": 0, "text": content, "finish_reason": reason})
    };
    axum::Json(json!({
        "id": if chat { "chatcmpl-347" } else { "cmpl-347" },
        "object": if chat { "chat.completion" } else { "text_completion" },
        "created": 1_730_000_000u64, "model": model, "system_fingerprint": "fp_ollama",
        "choices": [choice], "usage": usage
    }))
    .into_response()
}

fn usage_of(prompt: &str, completion: usize) -> Value {
    let p = prompt.len() / 4 + 1;
    json!({"prompt_tokens": p, "completion_tokens": completion, "total_tokens": p + completion})
}

/// A `"stream": true` answer as vLLM and llama.cpp's server send it: `text/event-stream`,
/// one `data: {chunk}` event per token (the first chat delta carries the role), a chunk
/// with the finish reason and an empty delta, a usage chunk with no choices when
/// `stream_options.include_usage` asks for it, then `data: [DONE]`.
#[allow(clippy::too_many_arguments)]
fn v1_stream(
    v: &Value,
    chat: bool,
    model: &str,
    prompt: &str,
    stop: &[String],
    max_tokens: Option<usize>,
    answer: Answer,
    open: Open,
) -> Response {
    let id = if chat { "chatcmpl-347" } else { "cmpl-347" };
    let object = if chat {
        "chat.completion.chunk"
    } else {
        "text_completion"
    };
    let chunk = |choices: Value| -> String {
        let e = json!({"id": id, "object": object, "created": 1_730_000_000u64, "model": model,
                       "system_fingerprint": "fp_ollama", "choices": choices});
        format!("data: {e}\n\n")
    };
    let token = |i: usize, t: &str| -> String {
        if chat {
            let delta = if i == 0 {
                json!({"role": "assistant", "content": t})
            } else {
                json!({"content": t})
            };
            chunk(json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": null}]))
        } else {
            chunk(json!([{"index": 0, "text": t, "logprobs": null, "finish_reason": null}]))
        }
    };
    let tokens_of = |text: &str| -> Vec<String> {
        tokens(text)
            .iter()
            .enumerate()
            .map(|(i, t)| token(i, t))
            .collect()
    };
    const SSE: &str = "text/event-stream";
    let (text, delay) = match answer {
        Answer::Status(code, message) => return openai_error(code, &message),
        Answer::Raw(body) => return streamed(vec![body], false, Duration::ZERO, SSE),
        Answer::Malformed => {
            let mut events = tokens_of("def f():");
            events.push("data: {\"id\":\"chatcmpl-347\",\"choices\":[{\"delt\n\n".into());
            return streamed(events, false, Duration::ZERO, SSE);
        }
        Answer::Truncated(text) => {
            let mut events = tokens_of(&text);
            events.truncate(events.len() / 2);
            return streamed(events, false, Duration::ZERO, SSE);
        }
        Answer::Cut(text) => {
            let mut events = tokens_of(&text);
            events.truncate(events.len() / 2);
            return streamed(events, true, Duration::ZERO, SSE);
        }
        Answer::MidStreamError(text) => {
            let mut events = tokens_of(&text);
            events.truncate(2);
            let error = json!({"error": {"message": "an error was encountered while running the model: CUDA error: out of memory", "type": "InternalServerError", "param": null, "code": 500}});
            events.push(format!("data: {error}\n\n"));
            events.push("data: [DONE]\n\n".into());
            return streamed(events, false, Duration::ZERO, SSE);
        }
        Answer::Text(t) => (t, Duration::ZERO),
        Answer::Slow(d, t) => (t, d),
    };
    let (toks, reason) = shape(&text, stop, max_tokens);
    let mut events: Vec<String> = toks.iter().enumerate().map(|(i, t)| token(i, t)).collect();
    events.push(if chat {
        chunk(json!([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": reason}]))
    } else {
        chunk(json!([{"index": 0, "text": "", "logprobs": null, "finish_reason": reason}]))
    });
    if v["stream_options"]["include_usage"] == json!(true) {
        let e = json!({"id": id, "object": object, "created": 1_730_000_000u64, "model": model,
                       "choices": [], "usage": usage_of(prompt, toks.len())});
        events.push(format!("data: {e}\n\n"));
    }
    events.push("data: [DONE]\n\n".into());
    streamed_while(events, false, delay, SSE, Some(open))
}

async fn v1_chat(State(s): State<Arc<DoubleState>>, body: Bytes) -> Response {
    v1_like(s, "/v1/chat/completions", body).await
}

async fn v1_completions(State(s): State<Arc<DoubleState>>, body: Bytes) -> Response {
    v1_like(s, "/v1/completions", body).await
}

/// Starts a double serving both APIs (as Ollama does) on a free loopback port, over https
/// with `tls`.
async fn start_with(
    models: &[&str],
    pullable: &[&str],
    script: Script,
    tls: Option<&Tls>,
) -> Double {
    let state = Arc::new(DoubleState {
        models: Mutex::new(models.iter().map(|m| m.to_string()).collect()),
        pullable: pullable.iter().map(|m| m.to_string()).collect(),
        script,
        hits: Mutex::new(HashMap::new()),
        seen: Mutex::new(HashMap::new()),
        version: "0.12.6".into(),
        bodies: Mutex::new(Vec::new()),
        open_answers: Arc::new(AtomicUsize::new(0)),
    });
    let app = Router::new()
        .route("/", get(root).head(root))
        .route("/api/version", get(version))
        .route("/api/tags", get(tags))
        .route("/api/pull", post(pull))
        .route("/api/chat", post(chat))
        .route("/api/generate", post(generate))
        .route("/v1/models", get(v1_models))
        .route("/v1/chat/completions", post(v1_chat))
        .route("/v1/completions", post(v1_completions))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (url, task) = match tls {
        None => (
            format!("http://{addr}"),
            tokio::spawn(async move {
                axum::serve(listener, app).await.unwrap();
            }),
        ),
        Some(tls) => {
            let listener = TlsListener {
                tcp: listener,
                acceptor: tokio_rustls::TlsAcceptor::from(tls.server.clone()),
            };
            (
                format!("https://{addr}"),
                tokio::spawn(async move {
                    axum::serve(listener, app).await.unwrap();
                }),
            )
        }
    };
    Double { url, state, task }
}

/// Starts a double serving both APIs on a free loopback port.
pub async fn start(models: &[&str], pullable: &[&str], script: Script) -> Double {
    start_with(models, pullable, script, None).await
}

/// The same double over https, with `tls`'s certificate.
pub async fn start_tls(models: &[&str], script: Script, tls: &Tls) -> Double {
    start_with(models, &[], script, Some(tls)).await
}

/// A private CA and a server certificate it signed for 127.0.0.1 and localhost, made
/// fresh for the test (as a local model server with its own CA would have).
pub struct Tls {
    /// The CA's certificate, PEM: what a client must trust.
    pub ca_pem: String,
    server: Arc<tokio_rustls::rustls::ServerConfig>,
}

impl Tls {
    pub fn generate() -> Tls {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        use tokio_rustls::rustls;
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "localeval test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "localeval test model server");
        let cert = params.signed_by(&key, &issuer).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        Tls {
            ca_pem: ca_cert.pem(),
            server: Arc::new(server),
        }
    }
}

/// TLS on accepted connections; a failed handshake (a client that does not trust the
/// certificate) drops that connection and the listener goes on.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            let handshake = self.acceptor.accept(tcp);
            if let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(5), handshake).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// A script that answers every prompt with the same text.
pub fn always(text: &str) -> Script {
    let text = text.to_string();
    Arc::new(move |_| Answer::Text(text.clone()))
}
