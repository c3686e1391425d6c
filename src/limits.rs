//! Resource limits of one execution: what a request asks for, what the server allows, and
//! the complete set a plan carries. A request can only lower a server maximum.

use serde::{Deserialize, Serialize};

/// The complete limits of one jailed program. Every field is always set: a plan never
/// carries "unlimited".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Wall-clock time; at the deadline the whole process tree is killed.
    pub wall_ms: u64,
    /// CPU time of every process of the run together.
    pub cpu_ms: u64,
    /// Memory of the run as a group (cgroup), swap included and set to zero.
    pub memory_bytes: u64,
    /// CPU bandwidth in thousandths of a CPU (1000 = one full core).
    pub cpu_millis: u32,
    /// Processes and threads of the run together.
    pub pids: u32,
    /// Bytes kept of stdout, and separately of stderr; more is a verdict of OLE.
    pub output_bytes: u64,
    /// Size of each per-run tmpfs (`/tmp`, the workspace).
    pub tmpfs_bytes: u64,
    /// Inodes of each per-run tmpfs.
    pub tmpfs_inodes: u64,
    /// Largest file the program may write (RLIMIT_FSIZE).
    pub file_size_bytes: u64,
    /// Open file descriptors per process (RLIMIT_NOFILE).
    pub open_files: u32,
}

impl Limits {
    /// The server maxima used when no configuration says otherwise.
    pub const DEFAULT_MAXIMA: Limits = Limits {
        wall_ms: 60_000,
        cpu_ms: 60_000,
        memory_bytes: 2 << 30,
        cpu_millis: 2_000,
        pids: 512,
        output_bytes: 16 << 20,
        tmpfs_bytes: 512 << 20,
        tmpfs_inodes: 65_536,
        file_size_bytes: 256 << 20,
        open_files: 1024,
    };

    /// What a run gets when it asks for nothing.
    pub const DEFAULT_RUN: Limits = Limits {
        wall_ms: 10_000,
        cpu_ms: 10_000,
        memory_bytes: 512 << 20,
        cpu_millis: 1_000,
        pids: 128,
        output_bytes: 1 << 20,
        tmpfs_bytes: 64 << 20,
        tmpfs_inodes: 16_384,
        file_size_bytes: 64 << 20,
        open_files: 256,
    };

    /// What a compile step gets when the catalog asks for nothing: compilers are hungrier
    /// than the programs they build.
    pub const DEFAULT_COMPILE: Limits = Limits {
        wall_ms: 30_000,
        cpu_ms: 30_000,
        memory_bytes: 1 << 30,
        cpu_millis: 2_000,
        pids: 256,
        output_bytes: 1 << 20,
        tmpfs_bytes: 256 << 20,
        tmpfs_inodes: 65_536,
        file_size_bytes: 128 << 20,
        open_files: 512,
    };

    /// `self` with every field lowered to at most `maxima`.
    pub fn clamped_to(self, maxima: &Limits) -> Limits {
        Limits {
            wall_ms: self.wall_ms.min(maxima.wall_ms),
            cpu_ms: self.cpu_ms.min(maxima.cpu_ms),
            memory_bytes: self.memory_bytes.min(maxima.memory_bytes),
            cpu_millis: self.cpu_millis.min(maxima.cpu_millis),
            pids: self.pids.min(maxima.pids),
            output_bytes: self.output_bytes.min(maxima.output_bytes),
            tmpfs_bytes: self.tmpfs_bytes.min(maxima.tmpfs_bytes),
            tmpfs_inodes: self.tmpfs_inodes.min(maxima.tmpfs_inodes),
            file_size_bytes: self.file_size_bytes.min(maxima.file_size_bytes),
            open_files: self.open_files.min(maxima.open_files),
        }
    }

    /// `self` with the fields `request` names replaced, then clamped to `maxima`.
    pub fn with_request(self, request: &LimitRequest, maxima: &Limits) -> Limits {
        Limits {
            wall_ms: request.wall_ms.unwrap_or(self.wall_ms),
            cpu_ms: request.cpu_ms.unwrap_or(self.cpu_ms),
            memory_bytes: request.memory_bytes.unwrap_or(self.memory_bytes),
            cpu_millis: request.cpu_millis.unwrap_or(self.cpu_millis),
            pids: request.pids.unwrap_or(self.pids),
            output_bytes: request.output_bytes.unwrap_or(self.output_bytes),
            tmpfs_bytes: request.tmpfs_bytes.unwrap_or(self.tmpfs_bytes),
            tmpfs_inodes: request.tmpfs_inodes.unwrap_or(self.tmpfs_inodes),
            file_size_bytes: request.file_size_bytes.unwrap_or(self.file_size_bytes),
            open_files: request.open_files.unwrap_or(self.open_files),
        }
        .clamped_to(maxima)
    }

