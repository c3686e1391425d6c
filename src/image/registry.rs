//! The distribution protocol through `oci-client`: the anonymous bearer-token flow or basic
//! credentials, manifests and indexes (OCI and Docker v2 schema 2) with the host's platform
//! picked from an index, and blobs streamed to disk with digest and size checked, resumed
//! from a partial file after an interruption.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use futures_util::StreamExt;
use oci_client::client::{BlobResponse, ClientConfig, ClientProtocol};
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::reference::{check_digest, Credentials, ImageRef};
use super::ImageError;

pub const MEDIA_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const MEDIA_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const MEDIA_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const MEDIA_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const ACCEPTED: &[&str] = &[
    MEDIA_OCI_INDEX,
    MEDIA_OCI_MANIFEST,
    MEDIA_DOCKER_LIST,
    MEDIA_DOCKER_MANIFEST,
];
/// Manifests and configs are small; a larger one is refused.
pub const MAX_MANIFEST_BYTES: usize = 4 << 20;

/// A content descriptor from a manifest (only what the store uses; `urls` are ignored so a
/// manifest can never send the client to another host).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    pub size: i64,
    #[serde(default)]
    pub platform: Option<Platform>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Platform {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub variant: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Any {
    #[serde(default)]
    schema_version: Option<i64>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
}

/// An image manifest: its config and layers.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub digest: String,
    pub bytes: Vec<u8>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// A connection to one registry for one repository.
pub struct Remote {
    client: Client,
    auth: RegistryAuth,
    reference: ImageRef,
}

impl Remote {
    /// HTTPS, except for loopback registries and when `insecure` is asked.
    pub fn new(
        reference: &ImageRef,
        credentials: Option<Credentials>,
        insecure: bool,
    ) -> Result<Remote, ImageError> {
        let registry = reference.resolved_registry().to_string();
        let protocol = if reference.is_loopback() || insecure {
            ClientProtocol::HttpsExcept(vec![registry])
        } else {
            ClientProtocol::Https
        };
        let config = ClientConfig {
            protocol,
            platform_resolver: None,
            connect_timeout: Some(std::time::Duration::from_secs(30)),
            read_timeout: Some(std::time::Duration::from_secs(120)),
            user_agent: concat!("localeval/", env!("CARGO_PKG_VERSION")),
            ..Default::default()
        };
        let auth = match credentials {
            Some(c) => RegistryAuth::Basic(c.username, c.password),
            None => RegistryAuth::Anonymous,
        };
        Ok(Remote {
            client: Client::new(config),
            auth,
            reference: reference.clone(),
        })
    }

    fn registry_error(&self, e: impl std::fmt::Display) -> ImageError {
        ImageError::Registry {
            reference: self.reference.to_string(),
            message: e.to_string(),
        }
    }

    /// Fetches a manifest or index, checks its digest (against the reference's, when it has
    /// one) and returns its bytes, digest and parsed form.
    async fn fetch(&self, reference: &Reference) -> Result<(Vec<u8>, String, Any), ImageError> {
        let (bytes, _) = self
            .client
            .pull_manifest_raw(reference, &self.auth, ACCEPTED)
            .await
            .map_err(|e| self.registry_error(e))?;
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(self.unsupported(format!("manifest of {} bytes", bytes.len())));
        }
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        if let Some(expected) = reference.digest() {
            if expected != digest {
                return Err(ImageError::DigestMismatch {
                    expected: expected.to_string(),
                    actual: digest,
                });
            }
        }
        let any: Any = serde_json::from_slice(&bytes)
            .map_err(|e| self.unsupported(format!("manifest is not valid JSON: {e}")))?;
        if any.schema_version != Some(2) {
            return Err(self.unsupported(format!(
                "schemaVersion {:?} (only Docker v2 schema 2 and OCI are supported)",
                any.schema_version
            )));
        }
        Ok((bytes.to_vec(), digest, any))
    }

    fn unsupported(&self, why: String) -> ImageError {
        ImageError::UnsupportedManifest {
            reference: self.reference.to_string(),
            why,
        }
    }

    /// Resolves the reference to the image manifest for `linux/<arch>`: returns the index
    /// (bytes and digest) when there was one, and the manifest.
    pub async fn resolve(
        &self,
        arch: &str,
    ) -> Result<(Option<(Vec<u8>, String)>, Manifest), ImageError> {
        let (bytes, digest, any) = self.fetch(&self.reference.inner).await?;
        let is_index = matches!(
            any.media_type.as_deref(),
            Some(MEDIA_OCI_INDEX | MEDIA_DOCKER_LIST)
        ) || (any.media_type.is_none() && any.manifests.is_some());
        if !is_index {
            return Ok((None, self.manifest(bytes, digest, any)?));
        }
        let entries = any.manifests.unwrap_or_default();
        let chosen = pick_platform(&entries, arch).ok_or_else(|| ImageError::NoPlatform {
            reference: self.reference.to_string(),
            platform: format!("linux/{arch}"),
            available: entries
                .iter()
                .filter_map(|e| e.platform.as_ref())
                .map(|p| format!("{}/{}", p.os, p.architecture))
                .collect::<Vec<_>>()
                .join(", "),
        })?;
        check_digest(&chosen.digest).map_err(|why| self.unsupported(why))?;
        let inner = self.reference.at_digest(&chosen.digest).inner;
        let (m_bytes, m_digest, m_any) = self.fetch(&inner).await?;
        if m_any.manifests.is_some() {
            return Err(self.unsupported("an index inside an index".into()));
        }
        Ok((
            Some((bytes, digest)),
            self.manifest(m_bytes, m_digest, m_any)?,
        ))
    }

    fn manifest(&self, bytes: Vec<u8>, digest: String, any: Any) -> Result<Manifest, ImageError> {
        match any.media_type.as_deref() {
            None | Some(MEDIA_OCI_MANIFEST) | Some(MEDIA_DOCKER_MANIFEST) => {}
            Some(other) => return Err(self.unsupported(format!("media type {other}"))),
        }
        let config = any
            .config
            .ok_or_else(|| self.unsupported("manifest without config".into()))?;
        let layers = any
            .layers
            .ok_or_else(|| self.unsupported("manifest without layers".into()))?;
        for d in std::iter::once(&config).chain(&layers) {
            check_digest(&d.digest).map_err(|why| self.unsupported(why))?;
            if d.size < 0 {
                return Err(self.unsupported(format!("negative size for {}", d.digest)));
            }
        }
        for l in &layers {
            let t = l.media_type.as_str();
            if !(t.is_empty() || t.contains("tar") || t.contains("rootfs.diff")) {
                return Err(self.unsupported(format!("layer media type {t}")));
            }
        }
        Ok(Manifest {
            digest,
            bytes,
            config,
            layers,
        })
    }

    /// Streams a blob into `partial` (resuming from its current length), checks size and
    /// digest, and renames it to `dest`. On a digest or size mismatch the partial file is
    /// removed; on a transport error it is kept for the next attempt.
    pub async fn fetch_blob(
        &self,
        desc: &Descriptor,
        partial: &Path,
        dest: &Path,
        on_bytes: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<u64, ImageError> {
        let expected = desc.size as u64;
        let store_err = |what: &str, source: std::io::Error| ImageError::Store {
            path: partial.display().to_string(),
            what: what.to_string(),
            source,
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(partial)
            .map_err(|e| store_err("open partial blob", e))?;
        let mut have = file.metadata().map_err(|e| store_err("stat", e))?.len();
        if have > expected {
            file.set_len(0).map_err(|e| store_err("truncate", e))?;
            have = 0;
        }
        let mut hasher = Sha256::new();
        if have > 0 {
            let mut buf = vec![0u8; 1 << 16];
            let mut left = have;
            file.seek(SeekFrom::Start(0))
                .map_err(|e| store_err("seek", e))?;
            while left > 0 {
                let n = file
                    .read(&mut buf[..left.min(1 << 16) as usize])
                    .map_err(|e| store_err("read", e))?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                left -= n as u64;
            }
        }
        let resumed_from = have;
        let descriptor = OciDescriptor {
            media_type: desc.media_type.clone(),
            digest: desc.digest.clone(),
            size: desc.size,
            urls: None,
            ..Default::default()
        };
        let mut stream = if have == expected {
            None
        } else if have > 0 {
            match self
                .client
                .pull_blob_stream_partial(&self.reference.inner, &descriptor, have, None)
                .await
                .map_err(|e| self.registry_error(e))?
            {
                BlobResponse::Partial(s) => Some(s),
                BlobResponse::Full(s) => {
                    // The registry ignored the range: start over.
                    file.set_len(0).map_err(|e| store_err("truncate", e))?;
                    hasher = Sha256::new();
                    have = 0;
                    Some(s)
                }
            }
        } else {
            Some(
                self.client
                    .pull_blob_stream(&self.reference.inner, &descriptor)
                    .await
                    .map_err(|e| self.registry_error(e))?,
            )
        };
        file.seek(SeekFrom::Start(have))
            .map_err(|e| store_err("seek", e))?;
        on_bytes(have, resumed_from);
        if let Some(stream) = stream.as_mut() {
            while let Some(chunk) = stream.next().await {
                let chunk = match chunk {
                    Ok(chunk) => chunk,
                    Err(e) => {
                        let _ = file.sync_data();
                        // oci-client's own digest check fails only at the end: a mismatch.
                        if e.to_string().to_lowercase().contains("digest") {
                            drop(file);
                            let _ = std::fs::remove_file(partial);
                            return Err(ImageError::DigestMismatch {
                                expected: desc.digest.clone(),
                                actual: format!("{e}"),
                            });
                        }
                        return Err(self.registry_error(format!(
                            "download of {} interrupted after {have} bytes: {e}",
                            desc.digest
                        )));
                    }
                };
                have += chunk.len() as u64;
                if have > expected {
                    drop(file);
                    let _ = std::fs::remove_file(partial);
                    return Err(ImageError::SizeMismatch {
                        digest: desc.digest.clone(),
                        expected,
                        actual: have,
                    });
                }
                hasher.update(&chunk);
                file.write_all(&chunk)
                    .map_err(|e| store_err("write blob", e))?;
                on_bytes(have, resumed_from);
            }
        }
        if have != expected {
            drop(file);
            let _ = std::fs::remove_file(partial);
            return Err(ImageError::SizeMismatch {
                digest: desc.digest.clone(),
                expected,
                actual: have,
            });
        }
        let actual = format!("sha256:{}", hex::encode(hasher.finalize()));
        if actual != desc.digest {
            drop(file);
            let _ = std::fs::remove_file(partial);
            return Err(ImageError::DigestMismatch {
                expected: desc.digest.clone(),
                actual,
            });
        }
        file.sync_all().map_err(|e| store_err("fsync blob", e))?;
        drop(file);
        std::fs::rename(partial, dest).map_err(|e| store_err("rename blob into place", e))?;
        Ok(resumed_from)
    }
}

/// The index entry for `linux/<arch>` (arm64 accepts no variant or `v8`); entries for
/// other operating systems (attestations say `unknown/unknown`) are never picked.
pub fn pick_platform<'a>(entries: &'a [Descriptor], arch: &str) -> Option<&'a Descriptor> {
    entries.iter().find(|e| {
        e.platform.as_ref().is_some_and(|p| {
            p.os == "linux"
                && p.architecture == arch
                && match (arch, p.variant.as_deref()) {
                    ("arm64", Some(v)) => v == "v8",
                    _ => true,
                }
        })
    })
}
