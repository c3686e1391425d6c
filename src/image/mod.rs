//! **image**: OCI images from registries as sandbox roots, with no daemon.
//!
//! - [`reference`]: image references in the usual forms, registry auth and transport rules.
//! - [`registry`]: the distribution protocol (through `oci-client`): manifests, indexes and
//!   the host's platform, blobs streamed to disk with digest and size checked, resumable.
//! - [`store`]: the content-addressed store (`blobs/sha256/…`, `roots/<digest>`), pulls
//!   coalesced by file locks, the image records, `gc`.
//! - [`unpack`]: layer extraction by docs/SECURITY.md §2.3 (fd-relative, never through a link).
//! - [`cli`]: `localeval pull | images | rmi | gc`.

pub mod cli;
pub mod reference;
pub mod registry;
pub mod store;
pub mod unpack;

pub use reference::ImageRef;
pub use store::{
    GcReport, ImageConfig, ImageRecord, Lease, NoProgress, PullEvent, PullOptions, PullProgress,
    Store, StoreOptions,
};
pub use unpack::UnpackLimits;

/// Everything that can go wrong pulling, storing or unpacking an image.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("invalid image reference `{reference}`: {why}")]
    BadReference { reference: String, why: String },
    #[error(
        "registry {registry} would be reached over plain HTTP; only loopback registries may be \
         (pass --insecure to allow it)"
    )]
    InsecureRefused { registry: String },
    #[error("registry error for {reference}: {message}")]
    Registry { reference: String, message: String },
    #[error("cannot read the registry credentials in {path}: {message}")]
    Credentials { path: String, message: String },
    #[error("unsupported manifest for {reference}: {why}")]
    UnsupportedManifest { reference: String, why: String },
    #[error("no manifest for platform {platform} in the index of {reference} (has: {available})")]
    NoPlatform {
        reference: String,
        platform: String,
        available: String,
    },
    #[error("blob {digest}: expected {expected} bytes, the registry sent {actual}; nothing kept")]
    SizeMismatch {
        digest: String,
        expected: u64,
        actual: u64,
    },
    #[error("blob {expected}: content hashes to {actual}; the download was discarded")]
    DigestMismatch { expected: String, actual: String },
    #[error("blob {digest} is {size} bytes, over the store's cap of {cap}")]
    BlobTooLarge { digest: String, size: u64, cap: u64 },
    #[error("layer entry `{entry}` refused: {why}")]
    BadLayer { entry: String, why: String },
    #[error("image too large to unpack: {0}")]
    TooLarge(String),
    #[error("unpacking failed ({what}): {source}")]
    Unpack {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("image store {path}: {what}: {source}")]
    Store {
        path: String,
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("image config of {reference} is invalid: {why}")]
    BadConfig { reference: String, why: String },
    #[error("no image `{0}` in the store (pull it first: localeval pull {0})")]
    NotFound(String),
    #[error("image `{0}` matches more than one image in the store; use its full digest")]
    Ambiguous(String),
    #[error(transparent)]
    Rootfs(#[from] crate::rootfs::RootfsError),
}

/// The image platform of this host, as OCI names it (`linux/amd64`, `linux/arm64`…).
pub fn host_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        other => other,
    }
}

/// Environment variables an image may not set for the sandboxed program: the dynamic
/// loader's (`LD_*`) and the rest of glibc's list of variables it drops for setuid programs.
pub fn env_is_allowed(name: &str) -> bool {
    const DENY: &[&str] = &[
        "GCONV_PATH",
        "GETCONF_DIR",
        "HOSTALIASES",
        "LOCALDOMAIN",
        "LOCPATH",
        "MALLOC_TRACE",
        "NIS_PATH",
        "NLSPATH",
        "RESOLV_HOST_CONF",
        "RES_OPTIONS",
        "TMPDIR",
        "TZDIR",
    ];
    !name.is_empty()
        && !name.starts_with("LD_")
        && !name.starts_with("MALLOC_")
        && !DENY.contains(&name)
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}
