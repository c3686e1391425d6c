//! Execution history in an embedded SQLite database (bounded by age and count), and the
//! audit log: one JSON line per execution.

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
    #[schema(value_type = Object)]
    pub response: serde_json::Value,
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

pub struct History {
    path: String,
    conn: Mutex<Connection>,
    max_rows: u64,
    max_age_ms: u64,
}

impl History {
    pub fn open(path: &str, max_rows: u64, max_age_secs: u64) -> Result<History, HistoryError> {
        let err = |source| HistoryError::Sqlite {
            path: path.to_string(),
            source,
        };
        let conn = if path == ":memory:" {
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
                 peak_memory_bytes INTEGER NOT NULL,
                 response TEXT NOT NULL
             );
             CREATE INDEX IF NOT EXISTS executions_by_time ON executions (created_at_ms);",
        )
        .map_err(err)?;
        Ok(History {
            path: path.to_string(),
            conn: Mutex::new(conn),
            max_rows,
            max_age_ms: max_age_secs.saturating_mul(1000),
        })
    }

    fn err(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (each statement is atomic).
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores an execution, then drops what is older than the age bound or beyond the count.
    pub fn record(&self, s: &ExecutionSummary, response: &str) -> Result<(), HistoryError> {
        let conn = self.lock();
        conn.execute(
            "INSERT OR REPLACE INTO executions
             (id, created_at_ms, endpoint, client, language, verdict, code_sha256, wall_ms,
              peak_memory_bytes, response)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                s.execution_id,
                s.created_at_ms as i64,
                s.endpoint,
                s.client,
                s.language,
                s.verdict,
                s.code_sha256,
                s.wall_ms as i64,
                s.peak_memory_bytes as i64,
                response
            ],
        )
        .map_err(|e| self.err(e))?;
        let oldest = now_ms().saturating_sub(self.max_age_ms) as i64;
        conn.execute(
            "DELETE FROM executions WHERE created_at_ms < ?1",
            params![oldest],
        )
        .map_err(|e| self.err(e))?;
        conn.execute(
            "DELETE FROM executions WHERE id NOT IN
             (SELECT id FROM executions ORDER BY created_at_ms DESC, rowid DESC LIMIT ?1)",
            params![self.max_rows.min(i64::MAX as u64) as i64],
        )
        .map_err(|e| self.err(e))?;
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
        let conn = self.lock();
        let total: i64 = conn
            .query_row("SELECT COUNT(*) FROM executions", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let mut stmt = conn
            .prepare(
                "SELECT id, created_at_ms, endpoint, client, language, verdict, code_sha256,
                        wall_ms, peak_memory_bytes
                 FROM executions ORDER BY created_at_ms DESC, rowid DESC LIMIT ?1 OFFSET ?2",
            )
            .map_err(|e| self.err(e))?;
        let items = stmt
            .query_map(
                params![
                    limit.min(i64::MAX as u64) as i64,
                    offset.min(i64::MAX as u64) as i64
                ],
                History::summary,
            )
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.err(e))?;
        Ok(ExecutionPage {
            items,
            total: total as u64,
            limit,
            offset,
        })
    }

    pub fn get(&self, id: &str) -> Result<Option<ExecutionRecord>, HistoryError> {
        let conn = self.lock();
        conn.query_row(
            "SELECT id, created_at_ms, endpoint, client, language, verdict, code_sha256,
                    wall_ms, peak_memory_bytes, response
             FROM executions WHERE id = ?1",
            params![id],
            |row| {
                let summary = History::summary(row)?;
                let response: String = row.get(9)?;
                Ok(ExecutionRecord {
                    summary,
                    response: serde_json::from_str(&response).unwrap_or(serde_json::Value::Null),
                })
            },
        )
        .optional()
        .map_err(|e| self.err(e))
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
            Audit::File(f) => f
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .write_all(text.as_bytes()),
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "cannot write the audit log");
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

    #[test]
    fn history_pages_newest_first_and_keeps_at_most_max_rows() {
        let h = History::open(":memory:", 3, 3600).unwrap();
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
    }

    #[test]
    fn history_drops_rows_older_than_the_age_bound() {
        let h = History::open(":memory:", 100, 60).unwrap();
        h.record(&summary("old", now_ms() - 3_600_000), "{}")
            .unwrap();
        h.record(&summary("new", now_ms()), "{}").unwrap();
        assert!(h.get("old").unwrap().is_none());
        assert!(h.get("new").unwrap().is_some());
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
