//! `POST /api/v1/images/pull` and `GET /api/v1/images` on a real `localeval serve`, pulling
//! from a real registry on loopback: progress as NDJSON, the allow-list, coalesced
//! concurrent pulls, and a client that goes away mid-pull. Skipped loudly without the
//! registry tools or the sandbox, unless LOCALEVAL_TESTS_MUST_RUN=1.

mod image_support;
mod server_support;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use image_support::Registry;
use localeval::image::{PullOptions, Store};
use serde_json::{json, Value};
use server_support::{client, get, post, require_sandbox, Server};

/// A registry, a store directory and a server whose configuration allows `allowed`
/// (written as given) plus the extra TOML lines.
struct Setup {
    registry: Registry,
    _dir: tempfile::TempDir,
    store: PathBuf,
    server: Server,
}

fn setup(test: &str, allowed: &[&str], extra: &str) -> Option<Setup> {
    if !require_sandbox(test) {
        return None;
    }
    let registry = Registry::start(None)?;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let allowed: Vec<String> = allowed
        .iter()
        .map(|name| format!("\"127.0.0.1:{}/{name}\"", registry.port))
        .collect();
    let config = dir.path().join("serve.toml");
    let images = if allowed.is_empty() {
        String::new()
    } else {
        format!("images = [{}]\n", allowed.join(", "))
    };
    std::fs::write(&config, format!("{images}{extra}")).unwrap();
    let server = Server::start(&[
        "--store",
        store.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    Some(Setup {
        registry,
        _dir: dir,
        store,
        server,
    })
}

/// Starts a pull; the response, checked to be a 200 NDJSON stream.
fn start_pull(server: &Server, body: &Value) -> BufReader<reqwest::blocking::Response> {
    let response = client()
        .post(server.url("/api/v1/images/pull"))
        .json(body)
        .send()
        .expect("the server answers");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/x-ndjson",
        "{:?}",
        response.headers()
    );
    BufReader::new(response)
}

fn next_line(reader: &mut BufReader<reqwest::blocking::Response>) -> Option<Value> {
    let mut line = String::new();
    if reader.read_line(&mut line).expect("reading the stream") == 0 {
        return None;
    }
    Some(serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}")))
}

/// Pulls to the end; every line.
fn pull_lines(server: &Server, image: &str) -> Vec<Value> {
    let mut reader = start_pull(server, &json!({ "image": image }));
    std::iter::from_fn(|| next_line(&mut reader)).collect()
}

fn status(line: &Value) -> &str {
    line["status"].as_str().unwrap_or_else(|| panic!("{line}"))
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// Waits (a little) for `locks/` to be empty: a pull aborted while it waited for a lock
/// releases it when that wait ends.
fn assert_no_locks_left(store: &Path) {
    let until = Instant::now() + Duration::from_secs(10);
    while !entries(&store.join("locks")).is_empty() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        entries(&store.join("locks")),
        Vec::<String>::new(),
        "lock files left"
    );
}

/// Holds one of the store's locks exclusively, as a pull or `gc` would, until dropped
/// (closing releases it; the file stays for the server's pulls to reuse and remove).
fn hold_lock(store: &Path, name: &str) -> File {
    Store::open(store).unwrap();
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(store.join("locks").join(name))
        .unwrap();
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive).unwrap();
    file
}

