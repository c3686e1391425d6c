//! The request layer against a real server: rate limit then recovery, queue-full
//! backpressure, token enforcement, the refusal to listen publicly without a token, and
//! graceful shutdown with runs in flight.

mod server_support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server_support::*;

#[test]
fn the_rate_limit_answers_429_then_recovers() {
    if !require_sandbox("rate limit") {
        return;
    }
    // 60 per minute with a burst of 2: the third request at once is refused, and one more
    // is allowed a second later.
    let s = Server::start(&["--rate-limit", "60/min", "--rate-burst", "2"]);
    let body = json!({"language": "bash", "code": "echo ok"});
    for _ in 0..2 {
        let (status, r) = post(&s, "/execute", &body);
        assert_eq!(status, 200, "{r}");
    }
    let response = client().post(s.url("/execute")).json(&body).send().unwrap();
    assert_eq!(response.status().as_u16(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    // The seeds' message; `/execute` adds NVIDIA's fields (README, Compatibility).
    assert_eq!(
        response.json::<Value>().unwrap(),
        json!({"error": "Too many requests", "process_status": "error", "stdout": "",
               "stderr": "Too many requests"})
    );
    // Other routes are not rate limited.
    assert_eq!(get(&s, "/ping").0, 200);
    std::thread::sleep(Duration::from_millis(1100));
    let (status, r) = post(&s, "/api/v1/execute", &body);
    assert_eq!(status, 200, "{r}");
    let (status, _) = post(&s, "/api/v1/execute", &body);
    assert_eq!(status, 429);
}

#[test]
fn a_full_queue_answers_503_with_retry_after_and_every_admitted_run_completes() {
    if !require_sandbox("queue full") {
        return;
    }
    let s = Server::start(&["--max-concurrent", "1", "--max-queue", "1"]);
    let slow = json!({"language": "bash", "code": "sleep 1.5; echo slow"});
    let base = s.base.clone();
    let spawn = |body: Value| {
        let url = format!("{base}/api/v1/execute");
        std::thread::spawn(move || {
            let r = client().post(url).json(&body).send().unwrap();
            (r.status().as_u16(), r.json::<Value>().unwrap())
        })
    };
    let running = spawn(slow.clone());
    wait_for(&s, |stats| stats["running"] == 1);
    let queued = spawn(slow.clone());
    wait_for(&s, |stats| stats["queued"] == 1);
    let response = client()
        .post(s.url("/api/v1/execute"))
        .json(&slow)
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let error = response.json::<Value>().unwrap();
    assert!(error["error"].as_str().unwrap().contains("busy"), "{error}");
    for handle in [running, queued] {
        let (status, r) = handle.join().unwrap();
        assert_eq!((status, r["stdout"].as_str()), (200, Some("slow\n")), "{r}");
    }
    let metrics = client()
        .get(s.url("/metrics"))
        .header("accept", "text/plain")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics
            .contains(r#"localeval_http_requests_total{route="/api/v1/execute",status="503"} 1"#),
        "{metrics}"
    );
    s.assert_no_sandbox_left();
}

fn wait_for(s: &Server, done: impl Fn(&Value) -> bool) {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, stats) = get(s, "/api/v1/stats");
        if done(&stats) {
            return;
        }
        assert!(
            Instant::now() < until,
            "stats never reached the state: {stats}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_token_is_required_on_every_route_when_configured() {
    // No sandbox needed: refusals happen before any execution. The token comes from the
    // configuration file.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        "token = \"s3cret-token\"\n[pool]\nmax_concurrent = 3\n",
    )
    .unwrap();
    let s = Server::start(&["--config", config.to_str().unwrap()]);
    for path in [
        "/ping",
        "/health",
        "/metrics",
        "/openapi.json",
        "/api/v1/stats",
    ] {
        let r = client().get(s.url(path)).send().unwrap();
        assert_eq!(r.status().as_u16(), 401, "{path}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        assert_eq!(keys(&r.json::<Value>().unwrap()), ["error"]);
        let r = client()
            .get(s.url(path))
            .bearer_auth("wrong")
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "{path}");
    }
    let r = client()
        .post(s.url("/execute"))
        .json(&json!({"code": "print(1)"}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = client()
        .get(s.url("/ping"))
        .bearer_auth("s3cret-token")
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = client()
        .get(s.url("/api/v1/config"))
        .header("x-api-key", "s3cret-token")
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let c = r.json::<Value>().unwrap();
    assert_eq!(
        (c["auth_required"].as_bool(), c["max_concurrent"].as_u64()),
        (Some(true), Some(3))
    );
    // An idle server stops at once on SIGINT, with success.
    let mut s = s;
    s.signal("INT");
    let status = s
        .wait(Duration::from_secs(5))
        .expect("the server exits on SIGINT");
    assert!(status.success(), "{status:?}");
}

#[test]
fn listening_publicly_without_a_token_is_refused() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_localeval"))
        .args(["serve", "--listen", "0.0.0.0:0"])
        .env_remove("LOCALEVAL_TOKEN")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0:0"),
        "{stderr}"
    );
    assert!(stderr.contains("--insecure-no-auth"), "{stderr}");
    assert!(output.stdout.is_empty(), "it must not have listened");
}

#[test]
fn shutdown_lets_a_run_finish_and_kills_the_one_past_the_grace() {
    if !require_sandbox("graceful shutdown") {
        return;
    }
    let mut s = Server::start(&["--shutdown-grace", "2s"]);
    let marker = format!("localeval-test-marker-{}", std::process::id());
    let base = s.base.clone();
    let spawn = |code: String| {
        let url = format!("{base}/api/v1/execute");
        std::thread::spawn(move || {
            client()
                .post(url)
                .json(&json!({"language": "bash", "code": code, "timeout": 60}))
                .send()
                .map(|r| (r.status().as_u16(), r.json::<Value>().ok()))
        })
    };
    let short = spawn("sleep 1; echo finished".to_string());
    let long = spawn(format!("exec -a {marker} /bin/sleep 30"));
    // Wait until both run, and note the long run's cgroups.
    let until = Instant::now() + Duration::from_secs(20);
    let long_pids = loop {
        let pids = processes_with(&marker);
        let (_, stats) = get(&s, "/api/v1/stats");
        if !pids.is_empty() && stats["running"] == 2 {
            break pids;
        }
        assert!(Instant::now() < until, "the runs did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    let cgroups: Vec<_> = long_pids.iter().flat_map(|p| run_cgroups_of(*p)).collect();
    let (_, health) = get(&s, "/health");
    if health["cgroup_mode"] != "none" {
        assert!(!cgroups.is_empty(), "the run's cgroups were not found");
    }
    let stopping = Instant::now();
    s.signal("TERM");

    // The short run completes normally within the grace.
    let (status, r) = short.join().unwrap().expect("the short run answers");
    assert_eq!(status, 200);
    let r = r.expect("JSON");
    assert_eq!(
        (r["verdict"].as_str(), r["stdout"].as_str()),
        (Some("OK"), Some("finished\n")),
        "{r}"
    );
    // New connections are refused once shutdown began.
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        client().get(s.url("/ping")).send().is_err(),
        "still accepting after SIGTERM"
    );

    // The long one is killed once the grace is over; the server exits.
    let status = s.wait(Duration::from_secs(20)).expect("the server exits");
    assert!(status.success(), "{status:?}");
    let took = stopping.elapsed();
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(15),
        "{took:?}"
    );
    // Either an answer that is not OK, or the connection closed: never a normal result.
    if let Ok((_, Some(r))) = long.join().unwrap() {
        assert_ne!(r["verdict"], "OK", "{r}");
    }
    let until = Instant::now() + Duration::from_secs(5);
    while !processes_with(&marker).is_empty() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        processes_with(&marker).is_empty(),
        "the long run survived the service"
    );
    let left: Vec<_> = cgroups.iter().filter(|d| d.exists()).collect();
    assert!(left.is_empty(), "cgroups left behind: {left:?}");
    assert!(
        descendants(s.pid).is_empty(),
        "processes of the server left"
    );
}
