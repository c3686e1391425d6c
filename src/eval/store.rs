//! **store**: the results database (SQLite, bundled). Runs, their problems (with the time
//! limits calibrated for them), samples (prompt, raw output, extracted code, generation time,
//! tokens, per-test verdicts) and executions (verdict, usage, image digest, limits).
//!
//! Each sample also keeps its details for reports (what ran, what it printed, why it
//! failed: [`SampleDetail`]), and each run where and by what it was made ([`RunMeta`]);
//! databases made before those columns existed get them by a migration when opened
//! ([`migrate`]).
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
use super::grade::{test_programs, TestVerdict};
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
CREATE TABLE IF NOT EXISTS secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
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
    detail TEXT,
    PRIMARY KEY (run_id, model, problem_id, sample_index)
);
";

/// The schema version [`migrate`] brings a database to (`PRAGMA user_version`).
/// 1: `samples.detail` (per-sample details) and `runs.meta` (host, version).
pub const SCHEMA_VERSION: i64 = 1;

/// Brings a database made by an older localeval to [`SCHEMA_VERSION`]: the columns added
/// since are added (empty for the rows already there; reports show those samples without
/// details). Idempotent: a column that exists is left alone.
fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version >= SCHEMA_VERSION {
        return Ok(());
    }
    let has_column = |table: &str, column: &str| -> Result<bool, rusqlite::Error> {
        let mut st = conn.prepare(&format!("PRAGMA table_info({table})"))?;
        let names = st.query_map([], |r| r.get::<_, String>(1))?;
        for name in names {
            if name? == column {
                return Ok(true);
            }
        }
        Ok(false)
    };
    if !has_column("samples", "detail")? {
        conn.execute_batch("ALTER TABLE samples ADD COLUMN detail TEXT")?;
    }
    if !has_column("runs", "meta")? {
        conn.execute_batch("ALTER TABLE runs ADD COLUMN meta TEXT")?;
    }
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(())
}

/// Bytes of each output stream a sample's details keep: the head and the tail, with what
/// was left out between them said in the text.
pub const EXCERPT_BYTES: usize = 4 * 1024;
/// Bytes of the program (and of its stdin and expected output) a sample's details keep.
pub const PROGRAM_BYTES: usize = 64 * 1024;

/// A bounded piece of text: `text` is all of it when `truncated` is false, else its head
/// and tail around a line saying how many bytes were left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excerpt {
    pub text: String,
    /// Length of the whole text in bytes.
    pub bytes: usize,
    pub truncated: bool,
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

impl Excerpt {
    /// At most about `max` bytes of `s`: half from its start, half from its end.
    pub fn of(s: &str, max: usize) -> Excerpt {
        if s.len() <= max {
            return Excerpt {
                text: s.to_string(),
                bytes: s.len(),
                truncated: false,
            };
        }
        let head = floor_boundary(s, max / 2);
        let tail = ceil_boundary(s, s.len() - max / 2);
        Excerpt {
            text: format!(
                "{}\n[… {} bytes left out …]\n{}",
                &s[..head],
                tail - head,
                &s[tail..]
            ),
            bytes: s.len(),
            truncated: true,
        }
    }
}

/// Where and under which limits a sample's last test ran.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleProvenance {
    /// `host`, an image reference, or `remote`.
    pub rootfs: String,
    pub rootfs_digest: Option<String>,
    pub wall_limit_ms: u64,
    pub memory_limit_mb: u64,
    /// The execution's key in the `executions` table (its cache key).
    pub execution_key: Option<String>,
    /// The sandbox's own error, when the run failed inside it (internal error).
    pub error: Option<String>,
}

/// What a report shows of a sample besides its verdict: the test program that decided it
/// (the failing one, or the last when all passed), that program's output and usage, and
/// the failure in one line. Bounded: [`PROGRAM_BYTES`], [`EXCERPT_BYTES`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleDetail {
    /// The program run (the answer with the problem's tests around it).
    pub program: Excerpt,
    pub stdin: Excerpt,
    /// Output the test expected (stdin/stdout problems).
    pub expected: Option<Excerpt>,
    /// 0-based index of the test shown, of `tests_total`.
    pub test_index: Option<usize>,
    /// The failing test or the exception, in one line; `None` when the sample passed.
    pub failure: Option<String>,
    pub stdout: Excerpt,
    pub stderr: Excerpt,
    pub exit_code: Option<i32>,
    pub wall_ms: u64,
    pub cpu_ms: u64,
    pub peak_memory_bytes: u64,
    pub provenance: SampleProvenance,
}

