//! **dataset**: problem sets the harness can read — the project's own `data/problems.json`
//! (stdin/stdout problems), HumanEval JSONL (optionally gzipped), MBPP JSONL, and the
//! per-language files of HumanEval-X and MultiPL-E — all lowered into one [`Problem`] type.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::extract::canonical_language;

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("cannot read dataset {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {why}")]
    Parse {
        path: PathBuf,
        line: usize,
        why: String,
    },
    #[error("dataset {0:?} is not understood: give problems[:PATH], humaneval:PATH, mbpp:PATH, multipl-e:PATH or humaneval-x:PATH")]
    BadSpec(String),
    #[error("dataset {path} has no problems")]
    Empty { path: PathBuf },
    #[error("problem {id} cannot be judged here: {why}")]
    Unjudgeable { id: String, why: String },
    #[error("problem {id}: no reference solution in {language} (the set has {available})")]
    NoSolution {
        id: String,
        language: String,
        available: String,
    },
}

/// How a problem is put to the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PromptStyle {
    /// A conversation: the model answers with prose and fenced code.
    Chat,
    /// Raw text completion: the model continues the prompt (HumanEval's own protocol).
    Completion,
}

/// How program output is compared with the expected output.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "mode")]
pub enum Compare {
    /// Byte for byte.
    Exact,
    /// Equal after trimming trailing spaces of each line and trailing blank lines.
    Lines,
    /// Equal as whitespace-separated tokens; tokens that both read as decimal numbers with a
    /// fraction or exponent may differ by `tolerance` (absolute or relative).
    Tokens { tolerance: f64 },
}

impl Default for Compare {
    fn default() -> Self {
        Compare::Tokens { tolerance: 1e-6 }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestCase {
    pub input: String,
    pub output: String,
}

/// How a sample is judged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Judge {
    /// One program, `prefix + completion + suffix`, passes when it exits with status 0
    /// (HumanEval: the prompt, the completion, the test and `check(entry_point)`) and, when
    /// `quiet`, prints nothing: HumanEval-X's JavaScript tests use `console.assert`, which
    /// only prints a failed assertion (its own harness fails any output).
    Program {
        prefix: String,
        suffix: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        quiet: bool,
    },
    /// The code is a whole program run once per test case with the input on stdin.
    Stdio {
        tests: Vec<TestCase>,
        compare: Compare,
    },
}

/// One problem, in the language the model is asked to write.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub id: String,
    pub title: String,
    pub categories: Vec<String>,
    pub difficulty: Option<String>,
    /// Catalog language the answer is judged as: the language it is written in, or a
    /// test-build variant of it (`go-test`) where the tests need one.
    pub language: String,
    /// What the model sees: the statement (chat) or the code to continue (completion).
    pub prompt: String,
    pub style: PromptStyle,
    pub entry_point: Option<String>,
    /// Where a completion should stop (sent to the backend in completion style).
    pub stop: Vec<String>,
    pub judge: Judge,
    pub time_limit_ms: Option<u64>,
    pub memory_limit_mb: Option<u64>,
    /// A known-good answer, in the form a model gives it (a HumanEval body, a whole
    /// program for stdio problems); used to calibrate time limits and to test the set.
    pub reference: Option<String>,
}

/// Which file and format to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatasetSpec {
    Problems(PathBuf),
    HumanEval(PathBuf),
    Mbpp(PathBuf),
    /// MultiPL-E or HumanEval-X per-language JSONL.
    MultiLanguage(PathBuf),
}

/// Where the project's own set lives relative to the repository.
pub const DEFAULT_PROBLEMS: &str = "data/problems.json";

impl DatasetSpec {
    /// Parses `problems`, `problems:PATH`, `humaneval:PATH`, `mbpp:PATH`,
    /// `multipl-e:PATH` or `humaneval-x:PATH`.
    pub fn parse(spec: &str) -> Result<DatasetSpec, DatasetError> {
        let (kind, path) = match spec.split_once(':') {
            Some((k, p)) => (k, Some(PathBuf::from(p))),
            None => (spec, None),
        };
        let need = |p: Option<PathBuf>| p.ok_or_else(|| DatasetError::BadSpec(spec.to_string()));
        Ok(match kind.to_ascii_lowercase().as_str() {
            "problems" => DatasetSpec::Problems(path.unwrap_or_else(|| DEFAULT_PROBLEMS.into())),
            "humaneval" => DatasetSpec::HumanEval(need(path)?),
            "mbpp" => DatasetSpec::Mbpp(need(path)?),
            "multipl-e" | "multiple" | "humaneval-x" | "humanevalx" => {
                DatasetSpec::MultiLanguage(need(path)?)
            }
            _ => return Err(DatasetError::BadSpec(spec.to_string())),
        })
    }

