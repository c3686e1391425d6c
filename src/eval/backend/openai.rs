//! OpenAI-compatible servers: `GET /v1/models`, `POST /v1/chat/completions` and
//! `POST /v1/completions`, non-streaming. Errors come as `{"error": {"message": ...}}`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::{
    error_message, BackendConfig, BackendError, GenPrompt, GenRequest, Generation, ModelInfo,
};

const HINT: &str = "; is the server running (e.g. `python -m llama_cpp.server`, vLLM), and is --url its base address without /v1?";

pub struct OpenAi {
    pub config: BackendConfig,
    client: reqwest::Client,
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

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
}

impl OpenAi {
    pub fn new(config: BackendConfig) -> OpenAi {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .expect("a plain HTTP client builds");
        OpenAi { config, client }
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

    pub async fn prepare(&self, model: &str) -> Result<ModelInfo, BackendError> {
        let r = self
            .authorized(self.client.get(format!("{}/v1/models", self.base())))
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
            "stream": false,
        });
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
                self.client
                    .post(format!("{}{path}", self.base()))
                    .json(&body),
            )
            .send()
            .await
            .map_err(|e| self.err(e))?;
        let status = r.status();
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