#[test]
fn a_pull_over_http_streams_its_progress_and_lands_in_the_store() {
    let Some(s) = setup("http pull", &["busybox", "no-such-image"], "") else {
        return;
    };
    let reference = s.registry.reference("busybox");
    // Written without `:latest` in the configuration: references compare normalized.
    let lines = pull_lines(&s.server, &format!("127.0.0.1:{}/busybox", s.registry.port));
    assert_eq!(
        lines[0],
        json!({"status": "pulling manifest", "image": reference})
    );
    let resolved = lines
        .iter()
        .find(|l| status(l) == "resolved")
        .expect("a resolved line");
    let last = lines.last().unwrap();
    assert_eq!(status(last), "success", "{lines:?}");
    let records = Store::open(&s.store).unwrap().list().unwrap();
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(last["image"], reference);
    assert_eq!(last["root_digest"], record.digest);
    assert_eq!(
        last["digest"], record.digest,
        "not an index: the same digest"
    );
    assert_eq!(last["size"], record.size);
    assert_eq!(last["cached"], false);
    assert_eq!(resolved["digest"], record.digest);
    assert_eq!(resolved["layers"], record.layers.len());
    assert_eq!(resolved["total"], record.size);
    // Every blob (config and layers) was downloaded, counted up to its size, then stored.
    for digest in std::iter::once(&record.config_digest).chain(&record.layers) {
        let progress: Vec<&Value> = lines
            .iter()
            .filter(|l| status(l) == "downloading" && l["digest"] == *digest)
            .collect();
        let final_progress = progress
            .last()
            .unwrap_or_else(|| panic!("{digest}: {lines:?}"));
        assert_eq!(final_progress["completed"], final_progress["total"]);
        assert!(lines
            .iter()
            .any(|l| *l == json!({"status": "downloaded", "digest": digest, "cached": false})));
    }
    assert!(lines
        .iter()
        .any(|l| *l == json!({"status": "unpacking", "digest": record.digest})));
    assert!(Store::open(&s.store)
        .unwrap()
        .root_path(&record.digest)
        .join("hello")
        .exists());

    // Listed like `localeval images --json`.
    let (code, listed) = get(&s.server, "/api/v1/images");
    assert_eq!(code, 200, "{listed}");
    assert_eq!(listed, serde_json::to_value(&records).unwrap());

    // Again: everything is there, nothing is downloaded.
    let lines = pull_lines(&s.server, &reference);
    let last = lines.last().unwrap();
    assert_eq!(status(last), "success", "{lines:?}");
    assert_eq!(last["cached"], true);
    assert!(
        !lines.iter().any(|l| status(l) == "downloading"),
        "{lines:?}"
    );

    // An allowed image the registry does not have: the stream ends with the error.
    let lines = pull_lines(&s.server, &s.registry.reference("no-such-image"));
    let last = lines.last().unwrap();
    assert_eq!(status(last), "error", "{lines:?}");
    assert!(
        last["error"].as_str().unwrap().contains("no-such-image"),
        "{last}"
    );
    assert_no_locks_left(&s.store);

    // Refused before anything starts: images the configuration does not list, plain HTTP
    // to a registry it does not list, and what is not a reference at all.
    let other = s.registry.reference("layered");
    let (code, body) = post(&s.server, "/api/v1/images/pull", &json!({ "image": other }));
    assert_eq!(code, 403, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains(&other) && error.contains("`images`"),
        "{error}"
    );
    assert!(Store::open(&s.store).unwrap().find(&other).is_err());
    let (code, body) = post(
        &s.server,
        "/api/v1/images/pull",
        &json!({"image": "registry.example:5000/x", "insecure": true}),
    );
    assert_eq!(code, 403, "{body}");
    let (code, body) = post(
        &s.server,
        "/api/v1/images/pull",
        &json!({"image": "Not A Reference"}),
    );
    assert_eq!(code, 400, "{body}");
    let (code, body) = post(&s.server, "/api/v1/images/pull", &json!({"name": "x"}));
    assert_eq!(code, 400, "{body}");

    // Described in the OpenAPI document.
    let (_, doc) = get(&s.server, "/openapi.json");
    assert!(doc["paths"]["/api/v1/images/pull"]["post"].is_object());
    assert!(doc["paths"]["/api/v1/images"]["get"].is_object());
}

#[test]
fn plain_http_off_loopback_needs_insecure_registries() {
    let Some(s) = setup(
        "http pull insecure",
        &[],
        "images = [\"registry.example:5000/x\", \"other.example/y\"]\n\
         insecure_registries = [\"registry.example:5000\"]\n",
    ) else {
        return;
    };
    // Listed: the pull starts (and fails only because the host does not exist).
    let mut reader = start_pull(
        &s.server,
        &json!({"image": "registry.example:5000/x", "insecure": true}),
    );
    let lines: Vec<Value> = std::iter::from_fn(|| next_line(&mut reader)).collect();
    assert_eq!(status(lines.last().unwrap()), "error", "{lines:?}");
    // Not listed: refused, naming the setting.
    let (code, body) = post(
        &s.server,
        "/api/v1/images/pull",
        &json!({"image": "other.example/y", "insecure": true}),
    );
    assert_eq!(code, 403, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("other.example") && error.contains("`insecure_registries`"),
        "{error}"
    );
}