    pub fn path(&self) -> &Path {
        match self {
            DatasetSpec::Problems(p)
            | DatasetSpec::HumanEval(p)
            | DatasetSpec::Mbpp(p)
            | DatasetSpec::MultiLanguage(p) => p,
        }
    }
}

/// A loaded set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub name: String,
    pub problems: Vec<Problem>,
}

/// Reads a dataset; `language` selects the answer language where a set has several
/// (the project's set; MultiPL-E/HumanEval-X files carry their own), `style` overrides the
/// set's usual prompt style.
pub fn load(
    spec: &DatasetSpec,
    language: Option<&str>,
    style: Option<PromptStyle>,
) -> Result<Dataset, DatasetError> {
    let path = spec.path();
    let mut problems = match spec {
        DatasetSpec::Problems(_) => load_problems(path, language.unwrap_or("python"))?,
        DatasetSpec::HumanEval(_) => load_humaneval(path)?,
        DatasetSpec::Mbpp(_) => load_mbpp(path)?,
        DatasetSpec::MultiLanguage(_) => load_multilanguage(path, language)?,
    };
    if problems.is_empty() {
        return Err(DatasetError::Empty {
            path: path.to_path_buf(),
        });
    }
    if let Some(style) = style {
        for p in &mut problems {
            p.style = style;
        }
    }
    let kind = match spec {
        DatasetSpec::Problems(_) => "problems",
        DatasetSpec::HumanEval(_) => "humaneval",
        DatasetSpec::Mbpp(_) => "mbpp",
        DatasetSpec::MultiLanguage(_) => "multi-language",
    };
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Dataset {
        name: format!("{kind}:{file}"),
        problems,
    })
}

/// The text of a file, gunzipped when its name ends in `.gz`.
fn read_text(path: &Path) -> Result<String, DatasetError> {
    let read_err = |source| DatasetError::Read {
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::read(path).map_err(read_err)?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .map_err(read_err)?;
        Ok(text)
    } else {
        String::from_utf8(bytes)
            .map_err(|e| read_err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
    }
}

/// The records of a JSON Lines file (blank lines skipped), or of a JSON array.
fn read_records<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, DatasetError> {
    let text = read_text(path)?;
    let parse_err = |line, e: serde_json::Error| DatasetError::Parse {
        path: path.to_path_buf(),
        line,
        why: e.to_string(),
    };
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(&text).map_err(|e| parse_err(e.line(), e));
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| parse_err(i + 1, e)))
        .collect()
}

// ---------------------------------------------------------------- the project's own set

#[derive(Deserialize)]
struct ProblemsFile {
    #[allow(dead_code)]
    version: u32,
    problems: Vec<OwnProblem>,
}

#[derive(Deserialize)]
struct OwnProblem {
    id: String,
    title: String,
    statement: String,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    difficulty: Option<String>,
    #[serde(default)]
    time_limit_ms: Option<u64>,
    #[serde(default)]
    memory_limit_mb: Option<u64>,
    tests: Vec<TestCase>,
    #[serde(default)]
    solutions: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    compare: Option<Compare>,
}

/// The display name of a language in prompts.
pub fn language_title(language: &str) -> &str {
    match language {
        "python" => "Python 3",
        "go" => "Go",
        "javascript" => "JavaScript (Node.js)",
        "cpp" => "C++",
        "c" => "C",
        "java" => "Java",
        "rust" => "Rust",
        "ruby" => "Ruby",
        "php" => "PHP",
        "bash" => "Bash",
        "go-test" => "Go",
        other => other,
    }
}

