//! The language catalog (`rootfs/catalog.toml`): for each language, its root filesystem,
//! source file name, optional compile step and run command. Adding a language is one entry.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::limits::{parse_duration_ms, parse_size_bytes, LimitError, LimitRequest};

/// The catalog the binary ships with.
pub const BUILTIN_CATALOG: &str = include_str!("../rootfs/catalog.toml");

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot parse the language catalog {source_name}: {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error("language catalog entry {language:?}: {message}")]
    Entry { language: String, message: String },
    #[error("language catalog entry {language:?}: {source}")]
    Limit {
        language: String,
        #[source]
        source: LimitError,
    },
    #[error("cannot read the language catalog {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Limits as the catalog writes them: human units.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogLimits {
    pub wall: Option<String>,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub pids: Option<u32>,
    pub cpus: Option<f64>,
    pub output: Option<String>,
    pub tmpfs: Option<String>,
}

impl CatalogLimits {
    pub fn to_request(&self) -> Result<LimitRequest, LimitError> {
        Ok(LimitRequest {
            wall_ms: self.wall.as_deref().map(parse_duration_ms).transpose()?,
            cpu_ms: self.cpu.as_deref().map(parse_duration_ms).transpose()?,
            memory_bytes: self.memory.as_deref().map(parse_size_bytes).transpose()?,
            pids: self.pids,
            cpu_millis: self.cpus.map(|c| (c * 1000.0).round() as u32),
            output_bytes: self.output.as_deref().map(parse_size_bytes).transpose()?,
            tmpfs_bytes: self.tmpfs.as_deref().map(parse_size_bytes).transpose()?,
            ..Default::default()
        })
    }
}

/// One language as the catalog file states it.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageEntry {
    #[serde(default)]
    pub aliases: Vec<String>,
    /// `host`, or an image reference (pinned by digest where reproducibility matters).
    #[serde(default = "host")]
    pub rootfs: String,
    pub file: String,
    /// Java: the code's file takes the name of the public class it declares (else `file`),
    /// and `{main_class}` in the commands becomes the class that declares `main`, so a
    /// program need not call its class `Main` (as in Piston and Judge0).
    #[serde(default)]
    pub java_classes: bool,
    /// Libraries the language's root filesystem provides besides its standard library
    /// (importable names), listed by `GET /api/v1/languages`.
    #[serde(default)]
    pub libraries: Vec<String>,
    #[serde(default)]
    pub compile: Option<Vec<String>>,
    pub run: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub packages: Vec<String>,
    #[serde(default)]
    pub compile_limits: CatalogLimits,
    #[serde(default)]
    pub run_limits: CatalogLimits,
    /// A hello-world program, used by `doctor` and the tests.
    #[serde(default)]
    pub hello: Option<String>,
    /// A program that copies stdin to stdout, used by the tests.
    #[serde(default)]
    pub echo: Option<String>,
}

fn host() -> String {
    "host".to_string()
}

/// A language ready to plan with: the entry plus its limits in machine units.
#[derive(Clone, Debug)]
pub struct Language {
    pub name: String,
    pub entry: LanguageEntry,
    pub compile_limits: LimitRequest,
    pub run_limits: LimitRequest,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    languages: BTreeMap<String, LanguageEntry>,
}

/// The validated catalog: names and aliases resolve to languages.
#[derive(Clone, Debug)]
pub struct Catalog {
    languages: BTreeMap<String, Language>,
    aliases: BTreeMap<String, String>,
}

impl Catalog {
    pub fn builtin() -> Catalog {
        Catalog::parse(BUILTIN_CATALOG, "rootfs/catalog.toml (built in)")
            .expect("the built-in catalog is valid (checked by tests)")
    }

