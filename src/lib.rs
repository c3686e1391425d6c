//! localeval: run untrusted code in a per-execution Linux sandbox built from kernel
//! primitives, serve it over HTTP, and evaluate local LLMs with pass@k.
//!
//! The pipeline, and where each part lives:
//!
//! ```text
//! request ─► plan ─► rootfs ─► jail ─► outcome ─► response
//! ```
//!
//! - [`plan`]: requests lowered into validated, immutable plans (no system calls).
//! - [`catalog`], [`limits`]: the language catalog and the limits a plan carries.
//! - [`rootfs`]: the host profile, or a prepared image root.
//! - [`jail`]: namespaces, cgroups, mounts, ids, capabilities, seccomp, execve; the
//!   supervisor that enforces time and output limits; the single-threaded launcher.
//! - [`outcome`]: verdicts, captured output, usage and provenance.
//! - [`execute`]: a plan's steps (compile, run) through a jail runner.
//! - `sys`: the one module with `unsafe` code and raw system calls.

pub mod catalog;
pub mod doctor;
pub mod eval;
pub mod execute;
pub mod image;
pub mod install;
pub mod jail;
pub mod limits;
pub mod outcome;
pub mod plan;
pub mod rootfs;
#[allow(unsafe_code)]
pub mod sys;

/// The version recorded in every result's provenance.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub mod server;
