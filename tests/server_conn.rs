//! Slow clients (docs/SECURITY.md 2.6): a connection must deliver its request line and headers
//! within `[http] header_timeout` or it is closed, and connections held open by stalled
//! clients never keep other clients waiting.

mod server_support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;
use server_support::*;

/// A server whose header timeout is `timeout` (a duration as the file takes it).
fn server_with_header_timeout(dir: &tempfile::TempDir, timeout: &str) -> Server {
    let config = dir.path().join("serve.toml");
    std::fs::write(&config, format!("[http]\nheader_timeout = \"{timeout}\"\n")).unwrap();
    Server::start(&["--config", config.to_str().unwrap()])
}

fn connect(s: &Server) -> TcpStream {
    let address = s.base.trim_start_matches("http://");
    TcpStream::connect(address).unwrap_or_else(|e| panic!("connect to {address}: {e}"))
}

/// Waits (at most until `deadline`) for the server to close `stream`; what it sent before.
fn wait_closed(stream: &mut TcpStream, deadline: Instant, what: &str) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "{what}: still open at the deadline");
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return got,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("{what}: still open at the deadline")
            }
            Err(e) => panic!("{what}: {e}"),
        }
    }
}

/// Whatever the server sent a client it cut off: nothing, or an HTTP error status.
fn assert_no_answer_but_an_error(sent: &[u8], what: &str) {
    let text = String::from_utf8_lossy(sent);
    assert!(
        sent.is_empty() || text.starts_with("HTTP/1.1 4"),
        "{what}: the server sent {text:?}"
    );
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn clients_that_stall_before_their_headers_end_are_cut_off_at_the_timeout() {
    if !require_sandbox("header timeout") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = server_with_header_timeout(&dir, "1s");
    let started = Instant::now();
    // Half a request line, then nothing.
    let mut half_line = connect(&s);
    half_line.write_all(b"POST /api/v1/exe").unwrap();
    // Nothing at all.
    let mut silent = connect(&s);
    // A request line and headers trickled a byte at a time, never finished in time.
    let mut trickled = connect(&s);
    let mut writer = trickled.try_clone().unwrap();
    let trickle = std::thread::spawn(move || {
        let head = b"GET /ping HTTP/1.1\r\nHost: localhost\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
        for byte in head.iter() {
            if writer.write_all(&[*byte]).is_err() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    });
    let deadline = started + Duration::from_secs(5);
    for (stream, what) in [
        (&mut half_line, "half a request line"),
        (&mut silent, "a silent connection"),
        (&mut trickled, "a trickled request head"),
    ] {
        let sent = wait_closed(stream, deadline, what);
        assert_no_answer_but_an_error(&sent, what);
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(900),
        "closed after {elapsed:?}, before the 1 s timeout: by something else"
    );
    assert!(
        trickle.join().unwrap(),
        "the trickled head was written whole: the server waited 8 s for it"
    );
    // The server itself is fine.
    let (status, _) = get(&s, "/ping");
    assert_eq!(status, 200);
}

#[test]
fn stalled_connections_do_not_keep_other_clients_waiting() {
    if !require_sandbox("slowloris") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = server_with_header_timeout(&dir, "2s");
    let before = open_fds(s.pid);
    let started = Instant::now();
    let mut stalled: Vec<TcpStream> = (0..300)
        .map(|_| {
            let mut c = connect(&s);
            c.write_all(b"POST /api/v1/execute HTTP/1.1\r\nHost: loc")
                .unwrap();
            c
        })
        .collect();
    // Every one of them is accepted (the server holds a descriptor for each)...
    let until = Instant::now() + Duration::from_secs(1);
    while open_fds(s.pid) < before + 300 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let held = open_fds(s.pid);
    assert!(held >= before + 300, "{held} descriptors, {before} before");
    // ...and a new client is served at once, an execution included.
    let asked = Instant::now();
    let (status, r) = post(
        &s,
        "/api/v1/execute",
        &json!({"language": "bash", "code": "echo served"}),
    );
    assert_eq!(
        (status, r["stdout"].as_str()),
        (200, Some("served\n")),
        "{r}"
    );
    let waited = asked.elapsed();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the machine is too slow for this test's timing (setup took {:?})",
        started.elapsed()
    );
    assert!(waited < Duration::from_secs(2), "served after {waited:?}");
    // All 300 are cut off at the timeout, and their descriptors are closed.
    let deadline = started + Duration::from_secs(8);
    for (i, c) in stalled.iter_mut().enumerate() {
        let what = format!("stalled connection {i}");
        let sent = wait_closed(c, deadline, &what);
        assert_no_answer_but_an_error(&sent, &what);
    }
    let until = Instant::now() + Duration::from_secs(2);
    while open_fds(s.pid) > before + 5 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let after = open_fds(s.pid);
    assert!(after <= before + 5, "{after} descriptors, {before} before");
}

#[test]
fn requests_slower_to_run_than_the_header_timeout_are_answered() {
    if !require_sandbox("header timeout, long request") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = server_with_header_timeout(&dir, "1s");
    // The timeout is on the request head only: a run of 2 s is answered.
    let (status, r) = post(
        &s,
        "/api/v1/execute",
        &json!({"language": "bash", "code": "sleep 2; echo late"}),
    );
    assert_eq!((status, r["stdout"].as_str()), (200, Some("late\n")), "{r}");
    // A body that takes longer than the header timeout (under the body timeout) is read.
    let mut c = connect(&s);
    let body = br#"{"language": "bash", "code": "echo slow body"}"#;
    let head = format!(
        "POST /api/v1/execute HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    c.write_all(head.as_bytes()).unwrap();
    c.write_all(&body[..10]).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    c.write_all(&body[10..]).unwrap();
    let answer = wait_closed(
        &mut c,
        Instant::now() + Duration::from_secs(30),
        "slow body",
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""stdout":"slow body\n""#), "{answer}");
}