/// The chat prompt of a stdin/stdout problem.
pub fn stdio_prompt(title: &str, statement: &str, language: &str) -> String {
    let lang = language_title(language);
    format!(
        "Solve this programming problem in {lang}.\n\n# {title}\n\n{statement}\n\n\
         Write a complete {lang} program that reads the input from standard input and \
         writes the answer to standard output. Reply with the whole program in one \
         ```{language} code block."
    )
}

fn load_problems(path: &Path, language: &str) -> Result<Vec<Problem>, DatasetError> {
    let text = read_text(path)?;
    let file: ProblemsFile = serde_json::from_str(&text).map_err(|e| DatasetError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        why: e.to_string(),
    })?;
    let language = canonical_language(language);
    file.problems
        .into_iter()
        .map(|p| {
            let reference = p
                .solutions
                .iter()
                .find(|(l, _)| canonical_language(l) == language)
                .map(|(_, s)| s.clone());
            if reference.is_none() && p.solutions.is_empty() {
                return Err(DatasetError::NoSolution {
                    id: p.id.clone(),
                    language: language.clone(),
                    available: "none".into(),
                });
            }
            Ok(Problem {
                prompt: stdio_prompt(&p.title, &p.statement, &language),
                id: p.id,
                title: p.title,
                categories: p.categories,
                difficulty: p.difficulty,
                language: language.clone(),
                style: PromptStyle::Chat,
                entry_point: None,
                stop: Vec::new(),
                judge: Judge::Stdio {
                    tests: p.tests,
                    compare: p.compare.unwrap_or_default(),
                },
                time_limit_ms: p.time_limit_ms,
                memory_limit_mb: p.memory_limit_mb,
                reference,
            })
        })
        .collect()
}

// ---------------------------------------------------------------- HumanEval

#[derive(Deserialize)]
struct HumanEvalRecord {
    task_id: String,
    prompt: String,
    #[serde(default)]
    canonical_solution: Option<String>,
    test: String,
    entry_point: String,
}

/// The stop sequences of the HumanEval paper (section 2.3): a new top-level statement
/// ends the function body.
pub const HUMANEVAL_STOP: &[&str] = &["\nclass", "\ndef", "\n#", "\nif", "\nprint"];

fn load_humaneval(path: &Path) -> Result<Vec<Problem>, DatasetError> {
    let records: Vec<HumanEvalRecord> = read_records(path)?;
    Ok(records
        .into_iter()
        .map(|r| Problem {
            title: r.entry_point.clone(),
            categories: vec!["humaneval".into()],
            difficulty: None,
            language: "python".into(),
            style: PromptStyle::Completion,
            stop: HUMANEVAL_STOP.iter().map(|s| s.to_string()).collect(),
            judge: Judge::Program {
                prefix: r.prompt.clone(),
                suffix: format!("\n\n{}\n\ncheck({})\n", r.test, r.entry_point),
                quiet: false,
            },
            entry_point: Some(r.entry_point),
            id: r.task_id,
            prompt: r.prompt,
            time_limit_ms: None,
            memory_limit_mb: None,
            reference: r.canonical_solution,
        })
        .collect())
}

// ---------------------------------------------------------------- MBPP

#[derive(Deserialize)]
struct MbppRecord {
    task_id: serde_json::Value,
    /// The task's statement: `text` in the full set, `prompt` in the sanitized one.
    #[serde(alias = "prompt")]
    text: String,
    /// The sanitized set's imports the tests need.
    #[serde(default)]
    test_imports: Vec<String>,
    #[serde(default)]
    code: Option<String>,
    test_list: Vec<String>,
    #[serde(default)]
    test_setup_code: String,
}

/// The names a piece of Python code defines with `def` at the top level.
fn python_defs(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|l| l.strip_prefix("def "))
        .filter_map(|rest| rest.split('(').next())
        .map(|n| n.trim().to_string())
        .collect()
}

/// The first identifier called in an assertion such as `assert f(1) == 2`.
fn first_called(test: &str) -> Option<String> {
    let rest = test.trim().strip_prefix("assert")?.trim_start();
    let mut name = String::new();
    for c in rest.chars() {
        if c.is_alphanumeric() || c == '_' || c == '.' {
            name.push(c);
        } else if c == '(' && !name.is_empty() {
            // Wrappers around the call under test.
            if [
                "set",
                "sorted",
                "math.isclose",
                "abs",
                "list",
                "tuple",
                "round",
                "str",
            ]
            .contains(&name.as_str())
            {
                name.clear();
                continue;
            }
            return Some(name);
        } else {
            name.clear();
        }
    }
    None
}

