//! Execution history in an embedded SQLite database, and the audit log: one JSON line per
//! execution.
//!
//! The history keeps a short summary of each execution (bounded by age and count) and the
//! full responses of the newest ones (bounded by their total size, and each by its own),
//! so that its memory stays flat however many executions pass: with the default
//! `:memory:` database every row lives in the server's RSS.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::config::AuditSink;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("execution history database {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot open the audit log {path}: {source}")]
    AuditOpen {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One execution as the history lists it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ExecutionSummary {
    pub execution_id: String,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    pub endpoint: String,
    pub client: String,
    pub language: String,
    pub verdict: String,
    pub code_sha256: String,
    pub wall_ms: u64,
    pub peak_memory_bytes: u64,
}

/// One execution with its full response.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ExecutionRecord {
    #[serde(flatten)]
    pub summary: ExecutionSummary,
    /// The response as it was sent; null when it was not kept (larger than
    /// `history.max_response_bytes`, or dropped to keep the history's responses within
    /// `history.max_bytes`).
    #[schema(value_type = Object)]
    pub response: serde_json::Value,
}

/// Which executions a listing shows (each `None`: any).
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub language: Option<String>,
    pub verdict: Option<String>,
    pub endpoint: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ExecutionPage {
    pub items: Vec<ExecutionSummary>,
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// What the history keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryBounds {
    /// Executions listed (summaries); older ones are dropped.
    pub max_rows: u64,
    /// Executions older than this are dropped.
    pub max_age_secs: u64,
    /// Total size of the full responses kept; the oldest are dropped first.
    pub max_bytes: u64,
    /// A response larger than this is not kept (its summary is).
    pub max_response_bytes: u64,
}

impl HistoryBounds {
    pub const DEFAULT: HistoryBounds = HistoryBounds {
        max_rows: 10_000,
        max_age_secs: 7 * 24 * 3600,
        max_bytes: 1 << 20,
        max_response_bytes: 256 << 10,
    };
}

/// The connection and what it holds, counted as rows come and go (so that no statement
/// has to scan the table to learn them).
struct Db {
    conn: Connection,
    rows: u64,
    kept_bytes: u64,
}

pub struct History {
    path: String,
    db: Mutex<Db>,
    bounds: HistoryBounds,
}

/// `length()` of SQLite counts characters of a TEXT value; this counts its bytes.
const BODY_BYTES: &str = "length(CAST(body AS BLOB))";

/// Sums the byte counts a `... RETURNING <bytes>` statement yields.
fn returned_bytes(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<(u64, u64)> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    let (mut count, mut bytes) = (0u64, 0u64);
    while let Some(row) = rows.next()? {
        count += 1;
        bytes += row.get::<_, i64>(0)?.max(0) as u64;
    }
    Ok((count, bytes))
}

impl History {
    pub fn open(path: &str, bounds: HistoryBounds) -> Result<History, HistoryError> {
        let err = |source| HistoryError::Sqlite {
            path: path.to_string(),
            source,
        };
        let mut conn = if path == ":memory:" {
            Connection::open_in_memory()
        } else {
            Connection::open(path)
        }
        .map_err(err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS executions (
                 id TEXT PRIMARY KEY,
                 created_at_ms INTEGER NOT NULL,
                 endpoint TEXT NOT NULL,
                 client TEXT NOT NULL,
                 language TEXT NOT NULL,
                 verdict TEXT NOT NULL,
                 code_sha256 TEXT NOT NULL,
                 wall_ms INTEGER NOT NULL,
                 peak_memory_bytes INTEGER NOT NULL
             );
             CREATE INDEX IF NOT EXISTS executions_by_time ON executions (created_at_ms);
             CREATE TABLE IF NOT EXISTS responses (
                 id TEXT PRIMARY KEY,
                 body TEXT NOT NULL
             );",
        )
        .map_err(err)?;
        History::migrate(&mut conn).map_err(err)?;
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM executions", [], |r| r.get(0))
            .map_err(err)?;
        let kept_bytes: i64 = conn
            .query_row(
                &format!("SELECT COALESCE(SUM({BODY_BYTES}), 0) FROM responses"),
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        let history = History {
            path: path.to_string(),
            db: Mutex::new(Db {
                conn,
                rows: rows.max(0) as u64,
                kept_bytes: kept_bytes.max(0) as u64,
            }),
            bounds,
        };
        // A file written with larger bounds shrinks to these now.
        {
            let mut db = history.lock();
            history.enforce(&mut db).map_err(|e| history.err(e))?;
        }
        Ok(history)
    }

    /// A database written before responses had their own table: they move there.
    fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
        let old: bool = conn.query_row(
            "SELECT COUNT(*) FROM pragma_table_info('executions') WHERE name = 'response'",
            [],
            |r| r.get::<_, i64>(0).map(|n| n > 0),
        )?;
        if old {
            let tx = conn.transaction()?;
            tx.execute_batch(
                "INSERT OR REPLACE INTO responses (id, body)
                     SELECT id, response FROM executions ORDER BY created_at_ms, rowid;
                 ALTER TABLE executions DROP COLUMN response;",
            )?;
            tx.commit()?;
        }
        Ok(())
    }

