//! The model backends against the Ollama and OpenAI-compatible test doubles.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use localeval::eval::backend::{
    Backend, BackendConfig, BackendError, BackendKind, GenPrompt, GenRequest, SamplingParams,
};
use support::{always, start, Answer};

fn config(kind: BackendKind, url: &str) -> BackendConfig {
    let mut c = BackendConfig::new(kind, url);
    c.backoff_ms = 10;
    c.timeout_ms = 5_000;
    c
}

fn chat(model: &str, text: &str) -> GenRequest {
    GenRequest {
        model: model.into(),
        prompt: GenPrompt::Chat {
            system: Some("be brief".into()),
            user: text.into(),
        },
        params: SamplingParams::default(),
        sample_index: 0,
    }
}

fn completion(model: &str, text: &str, stop: &[&str]) -> GenRequest {
    GenRequest {
        model: model.into(),
        prompt: GenPrompt::Completion {
            prompt: text.into(),
            stop: stop.iter().map(|s| s.to_string()).collect(),
        },
        params: SamplingParams::default(),
        sample_index: 0,
    }
}

fn no_progress() -> impl Fn(localeval::eval::backend::PullProgress) + Send + Sync {
    |_| {}
}

#[tokio::test]
async fn ollama_checks_the_server_and_pulls_a_missing_model_with_progress() {
    let d = start(&[], &["qwen2.5-coder:1.5b"], always("x")).await;
    let b = Backend::new(config(BackendKind::Ollama, &d.url));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let info = b
        .prepare("qwen2.5-coder:1.5b", true, &move |p| {
            s2.lock().unwrap().push((p.status, p.completed, p.total))
        })
        .await
        .unwrap();
    assert!(info.pulled);
    assert_eq!(info.server_version.as_deref(), Some("0.12.6"));
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.first().unwrap().0, "pulling manifest");
        assert_eq!(seen.last().unwrap().0, "success");
        assert!(
            seen.iter().any(|(_, c, t)| c.is_some() && c == t),
            "a completed layer is reported"
        );
    }
    assert_eq!(
        (d.hits("/"), d.hits("/api/version"), d.hits("/api/pull")),
        (1, 1, 1)
    );
    // Present now: no second pull, and `name` and `name:latest` are the same model.
    let d2 = start(&["llama3.2"], &[], always("x")).await;
    let b2 = Backend::new(config(BackendKind::Ollama, &d2.url));
    assert!(
        !b2.prepare("llama3.2:latest", true, &no_progress())
            .await
            .unwrap()
            .pulled
    );
    assert_eq!(d2.hits("/api/pull"), 0);
}

#[tokio::test]
async fn ollama_missing_or_unpullable_models_are_clear_errors() {
    let d = start(&["other:7b"], &[], always("x")).await;
    let b = Backend::new(config(BackendKind::Ollama, &d.url));
    let e = b
        .prepare("qwen2.5-coder:1.5b", false, &no_progress())
        .await
        .unwrap_err();
    assert!(matches!(e, BackendError::ModelMissing { .. }), "{e}");
    assert!(
        e.to_string().contains("other:7b") && e.to_string().contains("ollama pull"),
        "{e}"
    );
    let e = b
        .prepare("qwen2.5-coder:1.5b", true, &no_progress())
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("pull model manifest: file does not exist"),
        "{e}"
    );
    // Generating with an unknown model: 404, not retried.
    let e = b.generate(&chat("nope", "hi")).await.unwrap_err();
    assert!(matches!(e, BackendError::ModelMissing { .. }), "{e}");
    assert_eq!(d.hits("/api/chat"), 1);
}

#[tokio::test]
async fn an_unreachable_server_says_where_and_what_to_check() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut c = config(BackendKind::Ollama, &url);
    c.retries = 0;
    let e = Backend::new(c)
        .prepare("m", true, &no_progress())
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains(&url) && msg.contains("OLLAMA_HOST"), "{msg}");
}