fn load_mbpp(path: &Path) -> Result<Vec<Problem>, DatasetError> {
    let records: Vec<MbppRecord> = read_records(path)?;
    Ok(records
        .into_iter()
        .map(|r| {
            let id = match &r.task_id {
                serde_json::Value::String(s) => s.clone(),
                other => format!("mbpp/{other}"),
            };
            let entry = r
                .code
                .as_deref()
                .map(python_defs)
                .and_then(|defs| {
                    defs.into_iter()
                        .find(|d| r.test_list.iter().any(|t| t.contains(d.as_str())))
                })
                .or_else(|| r.test_list.first().and_then(|t| first_called(t)));
            let tests = r.test_list.join("\n");
            Problem {
                title: entry.clone().unwrap_or_else(|| id.clone()),
                prompt: format!(
                    "{}\nYour code should pass these tests:\n\n{tests}\n\nReply with the Python \
                     code in one ```python code block.",
                    r.text
                ),
                id,
                categories: vec!["mbpp".into()],
                difficulty: None,
                language: "python".into(),
                style: PromptStyle::Chat,
                entry_point: entry,
                stop: Vec::new(),
                judge: Judge::Program {
                    // The reference harness runs the solution, then the test imports and
                    // setup code, then the asserts: setup code placed before the solution
                    // fails mbpp/367 and mbpp/927 (NameError on the solution's class).
                    prefix: String::new(),
                    suffix: {
                        let mut setup: Vec<&str> =
                            r.test_imports.iter().map(String::as_str).collect();
                        if !r.test_setup_code.trim().is_empty() {
                            setup.push(&r.test_setup_code);
                        }
                        format!("\n\n{}\n{tests}\n", setup.join("\n"))
                    },
                    quiet: false,
                },
                time_limit_ms: None,
                memory_limit_mb: None,
                reference: r.code,
            }
        })
        .collect())
}

// ---------------------------------------------------------------- MultiPL-E / HumanEval-X

#[derive(Deserialize)]
struct MultiRecord {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    task_id: Option<String>,
    #[serde(default)]
    language: Option<String>,
    prompt: String,
    /// MultiPL-E
    #[serde(default)]
    tests: Option<String>,
    /// HumanEval-X
    #[serde(default)]
    test: Option<String>,
    #[serde(default)]
    stop_tokens: Vec<String>,
    #[serde(default)]
    canonical_solution: Option<String>,
    #[serde(default)]
    entry_point: Option<String>,
    /// HumanEval-X Go: the package clause and the tests' imports, put before the prompt...
    #[serde(default)]
    test_setup: Option<String>,
    /// ...whose own import block is then dropped (the setup imports again).
    #[serde(default)]
    import: Option<String>,
}

/// Import paths in Go source: the quoted paths of `import "x"` and `import ( ... )`.
fn go_imports(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut in_block = false;
    for line in code.lines() {
        let l = line.trim();
        let spec = if in_block {
            if l.starts_with(')') {
                in_block = false;
                continue;
            }
            l
        } else if let Some(rest) = l.strip_prefix("import") {
            let rest = rest.trim_start();
            match rest.strip_prefix('(') {
                Some(first) => {
                    in_block = true;
                    first.trim_start()
                }
                None => rest,
            }
        } else {
            continue;
        };
        if let Some(start) = spec.find('"') {
            if let Some(len) = spec[start + 1..].find('"') {
                paths.push(spec[start + 1..start + 1 + len].to_string());
            }
        }
    }
    paths
}

/// Whether Go test code is a `go test` file (it declares `func TestXxx(t *testing.T)`).
fn is_go_test(tests: &str) -> bool {
    tests
        .lines()
        .any(|l| l.starts_with("func Test") && l.contains("*testing.T"))
}

/// Whether Rust test code holds `#[test]` functions, which only a test build runs: a plain
/// build (the catalog's) would drop them and pass every answer.
fn is_rust_test(tests: &str) -> bool {
    tests.lines().any(|l| l.trim() == "#[test]")
}