    fn err(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Db> {
        // A panic while holding the lock leaves SQLite consistent (each change is one
        // transaction, and the counters move only after it committed).
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores an execution (its full response too, unless larger than
    /// `max_response_bytes`), then drops what is beyond the bounds.
    pub fn record(&self, s: &ExecutionSummary, response: &str) -> Result<(), HistoryError> {
        let mut db = self.lock();
        self.insert(&mut db, s, response).map_err(|e| self.err(e))?;
        self.enforce(&mut db).map_err(|e| self.err(e))
    }

    fn insert(&self, db: &mut Db, s: &ExecutionSummary, response: &str) -> rusqlite::Result<()> {
        let tx = db.conn.transaction()?;
        // Recording an id again replaces it.
        let (_, replaced_bytes) = returned_bytes(
            &tx,
            &format!("DELETE FROM responses WHERE id = ?1 RETURNING {BODY_BYTES}"),
            params![s.execution_id],
        )?;
        let replaced_rows = tx
            .prepare_cached("DELETE FROM executions WHERE id = ?1")?
            .execute(params![s.execution_id])? as u64;
        tx.prepare_cached(
            "INSERT INTO executions
             (id, created_at_ms, endpoint, client, language, verdict, code_sha256, wall_ms,
              peak_memory_bytes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            s.execution_id,
            s.created_at_ms as i64,
            s.endpoint,
            s.client,
            s.language,
            s.verdict,
            s.code_sha256,
            s.wall_ms as i64,
            s.peak_memory_bytes as i64,
        ])?;
        let size = response.len() as u64;
        let keep = size <= self.bounds.max_response_bytes && size <= self.bounds.max_bytes;
        if keep {
            tx.prepare_cached("INSERT INTO responses (id, body) VALUES (?1, ?2)")?
                .execute(params![s.execution_id, response])?;
        }
        tx.commit()?;
        db.rows = db.rows + 1 - replaced_rows.min(db.rows + 1);
        db.kept_bytes = db.kept_bytes.saturating_sub(replaced_bytes) + if keep { size } else { 0 };
        Ok(())
    }

    /// Drops executions older than the age bound or beyond the count, then the oldest
    /// full responses until the rest fit in `max_bytes`.
    fn enforce(&self, db: &mut Db) -> rusqlite::Result<()> {
        let tx = db.conn.transaction()?;
        let (mut rows_gone, mut bytes_gone) = (0u64, 0u64);
        let oldest = now_ms().saturating_sub(self.bounds.max_age_secs.saturating_mul(1000));
        let oldest = oldest.min(i64::MAX as u64) as i64;
        bytes_gone += returned_bytes(
            &tx,
            &format!(
                "DELETE FROM responses WHERE id IN
                 (SELECT id FROM executions WHERE created_at_ms < ?1) RETURNING {BODY_BYTES}"
            ),
            params![oldest],
        )?
        .1;
        rows_gone += tx
            .prepare_cached("DELETE FROM executions WHERE created_at_ms < ?1")?
            .execute(params![oldest])? as u64;
        let excess = db
            .rows
            .saturating_sub(rows_gone)
            .saturating_sub(self.bounds.max_rows);
        if excess > 0 {
            let excess = excess.min(i64::MAX as u64) as i64;
            bytes_gone += returned_bytes(
                &tx,
                &format!(
                    "DELETE FROM responses WHERE id IN
                     (SELECT id FROM executions ORDER BY created_at_ms, rowid LIMIT ?1)
                     RETURNING {BODY_BYTES}"
                ),
                params![excess],
            )?
            .1;
            rows_gone += tx
                .prepare_cached(
                    "DELETE FROM executions WHERE rowid IN
                     (SELECT rowid FROM executions ORDER BY created_at_ms, rowid LIMIT ?1)",
                )?
                .execute(params![excess])? as u64;
        }
        while db.kept_bytes.saturating_sub(bytes_gone) > self.bounds.max_bytes {
            let (count, bytes) = returned_bytes(
                &tx,
                &format!(
                    "DELETE FROM responses WHERE rowid = (SELECT MIN(rowid) FROM responses)
                     RETURNING {BODY_BYTES}"
                ),
                [],
            )?;
            if count == 0 {
                break;
            }
            bytes_gone += bytes;
        }
        tx.commit()?;
        db.rows = db.rows.saturating_sub(rows_gone);
        db.kept_bytes = db.kept_bytes.saturating_sub(bytes_gone);
        Ok(())
    }

    fn summary(row: &rusqlite::Row<'_>) -> rusqlite::Result<ExecutionSummary> {
        Ok(ExecutionSummary {
            execution_id: row.get(0)?,
            created_at_ms: row.get::<_, i64>(1)? as u64,
            endpoint: row.get(2)?,
            client: row.get(3)?,
            language: row.get(4)?,
            verdict: row.get(5)?,
            code_sha256: row.get(6)?,
            wall_ms: row.get::<_, i64>(7)? as u64,
            peak_memory_bytes: row.get::<_, i64>(8)? as u64,
        })
    }

    /// Newest first.
    pub fn list(&self, limit: u64, offset: u64) -> Result<ExecutionPage, HistoryError> {
        self.list_filtered(limit, offset, &ListFilter::default())
    }

    /// A page of the executions `filter` selects, newest first; `total` counts them all.
    pub fn list_filtered(
        &self,
        limit: u64,
        offset: u64,
        filter: &ListFilter,
    ) -> Result<ExecutionPage, HistoryError> {
        let db = self.lock();
        // NULL parameters select everything (one statement, cached, for every filter).
        const WHERE: &str = "WHERE (?1 IS NULL OR language = ?1) AND (?2 IS NULL OR verdict = ?2)
                               AND (?3 IS NULL OR endpoint = ?3)";
        let filtered =
            filter.language.is_some() || filter.verdict.is_some() || filter.endpoint.is_some();
        let total = if filtered {
            db.conn
                .prepare_cached(&format!("SELECT COUNT(*) FROM executions {WHERE}"))
                .and_then(|mut stmt| {
                    stmt.query_row(
                        params![filter.language, filter.verdict, filter.endpoint],
                        |row| row.get::<_, i64>(0),
                    )
                })
                .map_err(|e| self.err(e))?
                .max(0) as u64
        } else {
            db.rows
        };
        let mut stmt = db
            .conn
            .prepare_cached(&format!(
                "SELECT id, created_at_ms, endpoint, client, language, verdict, code_sha256,
                        wall_ms, peak_memory_bytes
                 FROM executions {WHERE}
                 ORDER BY created_at_ms DESC, rowid DESC LIMIT ?4 OFFSET ?5"
            ))
            .map_err(|e| self.err(e))?;
        let items = stmt
            .query_map(
                params![
                    filter.language,
                    filter.verdict,
                    filter.endpoint,
                    limit.min(i64::MAX as u64) as i64,
                    offset.min(i64::MAX as u64) as i64
                ],
                History::summary,
            )
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.err(e))?;
        Ok(ExecutionPage {
            items,
            total,
            limit,
            offset,
        })
    }

    pub fn get(&self, id: &str) -> Result<Option<ExecutionRecord>, HistoryError> {
        let db = self.lock();
        db.conn
            .query_row(
                "SELECT e.id, e.created_at_ms, e.endpoint, e.client, e.language, e.verdict,
                        e.code_sha256, e.wall_ms, e.peak_memory_bytes, r.body
                 FROM executions e LEFT JOIN responses r ON r.id = e.id WHERE e.id = ?1",
                params![id],
                |row| {
                    let summary = History::summary(row)?;
                    let body: Option<String> = row.get(9)?;
                    Ok(ExecutionRecord {
                        summary,
                        response: body
                            .and_then(|b| serde_json::from_str(&b).ok())
                            .unwrap_or(serde_json::Value::Null),
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Rows listed and bytes of full responses kept.
    pub fn size(&self) -> (u64, u64) {
        let db = self.lock();
        (db.rows, db.kept_bytes)
    }
}

/// One audit line.
#[derive(Clone, Debug, Serialize)]
pub struct AuditLine<'a> {
    pub ts_ms: u64,
    pub execution_id: &'a str,
    pub endpoint: &'a str,
    pub client: &'a str,
    pub language: &'a str,
    pub code_sha256: &'a str,
    pub verdict: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<&'a crate::outcome::Usage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<&'a crate::limits::Limits>,
}

/// Where audit lines are written; each line is written whole with one call.
pub enum Audit {
    Off,
    Stderr,
    File(Mutex<std::fs::File>),
}

impl Audit {
    pub fn open(sink: &AuditSink) -> Result<Audit, HistoryError> {
        Ok(match sink {
            AuditSink::Off => Audit::Off,
            AuditSink::Stderr => Audit::Stderr,
            AuditSink::File(path) => Audit::File(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| HistoryError::AuditOpen {
                        path: path.clone(),
                        source,
                    })?,
            )),
        })
    }

    pub fn write(&self, line: &AuditLine<'_>) {
        let mut text = match serde_json::to_string(line) {
            Ok(t) => t,
            Err(_) => return,
        };
        text.push('\n');
        let result = match self {
            Audit::Off => Ok(()),
            Audit::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
            Audit::File(f) => append_line(&mut f.lock().unwrap_or_else(|p| p.into_inner()), &text),
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "cannot write the audit log");
        }
    }
}

/// Appends `line` with one `write`, so that a reader never sees half of it next to another
/// record. A write that cannot be whole (a full disk) is undone: the file is cut back to its
/// length before, so it still ends on a line boundary and the next record starts a line.
fn append_line(file: &mut std::fs::File, line: &str) -> std::io::Result<()> {
    let before = file.metadata()?.len();
    let written = file.write(line.as_bytes());
    match written {
        Ok(n) if n == line.len() => Ok(()),
        Ok(n) => {
            file.set_len(before)?;
            Err(std::io::Error::other(format!(
                "only {n} of the record's {} bytes could be written; the record was removed",
                line.len()
            )))
        }
        Err(e) => {
            // A failed write may still have written part of the record.
            file.set_len(before)?;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(id: &str, at: u64) -> ExecutionSummary {
        ExecutionSummary {
            execution_id: id.into(),
            created_at_ms: at,
            endpoint: "/execute".into(),
            client: "127.0.0.1".into(),
            language: "python".into(),
            verdict: "OK".into(),
            code_sha256: "00".into(),
            wall_ms: 5,
            peak_memory_bytes: 1,
        }
    }

    fn bounds(max_rows: u64, max_age_secs: u64) -> HistoryBounds {
        HistoryBounds {
            max_rows,
            max_age_secs,
            ..HistoryBounds::DEFAULT
        }
    }

    #[test]
    fn history_pages_newest_first_and_keeps_at_most_max_rows() {
        let h = History::open(":memory:", bounds(3, 3600)).unwrap();
        let now = now_ms();
        for i in 0..5 {
            h.record(&summary(&format!("id{i}"), now + i), r#"{"x":1}"#)
                .unwrap();
        }
        let page = h.list(2, 0).unwrap();
        assert_eq!(page.total, 3);
        let ids: Vec<_> = page.items.iter().map(|s| s.execution_id.as_str()).collect();
        assert_eq!(ids, ["id4", "id3"]);
        assert_eq!(h.list(2, 2).unwrap().items[0].execution_id, "id2");
        assert!(h.get("id0").unwrap().is_none());
        let rec = h.get("id4").unwrap().unwrap();
        assert_eq!(rec.response["x"], 1);
        // The responses of dropped rows went with them.
        assert_eq!(h.size(), (3, 3 * 7));
        // Recording an id again replaces it.
        h.record(&summary("id4", now + 9), r#"{"x":22}"#).unwrap();
        assert_eq!(h.size(), (3, 2 * 7 + 8));
        assert_eq!(h.get("id4").unwrap().unwrap().response["x"], 22);
    }

    #[test]
    fn history_drops_rows_older_than_the_age_bound() {
        let h = History::open(":memory:", bounds(100, 60)).unwrap();
        h.record(&summary("old", now_ms() - 3_600_000), "{}")
            .unwrap();
        h.record(&summary("new", now_ms()), "{}").unwrap();
        assert!(h.get("old").unwrap().is_none());
        assert!(h.get("new").unwrap().is_some());
        assert_eq!(h.size(), (1, 2));
    }

    #[test]
    fn full_responses_are_kept_within_max_bytes_newest_first() {
        let h = History::open(
            ":memory:",
            HistoryBounds {
                max_bytes: 1000,
                max_response_bytes: 400,
                ..HistoryBounds::DEFAULT
            },
        )
        .unwrap();
        let body = |i: usize, len: usize| format!(r#"{{"i":{i},"pad":"{}"}}"#, "x".repeat(len));
        let now = now_ms();
        for i in 0..10 {
            // 300 bytes each: three fit.
            h.record(&summary(&format!("id{i}"), now + i as u64), &body(i, 280))
                .unwrap();
        }
        let (rows, kept) = h.size();
        assert_eq!(rows, 10);
        assert!(kept <= 1000 && kept > 600, "{kept}");
        assert_eq!(h.list(50, 0).unwrap().total, 10);
        for i in 0..7 {
            let old = h
                .get(&format!("id{i}"))
                .unwrap()
                .expect("the summary stays");
            assert_eq!(old.summary.verdict, "OK");
            assert!(old.response.is_null(), "id{i}: {}", old.response);
        }
        for i in 7..10 {
            assert_eq!(h.get(&format!("id{i}")).unwrap().unwrap().response["i"], i);
        }
        // Larger than max_response_bytes: listed, its response not kept, nothing evicted.
        h.record(&summary("big", now + 20), &body(99, 500)).unwrap();
        assert!(h.get("big").unwrap().unwrap().response.is_null());
        assert_eq!(h.size(), (11, kept));
        assert_eq!(h.get("id9").unwrap().unwrap().response["i"], 9);
    }

    #[test]
    fn a_history_file_is_reopened_with_its_counts_and_shrunk_to_new_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.sqlite");
        let path = path.to_str().unwrap();
        let now = now_ms();
        {
            let h = History::open(path, HistoryBounds::DEFAULT).unwrap();
            for i in 0..6 {
                h.record(&summary(&format!("id{i}"), now + i), r#"{"x":1}"#)
                    .unwrap();
            }
        }
        let h = History::open(path, bounds(4, 3600)).unwrap();
        assert_eq!(h.size(), (4, 4 * 7));
        assert_eq!(h.list(10, 0).unwrap().items[3].execution_id, "id2");
    }

    #[test]
    fn a_history_file_of_the_older_layout_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE executions (
                     id TEXT PRIMARY KEY, created_at_ms INTEGER NOT NULL,
                     endpoint TEXT NOT NULL, client TEXT NOT NULL, language TEXT NOT NULL,
                     verdict TEXT NOT NULL, code_sha256 TEXT NOT NULL, wall_ms INTEGER NOT NULL,
                     peak_memory_bytes INTEGER NOT NULL, response TEXT NOT NULL);",
            )
            .unwrap();
            conn.execute(
                "INSERT INTO executions VALUES ('old', ?1, '/execute', '127.0.0.1', 'python',
                 'OK', '00', 5, 1, '{\"stdout\":\"1\\n\"}')",
                params![now_ms() as i64],
            )
            .unwrap();
        }
        let h = History::open(path.to_str().unwrap(), HistoryBounds::DEFAULT).unwrap();
        let rec = h.get("old").unwrap().unwrap();
        assert_eq!(rec.response["stdout"], "1\n");
        assert_eq!(h.size().0, 1);
        h.record(&summary("new", now_ms()), "{}").unwrap();
        assert_eq!(h.list(10, 0).unwrap().total, 2);
    }

    #[test]
    fn audit_lines_are_one_json_object_each() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let audit = Audit::open(&AuditSink::File(path.clone())).unwrap();
        for id in ["a", "b"] {
            audit.write(&AuditLine {
                ts_ms: 1,
                execution_id: id,
                endpoint: "/execute",
                client: "127.0.0.1",
                language: "python",
                code_sha256: "ff",
                verdict: "OK",
                usage: None,
                limits: None,
            });
        }
        let text = std::fs::read_to_string(path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["execution_id"], "b");
    }
}