    pub fn load(path: &std::path::Path) -> Result<Catalog, CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Catalog::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, source_name: &str) -> Result<Catalog, CatalogError> {
        let file: CatalogFile = toml::from_str(text).map_err(|e| CatalogError::Parse {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })?;
        let mut languages = BTreeMap::new();
        let mut aliases = BTreeMap::new();
        for (name, entry) in file.languages {
            let bad = |message: String| CatalogError::Entry {
                language: name.clone(),
                message,
            };
            if !is_plain_name(&name) {
                return Err(bad(
                    "a language name is lowercase letters, digits, + and -".into()
                ));
            }
            if entry.run.is_empty() {
                return Err(bad("`run` is empty".into()));
            }
            if entry.compile.as_ref().is_some_and(|c| c.is_empty()) {
                return Err(bad("`compile` is empty; leave it out instead".into()));
            }
            if crate::plan::validate_workspace_path(&entry.file).is_err() {
                return Err(bad(format!(
                    "`file` {:?} must be a relative path inside the workspace",
                    entry.file
                )));
            }
            let limit_err = |source| CatalogError::Limit {
                language: name.clone(),
                source,
            };
            let compile_limits = entry.compile_limits.to_request().map_err(limit_err)?;
            let run_limits = entry.run_limits.to_request().map_err(limit_err)?;
            for alias in entry.aliases.iter().chain(std::iter::once(&name)) {
                if let Some(previous) = aliases.insert(alias.to_lowercase(), name.clone()) {
                    if previous != name {
                        return Err(bad(format!(
                            "alias {alias:?} is also a name of {previous:?}"
                        )));
                    }
                }
            }
            languages.insert(
                name.clone(),
                Language {
                    name,
                    entry,
                    compile_limits,
                    run_limits,
                },
            );
        }
        Ok(Catalog { languages, aliases })
    }

    /// The language a name or alias stands for (case-insensitive).
    pub fn get(&self, name_or_alias: &str) -> Option<&Language> {
        let name = self.aliases.get(&name_or_alias.trim().to_lowercase())?;
        self.languages.get(name)
    }

    pub fn languages(&self) -> impl Iterator<Item = &Language> {
        self.languages.values()
    }

    /// Keeps only the languages `names` names (by name or alias).
    pub fn restrict_to(&mut self, names: &[String]) -> Result<(), CatalogError> {
        let mut keep = std::collections::BTreeSet::new();
        for n in names {
            let language = self.get(n).ok_or_else(|| CatalogError::Entry {
                language: n.clone(),
                message: "not in the catalog".into(),
            })?;
            keep.insert(language.name.clone());
        }
        self.languages.retain(|name, _| keep.contains(name));
        self.aliases.retain(|_, name| keep.contains(name));
        Ok(())
    }
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '+' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_catalog_has_every_language_and_alias() {
        let catalog = Catalog::builtin();
        for (alias, name) in [
            ("python", "python"),
            ("py", "python"),
            ("golang", "go"),
            ("js", "javascript"),
            ("c++", "cpp"),
            ("sh", "bash"),
            ("Java", "java"),
            ("rust", "rust"),
            ("ruby", "ruby"),
            ("php", "php"),
            ("c", "c"),
        ] {
            assert_eq!(
                catalog.get(alias).map(|l| l.name.as_str()),
                Some(name),
                "{alias}"
            );
        }
        for language in catalog.languages() {
            assert!(
                language.entry.hello.is_some(),
                "{} has no hello",
                language.name
            );
            assert!(
                language.entry.echo.is_some(),
                "{} has no echo",
                language.name
            );
        }
        assert!(catalog.get("cobol").is_none());
    }

    #[test]
    fn bad_entries_are_refused_with_the_reason() {
        let err =
            Catalog::parse("[languages.x]\nfile = \"../x\"\nrun = [\"x\"]\n", "test").unwrap_err();
        assert!(err.to_string().contains("inside the workspace"), "{err}");
        let err = Catalog::parse("[languages.x]\nfile = \"x\"\nrun = []\n", "test").unwrap_err();
        assert!(err.to_string().contains("`run` is empty"), "{err}");
    }
}
