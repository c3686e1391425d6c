//! Image references (`python:3.12-slim`, `docker.io/library/python:3.12`,
//! `ghcr.io/org/img@sha256:…`, `localhost:5000/x:y`; Docker Hub by default), the transport
//! rule (HTTPS, plain HTTP only for loopback registries or when asked) and credentials
//! (given, or from `~/.docker/config.json`).

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine;
use oci_client::Reference;

use super::ImageError;

/// A parsed, normalized image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    pub(crate) inner: Reference,
}

impl ImageRef {
    pub fn parse(text: &str) -> Result<ImageRef, ImageError> {
        if text.is_empty() || text.len() > 1024 || text.chars().any(|c| c.is_whitespace()) {
            return Err(ImageError::BadReference {
                reference: text.to_string(),
                why: "empty, too long or with whitespace".into(),
            });
        }
        let inner: Reference = text.parse().map_err(|e| ImageError::BadReference {
            reference: text.to_string(),
            why: format!("{e}"),
        })?;
        if let Some(digest) = inner.digest() {
            check_digest(digest).map_err(|why| ImageError::BadReference {
                reference: text.to_string(),
                why,
            })?;
        }
        Ok(ImageRef { inner })
    }

    /// The registry as written (`docker.io`, `127.0.0.1:5000`).
    pub fn registry(&self) -> &str {
        self.inner.registry()
    }

    /// The registry actually contacted (`index.docker.io` for Docker Hub).
    pub fn resolved_registry(&self) -> &str {
        self.inner.resolve_registry()
    }

    pub fn repository(&self) -> &str {
        self.inner.repository()
    }

    pub fn tag(&self) -> Option<&str> {
        self.inner.tag()
    }

    pub fn digest(&self) -> Option<&str> {
        self.inner.digest()
    }

    /// The same repository at a given digest.
    pub fn at_digest(&self, digest: &str) -> ImageRef {
        ImageRef {
            inner: Reference::with_digest(
                self.inner.registry().to_string(),
                self.inner.repository().to_string(),
                digest.to_string(),
            ),
        }
    }

    /// Whether the registry is on this machine (`localhost`, `127.0.0.0/8`, `::1`).
    pub fn is_loopback(&self) -> bool {
        is_loopback_registry(self.registry())
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.whole())
    }
}

/// `host[:port]` names this machine.
pub fn is_loopback_registry(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        registry.rsplit_once(':').map_or(registry, |(h, _)| h)
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

/// Only `sha256:` and 64 lowercase hex digits: digests name files in the store.
pub fn check_digest(digest: &str) -> Result<&str, String> {
    let hex = digest
        .strip_prefix("sha256:")
        .ok_or_else(|| format!("digest `{digest}` is not sha256 (the only algorithm supported)"))?;
    if hex.len() != 64
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(format!("digest `{digest}` is not 64 lowercase hex digits"));
    }
    Ok(hex)
}

/// Credentials for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({}, <hidden>)", self.username)
    }
}

impl Credentials {
    /// `user:password`.
    pub fn parse(text: &str) -> Option<Credentials> {
        let (username, password) = text.split_once(':')?;
        Some(Credentials {
            username: username.to_string(),
            password: password.to_string(),
        })
    }
}

/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker/config.json"))
}

/// The `auths` entry for `registry` in a Docker config file (`auth` = base64 `user:pass`, or
/// `username`/`password`). A missing file is no credentials; an unreadable one is an error.
pub fn docker_config_credentials(
    path: &Path,
    registry: &str,
) -> Result<Option<Credentials>, ImageError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ImageError::Credentials {
                path: path.display().to_string(),
                message: e.to_string(),
            })
        }
    };
    let bad = |message: String| ImageError::Credentials {
        path: path.display().to_string(),
        message,
    };
    let config: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let Some(auths) = config.get("auths").and_then(|a| a.as_object()) else {
        return Ok(None);
    };
    let mut keys = vec![
        registry.to_string(),
        format!("https://{registry}"),
        format!("http://{registry}"),
        format!("https://{registry}/v1/"),
        format!("https://{registry}/v2/"),
    ];
    if registry == "docker.io" || registry == "index.docker.io" {
        keys.push("https://index.docker.io/v1/".into());
        keys.push("docker.io".into());
        keys.push("index.docker.io".into());
    }
    for key in keys {
        let Some(entry) = auths.get(&key) else {
            continue;
        };
        if let Some(auth) = entry.get("auth").and_then(|a| a.as_str()) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|e| bad(format!("auths.{key}.auth: {e}")))?;
            let decoded = String::from_utf8(decoded)
                .map_err(|_| bad(format!("auths.{key}.auth is not UTF-8")))?;
            return Credentials::parse(&decoded)
                .map(Some)
                .ok_or_else(|| bad(format!("auths.{key}.auth is not user:password")));
        }
        if let (Some(u), Some(p)) = (
            entry.get("username").and_then(|u| u.as_str()),
            entry.get("password").and_then(|p| p.as_str()),
        ) {
            return Ok(Some(Credentials {
                username: u.into(),
                password: p.into(),
            }));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_in_the_usual_forms_parse() {
        let r = ImageRef::parse("python:3.12-slim").unwrap();
        assert_eq!(r.registry(), "docker.io");
        assert_eq!(r.repository(), "library/python");
        assert_eq!(r.tag(), Some("3.12-slim"));
        assert!(!r.is_loopback());
        let r = ImageRef::parse("localhost:5000/x:y").unwrap();
        assert_eq!(
            (r.registry(), r.repository(), r.tag()),
            ("localhost:5000", "x", Some("y"))
        );
        assert!(r.is_loopback());
        let d = format!("sha256:{}", "a".repeat(64));
        let r = ImageRef::parse(&format!("ghcr.io/org/img@{d}")).unwrap();
        assert_eq!(r.digest(), Some(d.as_str()));
        assert!(ImageRef::parse("127.0.0.1:1/a:b").unwrap().is_loopback());
        assert!(is_loopback_registry("[::1]:5000"));
        assert!(!is_loopback_registry("10.0.0.1:5000"));
        assert!(!ImageRef::parse("127.example.com/a:b")
            .unwrap()
            .is_loopback());
        assert!(ImageRef::parse("a b").is_err());
        assert!(ImageRef::parse("img@sha512:abc").is_err());
    }

    #[test]
    fn docker_config_credentials_are_found_by_registry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(
            &path,
            r#"{"auths":{"127.0.0.1:5000":{"auth":"dXNlcjpwYXNz"},
                "https://index.docker.io/v1/":{"username":"hub","password":"pw"}}}"#,
        )
        .unwrap();
        let c = docker_config_credentials(&path, "127.0.0.1:5000")
            .unwrap()
            .unwrap();
        assert_eq!((c.username.as_str(), c.password.as_str()), ("user", "pass"));
        let c = docker_config_credentials(&path, "docker.io")
            .unwrap()
            .unwrap();
        assert_eq!(c.username, "hub");
        assert!(docker_config_credentials(&path, "ghcr.io")
            .unwrap()
            .is_none());
        assert!(docker_config_credentials(&dir.path().join("none"), "x")
            .unwrap()
            .is_none());
    }
}