/// The crates outside the standard library that Rust code `use`s at the top level.
fn rust_external_crates(code: &str) -> Vec<String> {
    let mut crates: Vec<String> = code
        .lines()
        .filter_map(|l| l.strip_prefix("use "))
        .filter_map(|rest| {
            let name = rest
                .trim_start_matches("::")
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()?;
            (!name.is_empty()
                && !["std", "core", "alloc", "crate", "self", "super"].contains(&name))
            .then(|| name.to_string())
        })
        .collect();
    crates.dedup();
    crates
}

/// The catalog language of a MultiPL-E `language` field (`py`, `go_test.go`, `cpp` ...)
/// or a HumanEval-X task id prefix (`CPP/0`, `JavaScript/3`).
fn multi_language(r: &MultiRecord) -> Option<String> {
    if let Some(l) = &r.language {
        return Some(canonical_language(l.split(['_', '.']).next().unwrap_or(l)));
    }
    let prefix = r.task_id.as_deref()?.split('/').next()?;
    Some(canonical_language(prefix))
}

/// The function name a prompt declares last, for MultiPL-E names like
/// `HumanEval_0_has_close_elements`.
fn multi_entry(r: &MultiRecord) -> Option<String> {
    if let Some(e) = &r.entry_point {
        return Some(e.clone());
    }
    let name = r.name.as_deref()?;
    let mut parts = name.splitn(3, '_');
    let (_, _, rest) = (parts.next()?, parts.next()?, parts.next()?);
    // Languages with camelCase conventions rename the function; keep the snake name as
    // a hint only when the prompt holds it.
    r.prompt.contains(rest).then(|| rest.to_string())
}