#[tokio::test]
async fn ollama_chat_and_generate_stream_until_done() {
    let d = start(
        &["m"],
        &[],
        Arc::new(|a: &support::Asked| Answer::Text(format!("echo: {}", a.prompt))),
    )
    .await;
    let b = Backend::new(config(BackendKind::Ollama, &d.url));
    let g = b
        .generate(&chat("m", "hello world, a longer prompt"))
        .await
        .unwrap();
    assert_eq!(g.text, "echo: hello world, a longer prompt");
    assert_eq!(g.finish_reason.as_deref(), Some("stop"));
    assert_eq!(g.completion_tokens, Some(6));
    assert_eq!(g.attempts, 1);
    // Completion style goes to /api/generate; stop strings and num_predict are honoured.
    let g = b
        .generate(&completion("m", "def f():", &["f("]))
        .await
        .unwrap();
    assert_eq!(g.text, "echo: def ");
    let mut r = completion("m", "0123456789abcdefghij", &[]);
    r.params.max_tokens = 2;
    let g = b.generate(&r).await.unwrap();
    assert_eq!(
        (g.text.as_str(), g.finish_reason.as_deref()),
        ("echo: 012345", Some("length"))
    );
    assert_eq!((d.hits("/api/chat"), d.hits("/api/generate")), (1, 2));
}

/// A script that fails the first time each prompt is asked, then answers.
fn flaky(first: Answer) -> support::Script {
    Arc::new(move |a: &support::Asked| {
        if a.attempt == 0 {
            first.clone()
        } else {
            Answer::Text("ok".into())
        }
    })
}

#[tokio::test]
async fn transient_failures_are_retried_with_backoff() {
    for (kind, stream, gen_path) in [
        (BackendKind::Ollama, true, "/api/chat"),
        (BackendKind::Ollama, false, "/api/chat"),
        (BackendKind::Openai, true, "/v1/chat/completions"),
        (BackendKind::Openai, false, "/v1/chat/completions"),
    ] {
        for first in [
            Answer::Malformed,
            Answer::Truncated("a fairly long answer that gets cut".into()),
            Answer::Cut("a fairly long answer whose connection drops".into()),
            Answer::MidStreamError("partial answer".into()),
            Answer::Status(503, "server busy".into()),
            Answer::Status(429, "Too many requests".into()),
        ] {
            let d = start(&["m"], &[], flaky(first.clone())).await;
            let mut c = config(kind, &d.url);
            c.stream = stream;
            let b = Backend::new(c);
            let g = b
                .generate(&chat("m", "q"))
                .await
                .unwrap_or_else(|e| panic!("{kind:?} stream={stream} {first:?}: {e}"));
            assert_eq!(g.text, "ok");
            assert_eq!(g.attempts, 2, "{kind:?} stream={stream} {first:?}");
            assert_eq!(d.hits(gen_path), 2);
            assert_eq!(d.last_body()["stream"], stream, "{kind:?}");
        }
        // A bad request is not retried.
        let d = start(
            &["m"],
            &[],
            Arc::new(|_: &support::Asked| Answer::Status(400, "invalid options".into())),
        )
        .await;
        let e = Backend::new(config(kind, &d.url))
            .generate(&chat("m", "q"))
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("HTTP 400") && e.to_string().contains("invalid options"),
            "{e}"
        );
        assert_eq!(d.hits(gen_path), 1);
    }
}

#[tokio::test]
async fn slow_answers_time_out_and_count_their_attempts() {
    let d = start(
        &["m"],
        &[],
        Arc::new(|_: &support::Asked| Answer::Slow(Duration::from_secs(3), "late".into())),
    )
    .await;
    let mut c = config(BackendKind::Ollama, &d.url);
    c.timeout_ms = 200;
    c.retries = 1;
    let started = std::time::Instant::now();
    let e = Backend::new(c).generate(&chat("m", "q")).await.unwrap_err();
    assert!(matches!(e, BackendError::Timeout(_)), "{e}");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(d.hits("/api/chat"), 2);
    // Slow but within the limit is fine.
    let d = start(
        &["m"],
        &[],
        Arc::new(|_: &support::Asked| Answer::Slow(Duration::from_millis(100), "late".into())),
    )
    .await;
    let g = Backend::new(config(BackendKind::Openai, &d.url))
        .generate(&chat("m", "q"))
        .await
        .unwrap();
    assert_eq!(g.text, "late");
    assert!(g.elapsed_ms >= 100);
}