#[test]
fn concurrent_http_pulls_of_one_image_download_each_blob_once() {
    let Some(s) = setup("http pull coalesced", &["big"], "") else {
        return;
    };
    let reference = s.registry.reference("big");
    // Both pulls wait at the store's gc lock (taken shared by every pull) until both are
    // under way, then go at once.
    let gc = hold_lock(&s.store, "gc");
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let pulls: Vec<_> = (0..2)
        .map(|_| {
            let url = s.server.url("/api/v1/images/pull");
            let reference = reference.clone();
            let started = started_tx.clone();
            std::thread::spawn(move || {
                let response = client()
                    .post(url)
                    .json(&json!({ "image": reference }))
                    .send()
                    .unwrap();
                assert_eq!(response.status().as_u16(), 200);
                let mut reader = BufReader::new(response);
                let first = next_line(&mut reader).unwrap();
                assert_eq!(status(&first), "pulling manifest");
                started.send(()).unwrap();
                let mut lines = vec![first];
                lines.extend(std::iter::from_fn(|| next_line(&mut reader)));
                lines
            })
        })
        .collect();
    for _ in 0..2 {
        started_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("both pulls started");
    }
    std::thread::sleep(Duration::from_millis(300));
    drop(gc);
    let streams: Vec<Vec<Value>> = pulls.into_iter().map(|p| p.join().unwrap()).collect();
    let records = Store::open(&s.store).unwrap().list().unwrap();
    assert_eq!(records.len(), 1);
    let record = &records[0];
    for lines in &streams {
        let last = lines.last().unwrap();
        assert_eq!(status(last), "success", "{lines:?}");
        assert_eq!(last["root_digest"], record.digest);
    }
    // Each blob was downloaded by one of the pulls; the other found it in the store.
    for digest in std::iter::once(&record.config_digest).chain(&record.layers) {
        let downloaded_by = streams
            .iter()
            .filter(|lines| {
                lines
                    .iter()
                    .any(|l| status(l) == "downloading" && l["digest"] == *digest)
            })
            .count();
        assert_eq!(
            downloaded_by, 1,
            "{digest} downloaded {downloaded_by} times"
        );
        let cached_for = streams
            .iter()
            .filter(|lines| {
                lines.iter().any(|l| {
                    *l == json!({"status": "downloaded", "digest": digest, "cached": true})
                })
            })
            .count();
        assert_eq!(cached_for, 1, "{digest}: {streams:?}");
    }
    assert_eq!(entries(&s.store.join("roots")).len(), 1);
    assert_no_locks_left(&s.store);
}

#[test]
fn a_client_gone_mid_pull_leaves_no_image_and_the_next_pull_completes() {
    let Some(s) = setup("http pull disconnect", &["big"], "") else {
        return;
    };
    let reference = s.registry.reference("big");
    // The layers' digests, from a pull into another store.
    let probe_dir = tempfile::tempdir().unwrap();
    let probe = Store::open(probe_dir.path())
        .unwrap()
        .pull_blocking(
            &reference,
            &PullOptions::default(),
            std::sync::Arc::new(localeval::image::NoProgress),
        )
        .unwrap();
    // The pull stops at the first layer (its lock is held here) after the config blob.
    let layer = probe.layers[0].trim_start_matches("sha256:").to_string();
    let held = hold_lock(&s.store, &format!("blob-{layer}"));
    let mut reader = start_pull(&s.server, &json!({ "image": reference }));
    loop {
        let line = next_line(&mut reader).expect("the stream ended early");
        assert_ne!(status(&line), "error", "{line}");
        if status(&line) == "downloaded" && line["digest"] == probe.config_digest {
            break;
        }
    }
    // The client goes away; then the layer's lock is free.
    drop(reader);
    std::thread::sleep(Duration::from_millis(500));
    drop(held);
    assert_no_locks_left(&s.store);
    std::thread::sleep(Duration::from_millis(500));
    let (_, listed) = get(&s.server, "/api/v1/images");
    assert_eq!(listed, json!([]), "the abandoned pull went on");
    assert_eq!(entries(&s.store.join("roots")), Vec::<String>::new());
    let store = Store::open(&s.store).unwrap();
    assert!(!store.blob_path(&probe.layers[0]).exists());
    assert!(store.blob_path(&probe.config_digest).exists());

    // The next pull reuses the config blob and completes.
    let lines = pull_lines(&s.server, &reference);
    let last = lines.last().unwrap();
    assert_eq!(status(last), "success", "{lines:?}");
    assert_eq!(last["root_digest"], probe.digest);
    assert!(lines
        .iter()
        .any(|l| *l
            == json!({"status": "downloaded", "digest": probe.config_digest, "cached": true})));
    assert_eq!(store.list().unwrap().len(), 1);
    assert_no_locks_left(&s.store);
}