fn load_multilanguage(path: &Path, language: Option<&str>) -> Result<Vec<Problem>, DatasetError> {
    let records: Vec<MultiRecord> = read_records(path)?;
    records
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let language = multi_language(&r)
                .or_else(|| language.map(canonical_language))
                .ok_or_else(|| DatasetError::Parse {
                    path: path.to_path_buf(),
                    line: i + 1,
                    why: "no language field or task id prefix; give --language".into(),
                })?;
            let tests = r
                .tests
                .clone()
                .or(r.test.clone())
                .ok_or_else(|| DatasetError::Parse {
                    path: path.to_path_buf(),
                    line: i + 1,
                    why: "record has neither `tests` (MultiPL-E) nor `test` (HumanEval-X)".into(),
                })?;
            let id = r
                .name
                .clone()
                .or(r.task_id.clone())
                .unwrap_or_else(|| format!("{}/{i}", path.display()));
            let entry = multi_entry(&r);
            let setup = r.test_setup.clone().unwrap_or_default();
            let mut prefix = r.prompt.clone();
            let mut run_language = language.clone();
            if language == "go" {
                // The sandbox has the Go standard library and nothing else; nothing is
                // downloaded there. HumanEval-X's Go tests import testify.
                if let Some(module) = go_imports(&format!("{setup}\n{tests}"))
                    .into_iter()
                    .find(|p| p.split('/').next().is_some_and(|first| first.contains('.')))
                {
                    return Err(DatasetError::Unjudgeable {
                        id,
                        why: format!(
                            "its Go tests import {module}, which the sandbox does not have (it \
                             has the standard library only and downloads nothing); HumanEval-X's \
                             Go tests all use testify: use MultiPL-E's Go set (humaneval-go), \
                             whose tests use only `testing`"
                        ),
                    });
                }
                if !setup.is_empty() {
                    let own_imports = r.import.as_deref().unwrap_or_default();
                    let prompt = if own_imports.is_empty() {
                        r.prompt.clone()
                    } else {
                        r.prompt.replace(own_imports, "")
                    };
                    prefix = format!("{setup}\n{prompt}");
                }
                if is_go_test(&tests) {
                    run_language = "go-test".into();
                }
            } else if language == "rust" {
                let crates = rust_external_crates(&format!("{}\n{tests}", r.prompt));
                if !crates.is_empty() {
                    return Err(DatasetError::Unjudgeable {
                        id,
                        why: format!(
                            "its Rust code uses the crates {}, which the sandbox does not have \
                             (it compiles with rustc alone and downloads nothing); HumanEval-X's \
                             Rust prompts all import rand, regex and md5: use MultiPL-E's Rust \
                             set (humaneval-rs), whose tests use only the standard library",
                            crates.join(", ")
                        ),
                    });
                }
                if is_rust_test(&tests) {
                    return Err(DatasetError::Unjudgeable {
                        id,
                        why: "its Rust tests are #[test] functions, which the catalog's plain \
                              rustc build would leave out (every answer would pass)"
                            .into(),
                    });
                }
            }
            Ok(Problem {
                title: entry.clone().unwrap_or_else(|| id.clone()),
                categories: vec![format!("multi-language/{language}")],
                difficulty: None,
                style: PromptStyle::Completion,
                stop: r.stop_tokens.clone(),
                judge: Judge::Program {
                    prefix,
                    suffix: format!("\n{tests}\n"),
                    quiet: language == "javascript" && tests.contains("console.assert("),
                },
                entry_point: entry,
                id,
                prompt: r.prompt,
                language: run_language,
                time_limit_ms: None,
                memory_limit_mb: None,
                reference: r.canonical_solution,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn specs() {
        assert_eq!(
            DatasetSpec::parse("humaneval:/x/HumanEval.jsonl.gz").unwrap(),
            DatasetSpec::HumanEval("/x/HumanEval.jsonl.gz".into())
        );
        assert_eq!(
            DatasetSpec::parse("problems").unwrap(),
            DatasetSpec::Problems(DEFAULT_PROBLEMS.into())
        );
        assert!(matches!(
            DatasetSpec::parse("mbpp"),
            Err(DatasetError::BadSpec(_))
        ));
        assert!(matches!(
            DatasetSpec::parse("apps:x"),
            Err(DatasetError::BadSpec(_))
        ));
    }

    #[test]
    fn humaneval_gz_and_plain() {
        let dir = tempfile::tempdir().unwrap();
        let line = r#"{"task_id":"HumanEval/0","prompt":"def add(a, b):\n    \"\"\"Add.\"\"\"\n","canonical_solution":"    return a + b\n","test":"def check(candidate):\n    assert candidate(1, 2) == 3\n","entry_point":"add"}"#;
        let plain = write(dir.path(), "he.jsonl", &format!("{line}\n\n{line}\n"));
        let gz_path = dir.path().join("he.jsonl.gz");
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz_path).unwrap(),
            flate2::Compression::default(),
        );
        gz.write_all(line.as_bytes()).unwrap();
        gz.finish().unwrap();
        let d = load(&DatasetSpec::HumanEval(plain), None, None).unwrap();
        assert_eq!(d.problems.len(), 2);
        let d = load(&DatasetSpec::HumanEval(gz_path), None, None).unwrap();
        let p = &d.problems[0];
        assert_eq!(p.id, "HumanEval/0");
        assert_eq!(p.entry_point.as_deref(), Some("add"));
        assert_eq!(p.style, PromptStyle::Completion);
        assert_eq!(p.reference.as_deref(), Some("    return a + b\n"));
        match &p.judge {
            Judge::Program { prefix, suffix, .. } => {
                assert_eq!(prefix, &p.prompt);
                assert!(suffix.ends_with("check(add)\n"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_lines_are_reported_with_their_number() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "bad.jsonl", "{\"task_id\":\"a\"}\n");
        let e = load(&DatasetSpec::HumanEval(p), None, None).unwrap_err();
        assert!(e.to_string().contains("bad.jsonl:1:"), "{e}");
        let e = load(
            &DatasetSpec::HumanEval(dir.path().join("missing")),
            None,
            None,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("cannot read dataset"), "{e}");
        let empty = write(dir.path(), "empty.jsonl", "\n");
        assert!(matches!(
            load(&DatasetSpec::HumanEval(empty), None, None),
            Err(DatasetError::Empty { .. })
        ));
    }

    #[test]
    fn mbpp() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "mbpp.jsonl",
            r#"{"task_id": 2, "text": "Write a function to find the shared elements.", "code": "def helper(x):\n    return x\ndef similar_elements(a, b):\n    return tuple(set(a) & set(b))", "test_list": ["assert set(similar_elements((3, 4), (4, 5))) == set((4,))"], "test_setup_code": "", "challenge_test_list": []}"#,
        );
        let d = load(&DatasetSpec::Mbpp(p), None, None).unwrap();
        let p = &d.problems[0];
        assert_eq!(p.id, "mbpp/2");
        assert_eq!(p.entry_point.as_deref(), Some("similar_elements"));
        assert!(p.prompt.contains("Your code should pass these tests"));
        assert_eq!(
            first_called("assert math.isclose(area(2), 4.0)").as_deref(),
            Some("area")
        );
    }

    #[test]
    fn multipl_e_and_humaneval_x() {
        let dir = tempfile::tempdir().unwrap();
        let m = write(
            dir.path(),
            "go.jsonl",
            r#"{"name": "HumanEval_53_add", "language": "go_test.go", "prompt": "package add_test\n\n// Add two numbers\nfunc add(x int, y int) int {\n", "tests": "func TestAdd(t *testing.T) {}\n", "stop_tokens": ["\nfunc", "\n}"]}"#,
        );
        let d = load(&DatasetSpec::MultiLanguage(m), None, None).unwrap();
        // The tests are a `go test` file: judged as one.
        assert_eq!(d.problems[0].language, "go-test");
        assert_eq!(d.problems[0].entry_point.as_deref(), Some("add"));
        assert_eq!(d.problems[0].stop, vec!["\nfunc", "\n}"]);
        let x = write(
            dir.path(),
            "cpp.jsonl",
            r#"{"task_id": "CPP/0", "prompt": "int add(int a, int b){\n", "declaration": "", "canonical_solution": "    return a + b;\n}\n", "test": "int main(){ return add(1,2) == 3 ? 0 : 1; }\n", "example_test": ""}"#,
        );
        let d = load(&DatasetSpec::MultiLanguage(x), None, None).unwrap();
        assert_eq!(d.problems[0].language, "cpp");
        assert_eq!(d.problems[0].id, "CPP/0");
    }

    #[test]
    fn go_imports_and_rust_crates_are_read() {
        let go = "package x_test\n\nimport (\n    \"testing\"\n    a \"github.com/stretchr/testify/assert\"\n)\nimport \"fmt\"\nfunc f() { s := \"import (\" }\n";
        assert_eq!(
            go_imports(go),
            vec!["testing", "github.com/stretchr/testify/assert", "fmt"]
        );
        assert!(is_go_test("func TestAdd(t *testing.T) {\n}\n"));
        assert!(!is_go_test("func main() {\n}\n"));
        let rust = "fn main(){}\n\nuse std::{slice::Iter, cmp::max};\nuse rand::Rng;\nuse regex::Regex;\nuse md5;\nuse std::any::Any;\n";
        assert_eq!(rust_external_crates(rust), vec!["rand", "regex", "md5"]);
        assert!(rust_external_crates("use std::collections::HashMap;\n").is_empty());
        assert!(is_rust_test("mod tests {\n    #[test]\n    fn t() {}\n}\n"));
    }

    #[test]
    fn own_problems_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "problems.json",
            r#"{"version":1,"problems":[{"id":"sum","title":"Sum","statement":"Print a+b.","categories":["math"],"difficulty":"easy","time_limit_ms":1000,"memory_limit_mb":256,"tests":[{"input":"1 2\n","output":"3\n"}],"solutions":{"python":"print(sum(map(int, input().split())))","go":"package main"}}]}"#,
        );
        let d = load(&DatasetSpec::Problems(p.clone()), Some("golang"), None).unwrap();
        let prob = &d.problems[0];
        assert_eq!(prob.language, "go");
        assert_eq!(prob.reference.as_deref(), Some("package main"));
        assert!(prob.prompt.contains("```go"));
        assert_eq!(prob.time_limit_ms, Some(1000));
        let d = load(&DatasetSpec::Problems(p.clone()), Some("rust"), None).unwrap();
        assert_eq!(
            d.problems[0].reference, None,
            "no rust solution: nothing to calibrate with"
        );
        let d = load(
            &DatasetSpec::Problems(p),
            None,
            Some(PromptStyle::Completion),
        )
        .unwrap();
        assert_eq!(d.problems[0].style, PromptStyle::Completion);
    }
}
