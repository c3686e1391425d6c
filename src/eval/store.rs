//! **store**: the results database (SQLite, bundled). Runs, their problems (with the time
//! limits calibrated for them), samples (prompt, raw output, extracted code, generation time,
//! tokens, per-test verdicts) and executions (verdict, usage, image digest, limits).
//!
//! Generations are cached by (backend, model, prompt, parameters, sample index) and
//! executions by (code, test, root filesystem, limits): an interrupted run resumes where it
//! stopped, and a rerun redoes nothing it already has.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::backend::Generation;
use super::dataset::Problem;
use super::grade::TestVerdict;
use super::sandbox::ExecResult;
use crate::outcome::Verdict;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("results database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("results database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("results database holds a record that does not parse: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("no run {0:?} in the results database")]
    NoRun(String),
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    created_ms INTEGER NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT,
    finished_ms INTEGER
);
CREATE TABLE IF NOT EXISTS run_problems (
    run_id TEXT NOT NULL REFERENCES runs(id),
    position INTEGER NOT NULL,
    problem_id TEXT NOT NULL,
    problem TEXT NOT NULL,
    time_limit_ms INTEGER NOT NULL,
    calibration TEXT,
    PRIMARY KEY (run_id, problem_id)
);
CREATE TABLE IF NOT EXISTS run_models (
    run_id TEXT NOT NULL REFERENCES runs(id),
    model TEXT NOT NULL,
    info TEXT,
    PRIMARY KEY (run_id, model)
);
CREATE TABLE IF NOT EXISTS generations (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt TEXT NOT NULL,
    params TEXT NOT NULL,
    sample_index INTEGER NOT NULL,
    raw TEXT NOT NULL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    finish_reason TEXT,
    generation_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS executions (
    key TEXT PRIMARY KEY,
    language TEXT NOT NULL,
    verdict TEXT NOT NULL,
    result TEXT NOT NULL,
    rootfs TEXT NOT NULL,
    rootfs_digest TEXT,
    wall_limit_ms INTEGER NOT NULL,
    limits TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS samples (
    run_id TEXT NOT NULL REFERENCES runs(id),
    model TEXT NOT NULL,
    problem_id TEXT NOT NULL,
    sample_index INTEGER NOT NULL,
    generation_key TEXT NOT NULL,
    extracted TEXT NOT NULL,
    extraction TEXT NOT NULL,
    verdict TEXT NOT NULL,
    passed INTEGER NOT NULL,
    tests TEXT NOT NULL,
    tests_total INTEGER NOT NULL,
    execution_keys TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (run_id, model, problem_id, sample_index)
);
";

/// sha256 (hex) of the JSON of `parts`: the cache keys.
pub fn cache_key(parts: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(parts.to_string().as_bytes()))
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A run as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRow {
    pub id: String,
    pub created_ms: i64,
    pub config: String,
    /// `running`, `complete`, `incomplete`, `failed`.
    pub status: String,
    pub message: Option<String>,
    pub finished_ms: Option<i64>,
}

/// A problem of a run, with its time limit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunProblem {
    pub problem: Problem,
    pub time_limit_ms: u64,
    /// How the limit was chosen (reference time, or why there was none).
    pub calibration: Option<String>,
}

/// A generation as stored with its key's parts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenerationRow {
    pub key: String,
    pub backend: String,
    pub model: String,
    pub prompt: String,
    pub params: String,
    pub sample_index: u32,
    pub generation: Generation,
}

/// A judged sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleRow {
    pub run_id: String,
    pub model: String,
    pub problem_id: String,
    pub sample_index: u32,
    pub generation_key: String,
    pub extracted: String,
    pub extraction: String,
    pub verdict: String,
    pub passed: bool,
    pub tests: Vec<TestVerdict>,
    pub tests_total: usize,
    pub execution_keys: Vec<String>,
}