/// The line of `stderr` that names the exception (Python's last `Error:` line, Java's
/// `Exception in thread`, a panic, a compiler's `error:`), with the test line that raised
/// it when a Python traceback shows one.
pub fn exception_line(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr.lines().map(str::trim_end).collect();
    let is_exception = |l: &str| {
        let t = l.trim_start();
        let head = t.split(':').next().unwrap_or("");
        (!head.is_empty()
            && !head.contains(' ')
            && (head.ends_with("Error")
                || head.ends_with("Exception")
                || head == "KeyboardInterrupt"))
            || t.starts_with("Exception in thread")
            || t.starts_with("thread '") && t.contains("panicked")
            || t.starts_with("panic:")
            || t.contains("error:")
            || t.starts_with("Traceback")
    };
    let at = lines
        .iter()
        .rposition(|l| is_exception(l) && !l.trim_start().starts_with("Traceback"))?;
    let mut line = lines[at].trim().to_string();
    // Python: the source line under the last `File "...", line N` is the test that failed.
    if let Some(src) = lines[..at]
        .iter()
        .rposition(|l| l.trim_start().starts_with("File \""))
        .and_then(|i| lines.get(i + 1))
        .map(|l| l.trim())
        .filter(|l| !l.is_empty() && !l.starts_with("File \"") && !l.starts_with('^'))
    {
        line = format!("{line} (at `{src}`)");
    }
    Some(line.chars().take(500).collect())
}

/// "wrong answer: line N: expected `x`, got `y`" for the first line where the two differ
/// (trailing blanks ignored, as the lines comparison does).
fn first_difference(expected: &str, actual: &str) -> String {
    let show = |l: Option<&str>| match l {
        Some(l) => format!("`{}`", l.trim_end().chars().take(120).collect::<String>()),
        None => "end of output".to_string(),
    };
    let (mut e, mut a) = (expected.lines(), actual.lines());
    for n in 1.. {
        let (x, y) = (e.next(), a.next());
        if x.is_none() && y.is_none() {
            break;
        }
        if x.map(str::trim_end) != y.map(str::trim_end) {
            return format!(
                "wrong answer: line {n}: expected {}, got {}",
                show(x),
                show(y)
            );
        }
    }
    "wrong answer (the output differs in spacing or by a tolerance)".to_string()
}

