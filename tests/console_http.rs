//! The web console over HTTP (src/server/console/mod.rs), against a real `localeval serve`:
//! - `/` and every file it loads are served without the token, from the binary, with a
//!   strict Content-Security-Policy and `nosniff`; unknown console paths are 404s.
//! - The console opens no API route: the API still wants the token, and never takes it
//!   from a URL (`?token=`), so no page can leak it into logs or history.
//! - No state-changing GET: every route that starts or changes something answers GET
//!   with 405.
//! - The page's code writes server text as text: no `innerHTML` & co., no inline script.
//! - The executions list filters by language, verdict and endpoint (what the console's
//!   filters ask for).

mod server_support;

use reqwest::blocking::Response;
use serde_json::json;
use server_support::{client, require_sandbox, Server};

const TOKEN: &str = "console-test-token-5d1f";

fn raw_get(server: &Server, path: &str) -> Response {
    client().get(server.url(path)).send().unwrap()
}

fn header(r: &Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The `/console/...` paths `index.html` loads (every `src=` and `href=`).
fn referenced_assets(index: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for (i, _) in index.match_indices(attr) {
            let rest = &index[i + attr.len()..];
            let value = &rest[..rest.find('"').unwrap()];
            if value.starts_with("/console/") {
                paths.push(value.to_string());
            }
        }
    }
    paths
}

fn assert_strict_policy(r: &Response, what: &str) {
    let csp = header(r, "content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self';",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "frame-src blob:",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: {directive} missing: {csp}"
        );
    }
    for loose in ["unsafe-inline", "unsafe-eval", "*", "data: 'self'", "http:"] {
        assert!(!csp.contains(loose), "{what}: {loose} in {csp}");
    }
    assert_eq!(header(r, "x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header(r, "x-frame-options"), "DENY", "{what}");
    assert_eq!(header(r, "referrer-policy"), "no-referrer", "{what}");
}

#[test]
fn console_pages_and_assets_are_served_without_the_token_under_a_strict_policy() {
    if !require_sandbox("console_pages_and_assets") {
        return;
    }
    let server = Server::start(&["--token", TOKEN]);
    let r = raw_get(&server, "/");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
    assert_strict_policy(&r, "/");
    let index = r.text().unwrap();
    assert!(index.contains("<title>localeval console</title>"));

    let assets = referenced_assets(&index);
    assert!(assets.len() >= 15, "{assets:?}");
    for path in &assets {
        let r = raw_get(&server, path);
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let ctype = header(&r, "content-type");
        let want = if path.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            "text/css; charset=utf-8"
        };
        assert_eq!(ctype, want, "{path}");
        assert_strict_policy(&r, path);
        assert!(!r.bytes().unwrap().is_empty(), "{path}");
    }
    // Every embedded file, licences included, is served; the vendored libraries are the
    // ones vendor/README.md names.
    for path in localeval::server::console::asset_paths() {
        let r = raw_get(&server, &format!("/console/{path}"));
        assert_eq!(r.status().as_u16(), 200, "{path}");
    }
    let cm = raw_get(&server, "/console/vendor/codemirror/codemirror.js")
        .text()
        .unwrap();
    assert!(cm.contains("CodeMirror.version = \"5.65.21\""));
    let licence = raw_get(&server, "/console/vendor/uplot/LICENSE")
        .text()
        .unwrap();
    assert!(licence.contains("MIT License"), "{licence}");

    for missing in ["/console/nope.js", "/console/src/main.rs"] {
        let r = raw_get(&server, missing);
        assert_eq!(r.status().as_u16(), 404, "{missing}");
    }
    // Only the embedded files: no path reaches the file system.
    for escape in [
        "/console/..%2fCargo.toml",
        "/console/%2e%2e/%2e%2e/Cargo.toml",
    ] {
        let r = raw_get(&server, escape);
        assert_ne!(r.status().as_u16(), 200, "{escape}");
        assert!(!r.text().unwrap().contains("[package]"), "{escape}");
    }

    // The console opened nothing of the API.
    for path in [
        "/api/v1/health",
        "/api/v1/executions",
        "/api/v1/evals",
        "/openapi.json",
    ] {
        assert_eq!(raw_get(&server, path).status().as_u16(), 401, "{path}");
    }
}

