//! The web console at `/`: playground, executions, evaluations (with their reports and
//! comparisons), images and health, as static pages embedded in the binary that talk to
//! the JSON API with the same token as any client (docs/SECURITY.md 2.7: the console adds
//! no route of its own that reads or changes anything).
//!
//! - Every asset is compiled in (`include_bytes!`): no build step, no network, and a
//!   fixed set of paths (anything else under `/console/` is a 404).
//! - The pages and assets carry no secret, so they are served without the token; the
//!   page asks for the token, keeps it in `sessionStorage` and sends it as
//!   `Authorization: Bearer` (never in a URL: the API reads it from headers only).
//! - A strict Content-Security-Policy: scripts only from this origin (no inline script,
//!   no `eval`), inline style only the HTML report's one stylesheet (allowed by its
//!   hash), no form submission, no framing of the console; reports are shown in a
//!   sandboxed frame from a `blob:` URL. Program output and model answers are
//!   attacker-controlled: `app.js` only ever writes them with `textContent`.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{ApiError, Shared};

/// One embedded file.
struct Asset {
    /// The path under `/console/`.
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $type:expr) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_bytes!(concat!("assets/", $path)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";
const MD: &str = "text/markdown; charset=utf-8";

/// Every file the console serves, besides `index.html` at `/`.
static ASSETS: &[Asset] = &[
    asset!("app.js", JS),
    asset!("app.css", CSS),
    asset!("vendor/README.md", MD),
    asset!("vendor/codemirror/LICENSE", TEXT),
    asset!("vendor/codemirror/codemirror.js", JS),
    asset!("vendor/codemirror/codemirror.css", CSS),
    asset!("vendor/codemirror/addon/simple.js", JS),
    asset!("vendor/codemirror/mode/clike.js", JS),
    asset!("vendor/codemirror/mode/css.js", JS),
    asset!("vendor/codemirror/mode/go.js", JS),
    asset!("vendor/codemirror/mode/htmlmixed.js", JS),
    asset!("vendor/codemirror/mode/javascript.js", JS),
    asset!("vendor/codemirror/mode/php.js", JS),
    asset!("vendor/codemirror/mode/python.js", JS),
    asset!("vendor/codemirror/mode/ruby.js", JS),
    asset!("vendor/codemirror/mode/rust.js", JS),
    asset!("vendor/codemirror/mode/shell.js", JS),
    asset!("vendor/codemirror/mode/xml.js", JS),
    asset!("vendor/uplot/LICENSE", TEXT),
    asset!("vendor/uplot/uPlot.iife.min.js", JS),
    asset!("vendor/uplot/uPlot.min.css", CSS),
];

const INDEX: &[u8] = include_bytes!("assets/index.html");

/// The console's Content-Security-Policy. `style-src` allows the HTML report's inline
/// stylesheet by its hash (`crate::eval::report::STYLE`, the report's only inline style),
/// nothing else inline. `frame-src blob:` is the report's frame.
pub fn content_security_policy() -> String {
    let style_hash = base64::engine::general_purpose::STANDARD
        .encode(Sha256::digest(crate::eval::report::STYLE.as_bytes()));
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self' 'sha256-{style_hash}'; \
         img-src 'self' data:; connect-src 'self'; frame-src blob:; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'"
    )
}

/// The routes of the console (no token needed: see the module's comment).
pub fn router() -> Router<Shared> {
    Router::new()
        .route("/", get(index))
        .route("/console/{*path}", get(asset))
}

fn respond(content_type: &'static str, body: &'static [u8]) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        // Assets change with the binary; revalidating them is cheap on loopback.
        (header::CACHE_CONTROL, "no-cache"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    response
}

async fn index() -> Response {
    respond("text/html; charset=utf-8", INDEX)
}

async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.path == path) {
        Some(a) => respond(a.content_type, a.body),
        None => ApiError::new(StatusCode::NOT_FOUND, format!("no console file {path:?}"))
            .into_response(),
    }
}

/// The paths of the embedded files (tests).
pub fn asset_paths() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|a| a.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_follow_the_extension() {
        for a in ASSETS {
            let want = match a.path.rsplit('.').next() {
                Some("js") => JS,
                Some("css") => CSS,
                Some("md") => MD,
                _ => TEXT,
            };
            assert_eq!(a.content_type, want, "{}", a.path);
            assert!(!a.body.is_empty(), "{}", a.path);
        }
    }

    #[test]
    fn the_policy_allows_the_report_style_by_hash_and_no_inline_script() {
        let csp = content_security_policy();
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
        // The hash of the report's stylesheet as a browser computes it (sha256 of the
        // element's text, base64).
        let hash = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(crate::eval::report::STYLE));
        assert!(csp.contains(&format!("'sha256-{hash}'")));
    }
}