#[tokio::test]
async fn openai_compatible_server() {
    let d = start(
        &["tiny"],
        &[],
        Arc::new(|a: &support::Asked| Answer::Text(format!("[{}]", a.prompt))),
    )
    .await;
    let b = Backend::new(config(BackendKind::Openai, &format!("{}/v1", d.url)));
    assert_eq!(
        b.prepare("tiny", true, &no_progress()).await.unwrap().model,
        "tiny"
    );
    let e = b.prepare("big", true, &no_progress()).await.unwrap_err();
    assert!(e.to_string().contains("(it has: tiny)"), "{e}");
    let g = b.generate(&chat("tiny", "hi")).await.unwrap();
    assert_eq!(g.text, "[hi]");
    assert_eq!(g.finish_reason.as_deref(), Some("stop"));
    assert!(g.prompt_tokens.is_some() && g.completion_tokens.is_some());
    let g = b
        .generate(&completion("tiny", "abc", &["c"]))
        .await
        .unwrap();
    assert_eq!(g.text, "[ab");
    let e = b.generate(&chat("big", "hi")).await.unwrap_err();
    assert!(matches!(e, BackendError::ModelMissing { .. }), "{e}");
    assert_eq!(d.hits("/v1/completions"), 1);
}

#[tokio::test]
async fn openai_streams_server_sent_events_with_usage() {
    let d = start(
        &["tiny"],
        &[],
        Arc::new(|a: &support::Asked| Answer::Text(format!("streamed <{}>", a.prompt))),
    )
    .await;
    let b = Backend::new(config(BackendKind::Openai, &d.url));
    assert!(b.config().stream, "streaming is the default");
    let g = b
        .generate(&chat("tiny", "a prompt of some length"))
        .await
        .unwrap();
    assert_eq!(g.text, "streamed <a prompt of some length>");
    assert_eq!(g.finish_reason.as_deref(), Some("stop"));
    // The double splits into 6-character tokens; usage comes from the last chunk.
    assert_eq!(g.completion_tokens, Some(6));
    assert_eq!(
        g.prompt_tokens,
        Some("a prompt of some length".len() as u64 / 4 + 1)
    );
    let body = d.last_body();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    // Completions stream `choices[].text`; stop strings and max_tokens are honoured.
    let g = b
        .generate(&completion("tiny", "abc", &["c"]))
        .await
        .unwrap();
    assert_eq!(
        (g.text.as_str(), g.finish_reason.as_deref()),
        ("streamed <ab", Some("stop"))
    );
    let mut r = completion("tiny", "0123456789", &[]);
    r.params.max_tokens = 2;
    let g = b.generate(&r).await.unwrap();
    assert_eq!(
        (
            g.text.as_str(),
            g.finish_reason.as_deref(),
            g.completion_tokens
        ),
        ("streamed <01", Some("length"), Some(2))
    );
    assert_eq!(
        (d.hits("/v1/chat/completions"), d.hits("/v1/completions")),
        (1, 2)
    );

    // The non-streaming path still works, and asks for no stream.
    let mut c = config(BackendKind::Openai, &d.url);
    c.stream = false;
    let g = Backend::new(c).generate(&chat("tiny", "hi")).await.unwrap();
    assert_eq!(g.text, "streamed <hi>");
    assert_eq!(g.completion_tokens, Some(3));
    let body = d.last_body();
    assert_eq!(body["stream"], false);
    assert!(body.get("stream_options").is_none(), "{body}");
}