    /// Refuses limits too small to start any program, so that a typo is an error and not a
    /// confusing verdict.
    pub fn validate(&self) -> Result<(), LimitError> {
        let floors: [(&'static str, u64, u64); 8] = [
            ("wall_ms", self.wall_ms, 1),
            ("cpu_ms", self.cpu_ms, 1),
            ("memory_bytes", self.memory_bytes, 4 << 20),
            ("cpu_millis", self.cpu_millis as u64, 10),
            ("pids", self.pids as u64, 1),
            ("tmpfs_bytes", self.tmpfs_bytes, 64 << 10),
            ("tmpfs_inodes", self.tmpfs_inodes, 16),
            ("open_files", self.open_files as u64, 8),
        ];
        for (name, value, floor) in floors {
            if value < floor {
                return Err(LimitError::TooSmall { name, value, floor });
            }
        }
        Ok(())
    }
}

/// Limits as a request states them: each one optional, each one only a wish until it is
/// clamped to the server's maxima.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitRequest {
    pub wall_ms: Option<u64>,
    pub cpu_ms: Option<u64>,
    pub memory_bytes: Option<u64>,
    pub cpu_millis: Option<u32>,
    pub pids: Option<u32>,
    pub output_bytes: Option<u64>,
    pub tmpfs_bytes: Option<u64>,
    pub tmpfs_inodes: Option<u64>,
    pub file_size_bytes: Option<u64>,
    pub open_files: Option<u32>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LimitError {
    #[error("limit {name} = {value} is below the smallest usable value {floor}")]
    TooSmall {
        name: &'static str,
        value: u64,
        floor: u64,
    },
    #[error("cannot read {text:?} as a duration: use a number with ms, s or m (e.g. 500ms, 5s)")]
    BadDuration { text: String },
    #[error("cannot read {text:?} as a size: use a number with K, M or G (e.g. 256M)")]
    BadSize { text: String },
}

/// Reads `500ms`, `5s`, `1.5s`, `2m` or a bare number of seconds.
pub fn parse_duration_ms(text: &str) -> Result<u64, LimitError> {
    let bad = || LimitError::BadDuration {
        text: text.to_string(),
    };
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60_000.0)
    } else {
        (t, 1000.0)
    };
    let value: f64 = number.trim().parse().map_err(|_| bad())?;
    if !value.is_finite() || value < 0.0 {
        return Err(bad());
    }
    Ok((value * scale).round() as u64)
}

/// Reads `256M`, `1G`, `512K`, `64MiB` or a bare number of bytes (binary units).
pub fn parse_size_bytes(text: &str) -> Result<u64, LimitError> {
    let bad = || LimitError::BadSize {
        text: text.to_string(),
    };
    let t = text.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (number, shift) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 30),
        _ => (t, 0),
    };
    let value: f64 = number.trim().parse().map_err(|_| bad())?;
    if !value.is_finite() || value < 0.0 {
        return Err(bad());
    }
    Ok((value * (1u64 << shift) as f64).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_can_only_lower_a_maximum() {
        let request = LimitRequest {
            wall_ms: Some(999_999),
            memory_bytes: Some(64 << 20),
            ..Default::default()
        };
        let limits = Limits::DEFAULT_RUN.with_request(&request, &Limits::DEFAULT_MAXIMA);
        assert_eq!(limits.wall_ms, Limits::DEFAULT_MAXIMA.wall_ms);
        assert_eq!(limits.memory_bytes, 64 << 20);
        assert_eq!(limits.pids, Limits::DEFAULT_RUN.pids);
    }

    #[test]
    fn durations_and_sizes_parse() {
        assert_eq!(parse_duration_ms("500ms"), Ok(500));
        assert_eq!(parse_duration_ms("1.5s"), Ok(1500));
        assert_eq!(parse_duration_ms("2m"), Ok(120_000));
        assert_eq!(parse_duration_ms("3"), Ok(3000));
        assert!(parse_duration_ms("soon").is_err());
        assert!(parse_duration_ms("-1s").is_err());
        assert_eq!(parse_size_bytes("256M"), Ok(256 << 20));
        assert_eq!(parse_size_bytes("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size_bytes("4096"), Ok(4096));
        assert!(parse_size_bytes("lots").is_err());
    }

    #[test]
    fn tiny_limits_are_refused() {
        let limits = Limits {
            memory_bytes: 1024,
            ..Limits::DEFAULT_RUN
        };
        assert!(matches!(
            limits.validate(),
            Err(LimitError::TooSmall {
                name: "memory_bytes",
                ..
            })
        ));
        assert!(Limits::DEFAULT_RUN.validate().is_ok());
    }
}