/// The results database. Calls are short; one connection behind a mutex serves the whole
/// run.
pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        Self::init(conn)
    }

    pub fn in_memory() -> Result<Store, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Store, StoreError> {
        // WAL: a crash mid-run loses at most the write in progress; readers (the HTTP
        // progress endpoint) do not block the run.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn create_run(&self, id: &str, config: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO runs (id, created_ms, config, status) VALUES (?1, ?2, ?3, 'running')",
            params![id, now_ms(), config],
        )?;
        Ok(())
    }

    pub fn run(&self, id: &str) -> Result<RunRow, StoreError> {
        self.conn()
            .query_row(
                "SELECT id, created_ms, config, status, message, finished_ms FROM runs WHERE id = ?1",
                params![id],
                |r| {
                    Ok(RunRow {
                        id: r.get(0)?,
                        created_ms: r.get(1)?,
                        config: r.get(2)?,
                        status: r.get(3)?,
                        message: r.get(4)?,
                        finished_ms: r.get(5)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::NoRun(id.to_string()))
    }

    pub fn runs(&self) -> Result<Vec<RunRow>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT id, created_ms, config, status, message, finished_ms FROM runs ORDER BY created_ms",
        )?;
        let rows = st.query_map([], |r| {
            Ok(RunRow {
                id: r.get(0)?,
                created_ms: r.get(1)?,
                config: r.get(2)?,
                status: r.get(3)?,
                message: r.get(4)?,
                finished_ms: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn set_status(
        &self,
        id: &str,
        status: &str,
        message: Option<&str>,
    ) -> Result<(), StoreError> {
        let finished = (status != "running").then(now_ms);
        self.conn().execute(
            "UPDATE runs SET status = ?2, message = ?3, finished_ms = ?4 WHERE id = ?1",
            params![id, status, message, finished],
        )?;
        Ok(())
    }

    pub fn put_problems(&self, run_id: &str, problems: &[RunProblem]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for (i, p) in problems.iter().enumerate() {
            tx.execute(
                "INSERT OR REPLACE INTO run_problems (run_id, position, problem_id, problem, time_limit_ms, calibration)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    run_id,
                    i as i64,
                    p.problem.id,
                    serde_json::to_string(&p.problem)?,
                    p.time_limit_ms as i64,
                    p.calibration
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn problems(&self, run_id: &str) -> Result<Vec<RunProblem>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT problem, time_limit_ms, calibration FROM run_problems WHERE run_id = ?1 ORDER BY position",
        )?;
        let rows = st.query_map(params![run_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (json, limit, calibration) = row?;
            out.push(RunProblem {
                problem: serde_json::from_str(&json)?,
                time_limit_ms: limit as u64,
                calibration,
            });
        }
        Ok(out)
    }

    pub fn put_model(&self, run_id: &str, model: &str, info: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR REPLACE INTO run_models (run_id, model, info) VALUES (?1, ?2, ?3)",
            params![run_id, model, info],
        )?;
        Ok(())
    }

    pub fn generation(&self, key: &str) -> Result<Option<GenerationRow>, StoreError> {
        let conn = self.conn();
        let row = conn
            .query_row(
                "SELECT key, backend, model, prompt, params, sample_index, raw, prompt_tokens,
                        completion_tokens, finish_reason, generation_ms, attempts
                 FROM generations WHERE key = ?1",
                params![key],
                |r| {
                    Ok(GenerationRow {
                        key: r.get(0)?,
                        backend: r.get(1)?,
                        model: r.get(2)?,
                        prompt: r.get(3)?,
                        params: r.get(4)?,
                        sample_index: r.get(5)?,
                        generation: Generation {
                            text: r.get(6)?,
                            prompt_tokens: r.get::<_, Option<i64>>(7)?.map(|v| v as u64),
                            completion_tokens: r.get::<_, Option<i64>>(8)?.map(|v| v as u64),
                            finish_reason: r.get(9)?,
                            elapsed_ms: r.get::<_, i64>(10)? as u64,
                            attempts: r.get(11)?,
                        },
                    })
                },
            )
            .optional()?;
        Ok(row)
    }

    pub fn put_generation(&self, row: &GenerationRow) -> Result<(), StoreError> {
        let g = &row.generation;
        self.conn().execute(
            "INSERT OR REPLACE INTO generations (key, backend, model, prompt, params, sample_index, raw,
                 prompt_tokens, completion_tokens, finish_reason, generation_ms, attempts, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                row.key,
                row.backend,
                row.model,
                row.prompt,
                row.params,
                row.sample_index,
                g.text,
                g.prompt_tokens.map(|v| v as i64),
                g.completion_tokens.map(|v| v as i64),
                g.finish_reason,
                g.elapsed_ms as i64,
                g.attempts,
                now_ms()
            ],
        )?;
        Ok(())
    }

    pub fn execution(&self, key: &str) -> Result<Option<ExecResult>, StoreError> {
        let json: Option<String> = self
            .conn()
            .query_row(
                "SELECT result FROM executions WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()?;
        Ok(match json {
            Some(j) => Some(serde_json::from_str(&j)?),
            None => None,
        })
    }

    pub fn put_execution(
        &self,
        key: &str,
        language: &str,
        limits: &serde_json::Value,
        result: &ExecResult,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR REPLACE INTO executions (key, language, verdict, result, rootfs, rootfs_digest,
                 wall_limit_ms, limits, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                key,
                language,
                result.verdict.code(),
                serde_json::to_string(result)?,
                result.rootfs,
                result.rootfs_digest,
                result.wall_limit_ms as i64,
                limits.to_string(),
                now_ms()
            ],
        )?;
        Ok(())
    }

    pub fn execution_count(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT COUNT(*) FROM executions", [], |r| {
                r.get::<_, i64>(0)
            })? as u64)
    }

    pub fn generation_count(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT COUNT(*) FROM generations", [], |r| {
                r.get::<_, i64>(0)
            })? as u64)
    }

    pub fn has_sample(
        &self,
        run_id: &str,
        model: &str,
        problem_id: &str,
        index: u32,
    ) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM samples WHERE run_id = ?1 AND model = ?2 AND problem_id = ?3 AND sample_index = ?4",
                params![run_id, model, problem_id, index],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    pub fn put_sample(&self, s: &SampleRow) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR REPLACE INTO samples (run_id, model, problem_id, sample_index, generation_key,
                 extracted, extraction, verdict, passed, tests, tests_total, execution_keys, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                s.run_id,
                s.model,
                s.problem_id,
                s.sample_index,
                s.generation_key,
                s.extracted,
                s.extraction,
                s.verdict,
                s.passed,
                serde_json::to_string(&s.tests)?,
                s.tests_total as i64,
                serde_json::to_string(&s.execution_keys)?,
                now_ms()
            ],
        )?;
        Ok(())
    }

    pub fn samples(&self, run_id: &str) -> Result<Vec<SampleRow>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT run_id, model, problem_id, sample_index, generation_key, extracted, extraction,
                    verdict, passed, tests, tests_total, execution_keys
             FROM samples WHERE run_id = ?1 ORDER BY model, problem_id, sample_index",
        )?;
        let rows = st.query_map(params![run_id], |r| {
            Ok((
                SampleRow {
                    run_id: r.get(0)?,
                    model: r.get(1)?,
                    problem_id: r.get(2)?,
                    sample_index: r.get(3)?,
                    generation_key: r.get(4)?,
                    extracted: r.get(5)?,
                    extraction: r.get(6)?,
                    verdict: r.get(7)?,
                    passed: r.get(8)?,
                    tests: Vec::new(),
                    tests_total: r.get::<_, i64>(10)? as usize,
                    execution_keys: Vec::new(),
                },
                r.get::<_, String>(9)?,
                r.get::<_, String>(11)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut s, tests, keys) = row?;
            s.tests = serde_json::from_str(&tests)?;
            s.execution_keys = serde_json::from_str(&keys)?;
            out.push(s);
        }
        Ok(out)
    }

    pub fn sample_count(&self, run_id: &str) -> Result<u64, StoreError> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM samples WHERE run_id = ?1",
            params![run_id],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Generation time and tokens of a run's samples, by sample.
    pub fn generations_of_run(
        &self,
        run_id: &str,
    ) -> Result<Vec<(String, String, u32, GenerationRow)>, StoreError> {
        let keys: Vec<(String, String, u32, String)> = {
            let conn = self.conn();
            let mut st = conn.prepare(
                "SELECT model, problem_id, sample_index, generation_key FROM samples WHERE run_id = ?1",
            )?;
            let rows = st.query_map(params![run_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        let mut out = Vec::new();
        for (model, problem, index, key) in keys {
            if let Some(g) = self.generation(&key)? {
                out.push((model, problem, index, g));
            }
        }
        Ok(out)
    }

    /// Executions of a run's samples (usage for latency and verdict charts).
    pub fn executions_by_key(&self, keys: &[String]) -> Result<Vec<ExecResult>, StoreError> {
        let mut out = Vec::new();
        for k in keys {
            if let Some(e) = self.execution(k)? {
                out.push(e);
            }
        }
        Ok(out)
    }
}

/// Whether a verdict code counts as a timeout.
pub fn is_timeout(code: &str) -> bool {
    code == Verdict::TimeLimit.code()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(run: &str, i: u32, passed: bool) -> SampleRow {
        SampleRow {
            run_id: run.into(),
            model: "m".into(),
            problem_id: "p".into(),
            sample_index: i,
            generation_key: format!("g{i}"),
            extracted: "print(1)".into(),
            extraction: "whole answer".into(),
            verdict: if passed { "OK".into() } else { "WA".into() },
            passed,
            tests: vec![TestVerdict {
                verdict: "OK".into(),
                passed: true,
                wall_ms: 3,
            }],
            tests_total: 1,
            execution_keys: vec!["e".into()],
        }
    }

    #[test]
    fn runs_samples_and_caches_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/results.sqlite");
        {
            let store = Store::open(&path).unwrap();
            store.create_run("r1", "{}").unwrap();
            store.put_sample(&sample("r1", 0, true)).unwrap();
            store.put_sample(&sample("r1", 1, false)).unwrap();
            store
                .put_generation(&GenerationRow {
                    key: "k".into(),
                    backend: "ollama".into(),
                    model: "m".into(),
                    prompt: "p".into(),
                    params: "{}".into(),
                    sample_index: 0,
                    generation: Generation {
                        text: "out".into(),
                        prompt_tokens: Some(3),
                        completion_tokens: None,
                        finish_reason: Some("stop".into()),
                        elapsed_ms: 12,
                        attempts: 2,
                    },
                })
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.run("r1").unwrap().status, "running");
        assert!(store.has_sample("r1", "m", "p", 1).unwrap());
        assert!(!store.has_sample("r1", "m", "p", 2).unwrap());
        let samples = store.samples("r1").unwrap();
        assert_eq!(samples, vec![sample("r1", 0, true), sample("r1", 1, false)]);
        let g = store.generation("k").unwrap().unwrap();
        assert_eq!(
            (g.generation.text.as_str(), g.generation.attempts),
            ("out", 2)
        );
        assert!(store.generation("other").unwrap().is_none());
        store.set_status("r1", "complete", None).unwrap();
        assert!(store.run("r1").unwrap().finished_ms.is_some());
        assert!(matches!(store.run("nope"), Err(StoreError::NoRun(_))));
    }

    #[test]
    fn cache_keys_depend_on_every_part() {
        let a = cache_key(&serde_json::json!(["ollama", "m", "prompt", 0]));
        assert_eq!(
            a,
            cache_key(&serde_json::json!(["ollama", "m", "prompt", 0]))
        );
        assert_ne!(
            a,
            cache_key(&serde_json::json!(["ollama", "m", "prompt", 1]))
        );
        assert_eq!(a.len(), 64);
    }
}