/// An OpenAI double whose every answer is this raw event-stream body.
async fn raw_stream(body: &str) -> Result<localeval::eval::backend::Generation, BackendError> {
    let body = body.to_string();
    let d = start(
        &["m"],
        &[],
        Arc::new(move |_: &support::Asked| Answer::Raw(body.clone())),
    )
    .await;
    let mut c = config(BackendKind::Openai, &d.url);
    c.retries = 0;
    Backend::new(c).generate(&chat("m", "q")).await
}

#[tokio::test]
async fn stream_shapes_of_real_servers() {
    // llama.cpp's server: usage (and timings) in the chunk with the finish reason, CRLF
    // line ends and keep-alive comments are fine.
    let g = raw_stream(concat!(
        ": ping\r\n\r\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"print(\"}}],\"object\":\"chat.completion.chunk\"}\r\n\r\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"1)\"}}],\"object\":\"chat.completion.chunk\"}\r\n\r\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"completion_tokens\":2,\"prompt_tokens\":9,\"total_tokens\":11},\"timings\":{\"predicted_ms\":12.5}}\r\n\r\n",
        "data: [DONE]\r\n\r\n",
    ))
    .await
    .unwrap();
    assert_eq!(g.text, "print(1)");
    assert_eq!((g.prompt_tokens, g.completion_tokens), (Some(9), Some(2)));
    // A server that does not honour include_usage: the answer stands, the counts are
    // unknown; and a clean end after the finish reason needs no [DONE].
    let g = raw_stream(concat!(
        "data: {\"choices\":[{\"index\":0,\"text\":\"x = 1\",\"finish_reason\":null}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"text\":\"\",\"finish_reason\":\"length\"}]}\n\n",
    ))
    .await
    .unwrap();
    assert_eq!(g.text, "x = 1");
    assert_eq!(g.finish_reason.as_deref(), Some("length"));
    assert_eq!((g.prompt_tokens, g.completion_tokens), (None, None));
    // llama.cpp reports a failure inside a stream as an `error:` line.
    let e = raw_stream(concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"de\"}}]}\n\n",
        "error: {\"code\":500,\"message\":\"failed to decode the batch\",\"type\":\"server_error\"}\n\n",
    ))
    .await
    .unwrap_err();
    assert!(matches!(e, BackendError::MidStream(_)), "{e}");
    assert!(e.to_string().contains("failed to decode the batch"), "{e}");
    // vLLM's older error shape: {"object": "error", "message": ...}.
    let e = raw_stream("data: {\"object\":\"error\",\"message\":\"context too long\",\"type\":\"BadRequestError\",\"code\":400}\n\ndata: [DONE]\n\n")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("context too long"), "{e}");
}

/// A double that always answers `answer`, and a streaming backend with one retry.
async fn always_failing(
    answer: Answer,
) -> (
    support::Double,
    Result<localeval::eval::backend::Generation, BackendError>,
) {
    let d = start(
        &["m"],
        &[],
        Arc::new(move |_: &support::Asked| answer.clone()),
    )
    .await;
    let mut c = config(BackendKind::Openai, &d.url);
    c.retries = 1;
    let r = Backend::new(c).generate(&chat("m", "q")).await;
    (d, r)
}

#[tokio::test]
async fn broken_streams_are_retried_then_reported_clearly() {
    // The connection drops mid-stream.
    let (d, r) = always_failing(Answer::Cut("an answer long enough to be cut in two".into())).await;
    let e = r.unwrap_err();
    assert!(matches!(e, BackendError::Truncated(_)), "{e}");
    assert!(e.to_string().contains("stream cut after"), "{e}");
    assert_eq!(d.hits("/v1/chat/completions"), 2, "retried once");
    // The stream just stops: no finish reason, no [DONE].
    let (d, r) = always_failing(Answer::Truncated(
        "an answer long enough to stop early".into(),
    ))
    .await;
    let e = r.unwrap_err();
    assert!(
        matches!(e, BackendError::Truncated(_))
            && e.to_string().contains("without a finish reason"),
        "{e}"
    );
    assert_eq!(d.hits("/v1/chat/completions"), 2);
    // A chunk that is not JSON.
    let (d, r) = always_failing(Answer::Malformed).await;
    let e = r.unwrap_err();
    assert!(
        matches!(e, BackendError::Malformed(_)) && e.to_string().contains("stream event"),
        "{e}"
    );
    assert_eq!(d.hits("/v1/chat/completions"), 2);
    // An error object in the stream, even though [DONE] follows it.
    let (d, r) = always_failing(Answer::MidStreamError("par".into())).await;
    let e = r.unwrap_err();
    assert!(
        matches!(e, BackendError::MidStream(_))
            && e.to_string().contains("CUDA error: out of memory"),
        "{e}"
    );
    assert_eq!(d.hits("/v1/chat/completions"), 2);
}

