//! The registry behind bearer-token auth (distribution's `auth: token`): a tiny token server
//! on loopback hands out JWTs signed (RS256) with a key made by `openssl` for this test; the
//! pull follows the registry's `WWW-Authenticate: Bearer realm=…` challenge to it.

mod image_support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use base64::Engine;
use image_support::{skip, Registry, RegistryOptions};
use localeval::image::{NoProgress, PullOptions, Store};

fn b64url(data: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A self-signed certificate and its key in `dir`.
fn make_key(dir: &Path, name: &str) -> (String, String) {
    let key = dir.join(format!("{name}.key")).display().to_string();
    let cert = dir.join(format!("{name}.pem")).display().to_string();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &key,
        "-out",
        &cert,
        "-days",
        "2",
        "-subj",
        "/CN=localeval-test-token",
    ]);
    (key, cert)
}

/// A JWT for the registry: RS256 over header and claims, the signing certificate in `x5c`,
/// pull and push on every test repository.
fn token(key: &str, cert: &str, dir: &Path) -> String {
    let der = openssl(&["x509", "-in", cert, "-outform", "DER"]);
    let header = serde_json::json!({
        "typ": "JWT",
        "alg": "RS256",
        "x5c": [base64::engine::general_purpose::STANDARD.encode(&der)],
    });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let access: Vec<_> = ["busybox", "layered", "workdir", "big", "multi"]
        .iter()
        .map(|name| {
            serde_json::json!({"type": "repository", "name": name, "actions": ["pull", "push"]})
        })
        .collect();
    let claims = serde_json::json!({
        "iss": "localeval-test-issuer",
        "sub": "",
        "aud": "localeval-test",
        "exp": now + 3600,
        "nbf": now - 60,
        "iat": now - 60,
        "jti": format!("localeval-{now}"),
        "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let input = dir.join("signing-input");
    std::fs::write(&input, &signing_input).unwrap();
    let signature = openssl(&["dgst", "-sha256", "-sign", key, input.to_str().unwrap()]);
    format!("{signing_input}.{}", b64url(&signature))
}

/// Serves `token` to every request on a loopback port; records each request line.
fn token_server(token: Arc<Mutex<String>>) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if line == "\r\n" || line == "\n" => break,
                    Ok(_) => {}
                }
            }
            log.lock().unwrap().push(request_line.trim().to_string());
            let t = token.lock().unwrap().clone();
            let body =
                serde_json::json!({"token": t, "access_token": t, "expires_in": 3600}).to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, seen)
}

#[test]
fn pulls_through_the_bearer_token_flow() {
    if Command::new("openssl").arg("version").output().is_err() {
        skip("openssl is not installed (apt-get install openssl)");
        return;
    }
    let keys = tempfile::tempdir().unwrap();
    let (key, cert) = make_key(keys.path(), "trusted");
    let good = token(&key, &cert, keys.path());
    let served = Arc::new(Mutex::new(good.clone()));
    let (port, seen) = token_server(served.clone());
    let realm = format!("http://127.0.0.1:{port}/token");
    let Some(registry) = Registry::start_with(RegistryOptions {
        token: Some((&realm, Path::new(&cert))),
        ..Default::default()
    }) else {
        return;
    };
    let reference = registry.reference("busybox");

    // Without a token the registry refuses and names the realm.
    let v2 = reqwest::blocking::get(format!("http://127.0.0.1:{}/v2/", registry.port)).unwrap();
    assert_eq!(v2.status().as_u16(), 401);
    let challenge = v2.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains(&realm),
        "{challenge}"
    );

    // A token signed by a key the registry does not trust is refused: the pull fails
    // clearly and leaves no image.
    let (bad_key, bad_cert) = make_key(keys.path(), "untrusted");
    *served.lock().unwrap() = token(&bad_key, &bad_cert, keys.path());
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    let err = store
        .pull_blocking(&reference, &PullOptions::default(), Arc::new(NoProgress))
        .unwrap_err()
        .to_string();
    assert!(err.contains("registry error"), "{err}");
    assert!(store.list().unwrap().is_empty());

    // With the trusted token the pull goes through and the image is whole.
    *served.lock().unwrap() = good;
    let record = store
        .pull_blocking(&reference, &PullOptions::default(), Arc::new(NoProgress))
        .unwrap();
    assert_eq!(record.reference, reference);
    let root = store.root_path(&record.digest);
    assert_eq!(
        std::fs::read_to_string(root.join("hello")).unwrap(),
        "hello-from-busybox\n"
    );
    // The client asked the token server for pull access to the repository.
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter().any(|l| l.starts_with("GET /token?")
            && l.contains("service=localeval-test")
            && (l.contains("repository%3Abusybox%3Apull")
                || l.contains("repository:busybox:pull"))),
        "{seen:?}"
    );
}