impl SampleDetail {
    /// The details of a judged sample: `code` is its extracted code, `tests` its test
    /// verdicts in order (judging stops at the first failure), `results` and `keys` the
    /// executions of those tests.
    pub fn of(
        problem: &Problem,
        code: &str,
        tests: &[TestVerdict],
        results: &[ExecResult],
        keys: &[String],
        memory_limit_mb: u64,
        seal_key: &str,
    ) -> SampleDetail {
        let programs = test_programs(problem, code, seal_key);
        let shown = tests
            .iter()
            .position(|t| !t.passed)
            .unwrap_or(tests.len().saturating_sub(1));
        let program = programs.get(shown);
        let mut d = SampleDetail {
            program: Excerpt::of(
                program.map(|p| p.code.as_str()).unwrap_or(""),
                PROGRAM_BYTES,
            ),
            stdin: Excerpt::of(
                program.map(|p| p.stdin.as_str()).unwrap_or(""),
                PROGRAM_BYTES,
            ),
            expected: program
                .and_then(|p| p.expected.as_deref())
                .map(|e| Excerpt::of(e, PROGRAM_BYTES)),
            test_index: (!tests.is_empty()).then_some(shown),
            ..Default::default()
        };
        let verdict = tests.get(shown);
        if let Some(r) = results.get(shown) {
            d.stdout = Excerpt::of(&r.stdout, EXCERPT_BYTES);
            d.stderr = Excerpt::of(&r.stderr, EXCERPT_BYTES);
            d.exit_code = r.exit_code;
            d.wall_ms = r.wall_ms;
            d.cpu_ms = r.cpu_ms;
            d.peak_memory_bytes = r.peak_memory_bytes;
            d.provenance = SampleProvenance {
                rootfs: r.rootfs.clone(),
                rootfs_digest: r.rootfs_digest.clone(),
                wall_limit_ms: r.wall_limit_ms,
                memory_limit_mb,
                execution_key: keys.get(shown).cloned(),
                error: r.error.clone(),
            };
        }
        if let Some(t) = verdict.filter(|t| !t.passed) {
            let of = format!("test {} of {}", shown + 1, programs.len());
            let why = match t.verdict.as_str() {
                "NOCODE" => "no code could be extracted from the answer".to_string(),
                "WA" if d.expected.is_some() => first_difference(
                    program.and_then(|p| p.expected.as_deref()).unwrap_or(""),
                    results.get(shown).map(|r| r.stdout.as_str()).unwrap_or(""),
                ),
                "TLE" => format!("time limit of {} ms exceeded", d.provenance.wall_limit_ms),
                "MLE" => format!("memory limit of {} MiB exceeded", memory_limit_mb),
                v => match results
                    .get(shown)
                    .and_then(|r| exception_line(&r.stderr).or(r.error.clone()))
                {
                    Some(e) => format!("{v}: {e}"),
                    None => match d.exit_code {
                        Some(c) => format!("{v}: exit status {c}"),
                        None => v.to_string(),
                    },
                },
            };
            d.failure = Some(format!("{of}: {why}"));
        }
        d
    }
}

/// Where and by what a run was made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunMeta {
    pub localeval_version: String,
    pub host: String,
    pub kernel: String,
}

impl RunMeta {
    /// This process and this host.
    pub fn here() -> RunMeta {
        let read = |p: &str| {
            std::fs::read_to_string(p)
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        RunMeta {
            localeval_version: env!("CARGO_PKG_VERSION").to_string(),
            host: read("/proc/sys/kernel/hostname"),
            kernel: read("/proc/sys/kernel/osrelease"),
        }
    }
}

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
    /// What ran and why it failed; `None` for samples stored before details were kept.
    #[serde(default)]
    pub detail: Option<SampleDetail>,
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

    /// This database's key of the tests' result channel (see
    /// [`crate::eval::grade::seal_key`]): random, made on first use, kept so that a
    /// resumed run and the execution cache see the same secrets.
    pub fn seal_key(&self) -> Result<String, StoreError> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        conn.execute(
            "INSERT OR IGNORE INTO secrets (name, value) VALUES ('seal', ?1)",
            [crate::eval::grade::seal_key()],
        )?;
        Ok(
            conn.query_row("SELECT value FROM secrets WHERE name = 'seal'", [], |r| {
                r.get(0)
            })?,
        )
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
        migrate(&conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new run, made here ([`RunMeta::here`]).
    pub fn create_run(&self, id: &str, config: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO runs (id, created_ms, config, status, meta) VALUES (?1, ?2, ?3, 'running', ?4)",
            params![id, now_ms(), config, serde_json::to_string(&RunMeta::here())?],
        )?;
        Ok(())
    }

    /// Where and by what the run was made; `None` for runs made before this was kept.
    pub fn run_meta(&self, id: &str) -> Result<Option<RunMeta>, StoreError> {
        let json: Option<Option<String>> = self
            .conn()
            .query_row("SELECT meta FROM runs WHERE id = ?1", params![id], |r| {
                r.get(0)
            })
            .optional()?;
        match json.flatten() {
            Some(j) => Ok(Some(serde_json::from_str(&j)?)),
            None => Ok(None),
        }
    }