#[tokio::test]
async fn a_slow_first_token_within_the_timeout_is_fine_past_it_a_timeout() {
    let d = start(
        &["m"],
        &[],
        Arc::new(|_: &support::Asked| {
            Answer::Slow(Duration::from_millis(1500), "late but whole".into())
        }),
    )
    .await;
    let mut c = config(BackendKind::Openai, &d.url);
    c.timeout_ms = 4_000;
    let g = Backend::new(c).generate(&chat("m", "q")).await.unwrap();
    assert_eq!(g.text, "late but whole");
    assert!(g.elapsed_ms >= 1500, "{g:?}");
    let mut c = config(BackendKind::Openai, &d.url);
    c.timeout_ms = 300;
    c.retries = 1;
    let started = std::time::Instant::now();
    let e = Backend::new(c).generate(&chat("m", "q")).await.unwrap_err();
    assert!(matches!(e, BackendError::Timeout(_)), "{e}");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(d.hits("/v1/chat/completions"), 3);
}

#[tokio::test]
async fn https_model_servers_with_a_private_ca() {
    let tls = support::Tls::generate();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &tls.ca_pem).unwrap();
    for (kind, gen_path) in [
        (BackendKind::Ollama, "/api/chat"),
        (BackendKind::Openai, "/v1/chat/completions"),
    ] {
        let d = support::start_tls(&["m"], always("over tls"), &tls).await;
        assert!(d.url.starts_with("https://127.0.0.1:"), "{}", d.url);
        // Without the CA: a certificate error that says what to do, not retried.
        let b = Backend::new(config(kind, &d.url));
        let e = b.prepare("m", false, &no_progress()).await.unwrap_err();
        assert!(matches!(e, BackendError::Tls { .. }), "{kind:?}: {e}");
        let msg = e.to_string();
        assert!(
            msg.contains("certificate") && msg.contains("--ca-cert") && msg.contains(&d.url),
            "{msg}"
        );
        eprintln!("{kind:?} without the CA: {msg}");
        assert!(!e.retryable());
        let e = b.generate(&chat("m", "q")).await.unwrap_err();
        assert!(matches!(e, BackendError::Tls { .. }), "{kind:?}: {e}");
        assert_eq!(d.hits(gen_path), 0, "no request got past the handshake");
        // With it: the whole exchange works, streamed.
        let mut c = config(kind, &d.url);
        c.ca_cert = Some(ca.clone());
        let b = Backend::new(c);
        b.prepare("m", false, &no_progress()).await.unwrap();
        let g = b.generate(&chat("m", "q")).await.unwrap();
        assert_eq!(g.text, "over tls");
        assert_eq!(d.hits(gen_path), 1);
    }
    // A CA file that is missing or holds no certificate is its own clear error.
    let d = support::start_tls(&["m"], always("x"), &tls).await;
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    for (path, expected) in [
        (dir.path().join("missing.pem"), "No such file"),
        (not_pem, "no PEM certificate"),
    ] {
        let mut c = config(BackendKind::Openai, &d.url);
        c.ca_cert = Some(path.clone());
        let e = Backend::new(c)
            .prepare("m", false, &no_progress())
            .await
            .unwrap_err();
        assert!(matches!(e, BackendError::CaCert { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains(&path.display().to_string()) && msg.contains(expected),
            "{msg}"
        );
    }
}