#[test]
fn the_token_is_only_ever_read_from_headers() {
    if !require_sandbox("console_token_headers") {
        return;
    }
    let server = Server::start(&["--token", TOKEN]);
    for path in [
        format!("/api/v1/health?token={TOKEN}"),
        format!("/api/v1/health?access_token={TOKEN}"),
        format!("/api/v1/health?api_key={TOKEN}"),
        format!("/api/v1/evals?token={TOKEN}"),
    ] {
        assert_eq!(raw_get(&server, &path).status().as_u16(), 401, "{path}");
    }
    let r = client()
        .get(server.url("/api/v1/health"))
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    // The page keeps the token in sessionStorage and sends it in a header; it never puts
    // it in a URL, a cookie or localStorage.
    let app = raw_get(&server, "/console/app.js").text().unwrap();
    assert!(app.contains("sessionStorage"));
    assert!(app.contains("headers.Authorization = 'Bearer ' + token()"));
    for leak in [
        "localStorage",
        "document.cookie",
        "token=",
        "?token",
        "&token",
    ] {
        assert!(!app.contains(leak), "app.js mentions {leak}");
    }
}

#[test]
fn the_page_writes_server_text_as_text_and_has_no_inline_script() {
    if !require_sandbox("console_text_only") {
        return;
    }
    let server = Server::start(&[]);
    let index = raw_get(&server, "/").text().unwrap();
    let app = raw_get(&server, "/console/app.js").text().unwrap();
    for sink in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "srcdoc",
        "createContextualFragment",
        "DOMParser",
    ] {
        assert!(!app.contains(sink), "app.js uses {sink}");
    }
    // Every script is a file of this origin; no inline handlers or styles.
    for (i, _) in index.match_indices("<script") {
        let tag = &index[i..i + index[i..].find('>').unwrap()];
        assert!(tag.contains("src=\"/console/"), "inline script: {tag}");
    }
    for inline in [
        " onclick=",
        " onload=",
        " onerror=",
        " style=\"",
        "<style",
        "javascript:",
    ] {
        assert!(!index.contains(inline), "index.html has {inline}");
    }
    // Reports open in a sandboxed frame that runs no script.
    assert!(app.contains("sandbox: 'allow-same-origin'"));
    assert!(!app.contains("allow-scripts"));
}

#[test]
fn no_route_that_changes_state_answers_get() {
    if !require_sandbox("console_no_state_changing_get") {
        return;
    }
    let server = Server::start(&[]);
    for path in [
        "/execute",
        "/api/v1/execute",
        "/api/v1/execute/stream",
        "/api/v1/judge",
        "/api/v1/evals/run-x/cancel",
        "/api/v1/evals/run-x/resume",
        "/api/v1/images/pull",
    ] {
        let r = raw_get(&server, path);
        assert_eq!(r.status().as_u16(), 405, "GET {path}");
    }
    // GET /api/v1/evals lists, it starts nothing.
    let r = raw_get(&server, "/api/v1/evals");
    assert_eq!(r.status().as_u16(), 200);
    let list: serde_json::Value = r.json().unwrap();
    assert_eq!(list["total"], 0, "{list}");
    // The console's own routes are read-only.
    for path in ["/", "/console/app.js"] {
        let r = client().post(server.url(path)).body("{}").send().unwrap();
        assert_eq!(r.status().as_u16(), 405, "POST {path}");
    }
}

#[test]
fn executions_are_listed_by_language_verdict_and_endpoint() {
    if !require_sandbox("console_execution_filters") {
        return;
    }
    let server = Server::start(&[]);
    let run = |code: &str| {
        let r = client()
            .post(server.url("/api/v1/execute"))
            .json(&json!({"language": "python", "code": code}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    };
    run("print(1)");
    run("raise SystemExit(3)");
    run("print(2)");
    let r = client()
        .post(server.url("/execute"))
        .json(&json!({"language": "bash", "code": "echo hi"}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    let list = |query: &str| -> serde_json::Value {
        let r = raw_get(&server, &format!("/api/v1/executions{query}"));
        assert_eq!(r.status().as_u16(), 200, "{query}");
        r.json().unwrap()
    };
    let all = list("");
    assert_eq!(all["total"], 4, "{all}");
    let ok = list("?verdict=OK");
    assert_eq!(ok["total"], 3, "{ok}");
    let re = list("?verdict=RE&language=python");
    assert_eq!(re["total"], 1, "{re}");
    assert_eq!(re["items"][0]["verdict"], "RE");
    let python_ok = list("?verdict=OK&language=python&limit=1");
    assert_eq!(python_ok["total"], 2);
    assert_eq!(python_ok["items"].as_array().unwrap().len(), 1);
    let bash = list("?endpoint=/execute");
    assert_eq!(bash["total"], 1, "{bash}");
    assert_eq!(bash["items"][0]["language"], "bash");
    assert_eq!(list("?language=cobol")["total"], 0);
    assert_eq!(
        list("?language=")["total"],
        4,
        "an empty filter selects all"
    );
    let r = raw_get(&server, "/api/v1/executions?colour=red");
    assert_eq!(r.status().as_u16(), 400);
}