    /// The models of a run with what their server said of them (digest, size, ...).
    pub fn models(&self, run_id: &str) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let conn = self.conn();
        let mut st =
            conn.prepare("SELECT model, info FROM run_models WHERE run_id = ?1 ORDER BY model")?;
        let rows = st.query_map(params![run_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
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
                 extracted, extraction, verdict, passed, tests, tests_total, execution_keys, created_ms,
                 detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
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
                now_ms(),
                s.detail.as_ref().map(serde_json::to_string).transpose()?
            ],
        )?;
        Ok(())
    }

    pub fn samples(&self, run_id: &str) -> Result<Vec<SampleRow>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT run_id, model, problem_id, sample_index, generation_key, extracted, extraction,
                    verdict, passed, tests, tests_total, execution_keys, detail
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
                    detail: None,
                },
                r.get::<_, String>(9)?,
                r.get::<_, String>(11)?,
                r.get::<_, Option<String>>(12)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut s, tests, keys, detail) = row?;
            s.tests = serde_json::from_str(&tests)?;
            s.execution_keys = serde_json::from_str(&keys)?;
            s.detail = detail.as_deref().map(serde_json::from_str).transpose()?;
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
            detail: (!passed).then(|| SampleDetail {
                failure: Some("test 1 of 1: WA".into()),
                stderr: Excerpt::of("boom", EXCERPT_BYTES),
                ..Default::default()
            }),
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

    /// The schema of localeval before per-sample details (samples without `detail`, runs
    /// without `meta`), as older databases have it.
    const SCHEMA_V0: &str = "
        CREATE TABLE runs (id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, config TEXT NOT NULL,
            status TEXT NOT NULL, message TEXT, finished_ms INTEGER);
        CREATE TABLE samples (run_id TEXT NOT NULL REFERENCES runs(id), model TEXT NOT NULL,
            problem_id TEXT NOT NULL, sample_index INTEGER NOT NULL, generation_key TEXT NOT NULL,
            extracted TEXT NOT NULL, extraction TEXT NOT NULL, verdict TEXT NOT NULL,
            passed INTEGER NOT NULL, tests TEXT NOT NULL, tests_total INTEGER NOT NULL,
            execution_keys TEXT NOT NULL, created_ms INTEGER NOT NULL,
            PRIMARY KEY (run_id, model, problem_id, sample_index));
        INSERT INTO runs VALUES ('old', 1, '{}', 'complete', NULL, 2);
        INSERT INTO samples VALUES ('old', 'm', 'p', 0, 'g', 'code', 'whole answer', 'WA', 0,
            '[]', 1, '[]', 1);
    ";

    #[test]
    fn an_older_database_is_migrated_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        Connection::open(&path)
            .unwrap()
            .execute_batch(SCHEMA_V0)
            .unwrap();
        let store = Store::open(&path).unwrap();
        let old = store.samples("old").unwrap();
        assert_eq!(old.len(), 1);
        assert_eq!(
            (old[0].verdict.as_str(), old[0].detail.as_ref()),
            ("WA", None)
        );
        assert_eq!(store.run_meta("old").unwrap(), None);
        // New rows carry details, and the database is at the current version.
        store.put_sample(&sample("old", 1, false)).unwrap();
        let both = store.samples("old").unwrap();
        assert_eq!(
            both[1].detail.as_ref().unwrap().failure.as_deref(),
            Some("test 1 of 1: WA")
        );
        drop(store);
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        // Opening again is a no-op.
        drop(conn);
        assert_eq!(Store::open(&path).unwrap().samples("old").unwrap().len(), 2);
    }

    #[test]
    fn a_new_run_records_where_it_was_made() {
        let store = Store::in_memory().unwrap();
        store.create_run("r", "{}").unwrap();
        let meta = store.run_meta("r").unwrap().unwrap();
        assert_eq!(meta.localeval_version, env!("CARGO_PKG_VERSION"));
        assert!(!meta.kernel.is_empty());
    }

    #[test]
    fn excerpts_keep_head_and_tail_within_bounds() {
        let short = Excerpt::of("abc", 10);
        assert_eq!((short.text.as_str(), short.truncated), ("abc", false));
        let long = "é".repeat(10_000);
        let e = Excerpt::of(&long, 1000);
        assert!(e.truncated && e.bytes == 20_000);
        assert!(e.text.len() < 1100, "{}", e.text.len());
        assert!(e.text.contains("bytes left out"));
        assert!(e.text.starts_with('é') && e.text.ends_with('é'));
    }

    #[test]
    fn the_exception_and_the_failing_test_line_are_found() {
        let py = "Traceback (most recent call last):\n  File \"/tmp/main.py\", line 20, in <module>\n    check(add)\n  File \"/tmp/main.py\", line 17, in check\n    assert candidate(1, 2) == 3\n           ^^^^^^^^^^^^^^^^^^^^\nAssertionError\n";
        assert_eq!(
            exception_line(py).as_deref(),
            Some("AssertionError (at `assert candidate(1, 2) == 3`)")
        );
        let zero = "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n    1/0\nZeroDivisionError: division by zero\n";
        assert_eq!(
            exception_line(zero).as_deref(),
            Some("ZeroDivisionError: division by zero (at `1/0`)")
        );
        let java = "Exception in thread \"main\" java.lang.AssertionError\n\tat Problem.main(Main.java:9)\n";
        assert_eq!(
            exception_line(java).as_deref(),
            Some("Exception in thread \"main\" java.lang.AssertionError")
        );
        assert_eq!(exception_line("all fine\n"), None);
    }

    #[test]
    fn details_show_the_failing_test_with_its_output_and_limits() {
        use crate::eval::dataset::{Compare, Judge, PromptStyle, TestCase};
        let problem = Problem {
            id: "sum".into(),
            title: "sum".into(),
            categories: vec![],
            difficulty: None,
            language: "python".into(),
            prompt: "sum".into(),
            style: PromptStyle::Chat,
            entry_point: None,
            stop: vec![],
            judge: Judge::Stdio {
                tests: vec![
                    TestCase {
                        input: "1 2".into(),
                        output: "3".into(),
                    },
                    TestCase {
                        input: "2 2".into(),
                        output: "4".into(),
                    },
                ],
                compare: Compare::Lines,
            },
            time_limit_ms: None,
            memory_limit_mb: None,
            reference: None,
        };
        let run = |stdout: &str, verdict: Verdict| ExecResult {
            verdict,
            exit_code: Some(0),
            stdout: stdout.into(),
            stderr: "<img src=x onerror=alert(1)>".into(),
            wall_ms: 7,
            cpu_ms: 5,
            peak_memory_bytes: 1 << 20,
            rootfs: "host".into(),
            rootfs_digest: None,
            wall_limit_ms: 1000,
            error: None,
        };
        let tv = |v: &str, passed| TestVerdict {
            verdict: v.into(),
            passed,
            wall_ms: 7,
        };
        let code = "a, b = map(int, input().split()); print(a * b)";
        let d = SampleDetail::of(
            &problem,
            code,
            &[tv("OK", true), tv("WA", false)],
            &[run("3\n", Verdict::Ok), run("4\n5\n", Verdict::Ok)],
            &["k0".into(), "k1".into()],
            256,
            "key",
        );
        assert_eq!(d.test_index, Some(1));
        assert_eq!(d.stdin.text, "2 2");
        assert_eq!(d.program.text, code);
        assert_eq!(d.expected.as_ref().unwrap().text, "4");
        assert_eq!(
            d.failure.as_deref(),
            Some("test 2 of 2: wrong answer: line 2: expected end of output, got `5`")
        );
        assert_eq!(d.stderr.text, "<img src=x onerror=alert(1)>");
        assert_eq!(d.provenance.execution_key.as_deref(), Some("k1"));
        assert_eq!(
            (d.provenance.memory_limit_mb, d.provenance.wall_limit_ms),
            (256, 1000)
        );
        let tle = SampleDetail::of(
            &problem,
            code,
            &[tv("TLE", false)],
            &[run("", Verdict::TimeLimit)],
            &["k0".into()],
            256,
            "key",
        );
        assert_eq!(
            tle.failure.as_deref(),
            Some("test 1 of 2: time limit of 1000 ms exceeded")
        );
        let passed = SampleDetail::of(
            &problem,
            code,
            &[tv("OK", true), tv("OK", true)],
            &[run("3", Verdict::Ok), run("4", Verdict::Ok)],
            &["k0".into(), "k1".into()],
            256,
            "key",
        );
        assert_eq!((passed.failure, passed.test_index), (None, Some(1)));
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
