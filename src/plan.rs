//! request → **plan**: a request (from the CLI, HTTP or the eval harness) is lowered once,
//! before any fork, into an immutable and complete plan, or refused with a clear error.
//! No system calls happen here.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, Language};
use crate::limits::{LimitError, LimitRequest, Limits};
use crate::rootfs::{RootfsPlan, SANDBOX_USER, WORKSPACE};

/// Largest number of files a request may put into the workspace.
pub const MAX_FILES: usize = 256;
const MAX_PATH_LEN: usize = 1024;
const MAX_PATH_DEPTH: usize = 16;

/// What somebody asked to run, in the library's terms (front ends translate their own wire
/// formats into this).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ExecRequest {
    /// A catalog language (name or alias). Either this or `command`.
    pub language: Option<String>,
    /// A command line to run as it is, on the host profile (CLI `run -- cmd ...`).
    pub command: Option<Vec<String>>,
    /// The program's source, written to the language's file.
    pub code: Option<String>,
    /// Further files for the workspace.
    pub files: Vec<WorkspaceFile>,
    pub stdin: Vec<u8>,
    pub limits: LimitRequest,
    /// Limits for the compile step, where the language has one.
    pub compile_limits: LimitRequest,
    /// Workspace files to return after the run.
    pub return_files: Vec<String>,
    /// A pulled image to run on instead of the language's (or the command's) root
    /// filesystem; allowed only where [`Policy::request_images`] says so.
    #[serde(default)]
    pub image: Option<String>,
}

/// A file in the workspace, by its path relative to the workspace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceFile {
    pub path: String,
    pub content: Vec<u8>,
    pub executable: bool,
}

/// Which files the jail hands back when the program has ended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Collect {
    #[default]
    Nothing,
    /// These workspace paths (a missing one is reported, not an error).
    Named(Vec<String>),
    /// Every regular file of the workspace (a compile step's artifacts).
    Workspace,
}

/// One program in one fresh sandbox: the unit the jail executes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JailSpec {
    pub rootfs: RootfsPlan,
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub files: Vec<WorkspaceFile>,
    pub stdin: Vec<u8>,
    pub limits: Limits,
    pub collect: Collect,
    /// Most bytes collected files may take together.
    pub collect_max_bytes: u64,
}

/// A step of a plan: a command line and its limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepPlan {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub limits: Limits,
}

/// A validated execution: everything the jail needs, nothing left to decide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub language: Option<String>,
    pub rootfs: RootfsPlan,
    pub compile: Option<StepPlan>,
    pub run: StepPlan,
    pub files: Vec<WorkspaceFile>,
    pub stdin: Vec<u8>,
    pub return_files: Vec<String>,
}

/// Turns an image reference into the root filesystem of a pulled image (the image store
/// implements it). Resolving never pulls: an image not in the store is an error telling
/// the user to `localeval pull` it.
pub trait ImageResolver: Send + Sync {
    fn resolve(&self, reference: &str) -> Result<RootfsPlan, String>;
    /// Holds the root of the image with manifest `digest` against removal (`gc`, `rmi`)
    /// until the returned value is dropped: take it before a sandbox starts on the root.
    fn hold(&self, digest: &str) -> Result<Box<dyn Send + Sync>, String>;
}

/// Which images a request may name (catalog entries naming images are always allowed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RequestImages {
    /// None (the server's default).
    #[default]
    None,
    /// Only these references (compared normalized: `127.0.0.1:5000/x` is `…/x:latest`).
    Only(Vec<String>),
    /// Any pulled image (the CLI: its user owns the store).
    Any,
}

/// The server-side policy a request is planned against.
#[derive(Clone)]
pub struct Policy {
    pub catalog: Catalog,
    pub maxima: Limits,
    pub run_defaults: Limits,
    pub compile_defaults: Limits,
    pub host_profile: RootfsPlan,
    /// Whether `command` requests (arbitrary command lines) are allowed.
    pub allow_commands: bool,
    /// Resolves image references (catalog entries with `rootfs = "REF"`, requests naming an
    /// image); without one, only the host profile is available.
    pub images: Option<Arc<dyn ImageResolver>>,
    /// Which images requests may name.
    pub request_images: RequestImages,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("catalog", &self.catalog)
            .field("maxima", &self.maxima)
            .field("run_defaults", &self.run_defaults)
            .field("compile_defaults", &self.compile_defaults)
            .field("host_profile", &self.host_profile)
            .field("allow_commands", &self.allow_commands)
            .field("images", &self.images.as_ref().map(|_| "configured"))
            .field("request_images", &self.request_images)
            .finish()
    }
}

impl Policy {
    /// The built-in catalog and host profile with the default limits.
    pub fn builtin() -> Result<Policy, crate::rootfs::RootfsError> {
        Ok(Policy {
            catalog: Catalog::builtin(),
            maxima: Limits::DEFAULT_MAXIMA,
            run_defaults: Limits::DEFAULT_RUN,
            compile_defaults: Limits::DEFAULT_COMPILE,
            host_profile: RootfsPlan::builtin_host_profile()?,
            allow_commands: true,
            images: None,
            request_images: RequestImages::None,
        })
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("unsupported language: {0}")]
    UnsupportedLanguage(String),
    #[error("source_code cannot be empty")]
    EmptyCode,
    #[error("give either a language with code, or a command, not both")]
    LanguageAndCommand,
    #[error("give a language with code, or a command")]
    NothingToRun,
    #[error("running a command line is not allowed by this server's policy")]
    CommandsNotAllowed,
    #[error("the command line is empty")]
    EmptyCommand,
    #[error("file path {path:?}: {why}")]
    BadPath { path: String, why: &'static str },
    #[error("file {path:?} is given twice")]
    DuplicateFile { path: String },
    #[error("file {path:?} is given as a file and as the directory of {inside:?}")]
    FileIsDirectory { path: String, inside: String },
    #[error("too many files: {count} (at most {MAX_FILES})")]
    TooManyFiles { count: usize },
    #[error("the files total {bytes} bytes, more than the workspace size {limit}")]
    FilesTooLarge { bytes: u64, limit: u64 },
    #[error("the command line or stdin contains a NUL byte where none may be")]
    NulByte,
    #[error(transparent)]
    Limit(#[from] LimitError),
    #[error(
        "language {language:?} runs on root filesystem {rootfs:?}, which is not available: {why}"
    )]
    RootfsUnavailable {
        language: String,
        rootfs: String,
        why: String,
    },
    #[error(
        "image {0:?} may not be named in a request here: the server's configuration does not \
         list it in `images` (allowed: {1})"
    )]
    ImageNotAllowed(String, String),
    #[error("image {image:?} is not available: {why}")]
    ImageUnavailable { image: String, why: String },
}

/// Checks that `path` names a place inside the workspace: relative, no `..`, no empty or
/// `.` components, no NUL, bounded length and depth.
pub fn validate_workspace_path(path: &str) -> Result<(), PlanError> {
    let bad = |why| {
        Err(PlanError::BadPath {
            path: path.to_string(),
            why,
        })
    };
    if path.is_empty() {
        return bad("is empty");
    }
    if path.len() > MAX_PATH_LEN {
        return bad("is too long");
    }
    if path.contains('\0') {
        return bad("contains a NUL byte");
    }
    if path.starts_with('/') {
        return bad("must be relative to the workspace");
    }
    let components: Vec<&str> = path.split('/').collect();
    if components.len() > MAX_PATH_DEPTH {
        return bad("is nested too deeply");
    }
    for c in components {
        match c {
            "" => return bad("has an empty component"),
            "." | ".." => return bad("may not contain . or .. components"),
            _ if c.len() > 255 => return bad("has a component longer than 255 bytes"),
            _ => {}
        }
    }
    Ok(())
}

/// The environment every program starts from; nothing of the server's own reaches it.
pub fn base_environment() -> Vec<(String, String)> {
    [
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ("HOME", WORKSPACE),
        ("USER", SANDBOX_USER),
        ("LOGNAME", SANDBOX_USER),
        ("LANG", "C.UTF-8"),
        ("LC_ALL", "C.UTF-8"),
        ("TMPDIR", "/tmp"),
        ("TERM", "dumb"),
        ("PYTHONDONTWRITEBYTECODE", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn merged_env(
    base: Vec<(String, String)>,
    extra: impl IntoIterator<Item = (String, String)>,
) -> Vec<(String, String)> {
    let mut env = base;
    for (k, v) in extra {
        env.retain(|(existing, _)| existing != &k);
        env.push((k, v));
    }
    env
}

/// Lowers a request into a plan, or says exactly what is wrong with it.
pub fn plan(request: &ExecRequest, policy: &Policy) -> Result<Plan, PlanError> {
    let (language, code_file) = match (&request.language, &request.command) {
        (Some(_), Some(_)) => return Err(PlanError::LanguageAndCommand),
        (None, None) => return Err(PlanError::NothingToRun),
        (Some(name), None) => {
            let language = policy
                .catalog
                .get(name)
                .ok_or_else(|| PlanError::UnsupportedLanguage(name.clone()))?;
            let code = request.code.as_deref().unwrap_or("");
            if code.trim().is_empty() {
                return Err(PlanError::EmptyCode);
            }
            let path = match language.entry.java_classes {
                true => java_names(code)
                    .public_class
                    .map(|class| format!("{class}.java"))
                    .unwrap_or_else(|| language.entry.file.clone()),
                false => language.entry.file.clone(),
            };
            let file = WorkspaceFile {
                path,
                content: code.as_bytes().to_vec(),
                executable: false,
            };
            (Some(language), Some(file))
        }
        (None, Some(command)) => {
            if !policy.allow_commands {
                return Err(PlanError::CommandsNotAllowed);
            }
            if command.is_empty() || command[0].is_empty() {
                return Err(PlanError::EmptyCommand);
            }
            (None, None)
        }
    };

    // `{file}` and `{main_class}` in a language's commands (see `java_classes`).
    let placeholders: Vec<(&str, String)> = match (&code_file, language) {
        (Some(file), Some(l)) => {
            let main_class = match l.entry.java_classes {
                true => java_names(request.code.as_deref().unwrap_or("")).main_class,
                false => None,
            }
            .unwrap_or_else(|| file_stem(&file.path));
            vec![("{file}", file.path.clone()), ("{main_class}", main_class)]
        }
        _ => Vec::new(),
    };
    let substituted = |argv: &[String]| -> Vec<String> {
        argv.iter()
            .map(|a| {
                placeholders
                    .iter()
                    .fold(a.clone(), |a, (name, value)| a.replace(name, value))
            })
            .collect()
    };

    let mut files: Vec<WorkspaceFile> = code_file.into_iter().collect();
    for file in &request.files {
        validate_workspace_path(&file.path)?;
        if files.iter().any(|f| f.path == file.path) {
            return Err(PlanError::DuplicateFile {
                path: file.path.clone(),
            });
        }
        // `a` and `a/b`: the workspace cannot hold a file that is also a directory.
        let under = |dir: &str, path: &str| {
            path.strip_prefix(dir)
                .is_some_and(|rest| rest.starts_with('/'))
        };
        if let Some(other) = files
            .iter()
            .find(|f| under(&f.path, &file.path) || under(&file.path, &f.path))
        {
            let (file_path, dir_path) = match under(&other.path, &file.path) {
                true => (other.path.clone(), file.path.clone()),
                false => (file.path.clone(), other.path.clone()),
            };
            return Err(PlanError::FileIsDirectory {
                path: file_path,
                inside: dir_path,
            });
        }
        files.push(file.clone());
    }
    if files.len() > MAX_FILES {
        return Err(PlanError::TooManyFiles { count: files.len() });
    }
    for path in &request.return_files {
        validate_workspace_path(path)?;
    }

    let run_limits = match language {
        Some(l) => policy
            .run_defaults
            .with_request(&l.run_limits, &policy.maxima),
        None => policy.run_defaults,
    }
    .with_request(&request.limits, &policy.maxima);
    run_limits.validate()?;
    let file_bytes: u64 = files.iter().map(|f| f.content.len() as u64).sum();
    if file_bytes > run_limits.tmpfs_bytes {
        return Err(PlanError::FilesTooLarge {
            bytes: file_bytes,
            limit: run_limits.tmpfs_bytes,
        });
    }

    let rootfs = match (&request.image, language) {
        (Some(image), _) => requested_image(image, policy)?,
        (None, Some(l)) => rootfs_for(l, policy)?,
        (None, None) => policy.host_profile.clone(),
    };
    let env = merged_env(
        merged_env(base_environment(), rootfs.env.clone()),
        language
            .map(|l| l.entry.env.clone().into_iter().collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    for (k, v) in &env {
        if k.contains('\0') || k.contains('=') || v.contains('\0') {
            return Err(PlanError::NulByte);
        }
    }

    let (compile, run_argv) = match (language, &request.command) {
        (Some(l), _) => {
            let compile = match &l.entry.compile {
                Some(argv) => {
                    let limits = policy
                        .compile_defaults
                        .with_request(&l.compile_limits, &policy.maxima)
                        .with_request(&request.compile_limits, &policy.maxima);
                    limits.validate()?;
                    Some(StepPlan {
                        argv: substituted(argv),
                        env: env.clone(),
                        limits,
                    })
                }
                None => None,
            };
            (compile, substituted(&l.entry.run))
        }
        (None, Some(command)) => (None, command.clone()),
        (None, None) => unreachable!("checked above"),
    };
    if run_argv.iter().any(|a| a.contains('\0')) {
        return Err(PlanError::NulByte);
    }

    Ok(Plan {
        language: language.map(|l| l.name.clone()),
        rootfs,
        compile,
        run: StepPlan {
            argv: run_argv,
            env,
            limits: run_limits,
        },
        files,
        stdin: request.stdin.clone(),
        return_files: request.return_files.clone(),
    })
}

fn file_stem(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split_once('.')
        .map_or(name, |(stem, _)| stem)
        .to_string()
}

/// The class names that matter to run a Java source file.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct JavaNames {
    /// The top-level public type (javac wants the file named after it).
    pub public_class: Option<String>,
    /// The top-level class that declares `static void main(` (the public one first).
    pub main_class: Option<String>,
}

/// Finds the public top-level type and the class with `main` in Java source, skipping
/// comments, string, text-block and character literals. A heuristic, not a parser: what it
/// cannot tell falls back to the catalog's `file` (`Main.java`, class `Main`).
pub fn java_names(source: &str) -> JavaNames {
    let tokens = java_tokens(source);
    // Top-level types: (name, public, declares main).
    let mut types: Vec<(String, bool, bool)> = Vec::new();
    let mut depth = 0usize;
    let mut public_seen = false;
    let mut member_static = false;
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].as_str();
        match t {
            "{" => {
                depth += 1;
                member_static = false;
            }
            "}" => {
                depth = depth.saturating_sub(1);
                public_seen = false;
                member_static = false;
            }
            ";" => {
                public_seen = false;
                member_static = false;
            }
            "public" if depth == 0 => public_seen = true,
            "class" | "interface" | "enum" | "record" if depth == 0 => {
                if let Some(name) = tokens.get(i + 1).filter(|n| is_java_identifier(n)) {
                    types.push((name.clone(), public_seen, false));
                    i += 1;
                }
                public_seen = false;
            }
            "static" if depth == 1 => member_static = true,
            "main"
                if depth == 1
                    && member_static
                    && i > 0
                    && tokens[i - 1] == "void"
                    && tokens.get(i + 1).is_some_and(|n| n == "(") =>
            {
                if let Some(current) = types.last_mut() {
                    current.2 = true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    let public_class = types.iter().find(|t| t.1).map(|t| t.0.clone());
    let main_class = types
        .iter()
        .find(|t| t.1 && t.2)
        .or_else(|| types.iter().find(|t| t.2))
        .map(|t| t.0.clone())
        .or_else(|| public_class.clone())
        // No `main` anywhere: name the first type, so that java's error names the class
        // the program declares ("Main method not found in class X"), not a `Main` it lacks.
        .or_else(|| types.first().map(|t| t.0.clone()));
    JavaNames {
        public_class,
        main_class,
    }
}

fn is_java_identifier(word: &str) -> bool {
    let mut chars = word.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// Identifiers and single punctuation characters of Java source, without comments and
/// literals.
fn java_tokens(source: &str) -> Vec<String> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let starts = |i: usize, s: &str| {
        s.chars()
            .enumerate()
            .all(|(k, c)| chars.get(i + k) == Some(&c))
    };
    while i < chars.len() {
        let c = chars[i];
        if starts(i, "//") {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if starts(i, "/*") {
            i += 2;
            while i < chars.len() && !starts(i, "*/") {
                i += 1;
            }
            i += 2;
        } else if starts(i, "\"\"\"") {
            i += 3;
            while i < chars.len() && !starts(i, "\"\"\"") {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 3;
        } else if c == '"' || c == '\'' {
            i += 1;
            while i < chars.len() && chars[i] != c && chars[i] != '\n' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else {
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
            i += 1;
        }
    }
    tokens
}

fn rootfs_for(language: &Language, policy: &Policy) -> Result<RootfsPlan, PlanError> {
    if language.entry.rootfs == "host" {
        return Ok(policy.host_profile.clone());
    }
    let unavailable = |why: String| PlanError::RootfsUnavailable {
        language: language.name.clone(),
        rootfs: language.entry.rootfs.clone(),
        why,
    };
    let resolver = policy
        .images
        .as_ref()
        .ok_or_else(|| unavailable("no image store is configured".into()))?;
    resolver
        .resolve(&language.entry.rootfs)
        .map_err(unavailable)
}

fn normalized_image(reference: &str) -> String {
    crate::image::ImageRef::parse(reference)
        .map(|r| r.to_string())
        .unwrap_or_else(|_| reference.to_string())
}

fn requested_image(image: &str, policy: &Policy) -> Result<RootfsPlan, PlanError> {
    match &policy.request_images {
        RequestImages::Any => {}
        RequestImages::Only(list)
            if list
                .iter()
                .any(|allowed| normalized_image(allowed) == normalized_image(image)) => {}
        RequestImages::Only(list) => {
            return Err(PlanError::ImageNotAllowed(
                image.to_string(),
                list.join(", "),
            ))
        }
        RequestImages::None => {
            return Err(PlanError::ImageNotAllowed(image.to_string(), "none".into()))
        }
    }
    let resolver = policy
        .images
        .as_ref()
        .ok_or_else(|| PlanError::ImageUnavailable {
            image: image.to_string(),
            why: "no image store is configured".into(),
        })?;
    resolver
        .resolve(image)
        .map_err(|why| PlanError::ImageUnavailable {
            image: image.to_string(),
            why,
        })
}

impl Plan {
    /// The jail spec of the compile step: the submitted files in, every workspace file out.
    pub fn compile_spec(&self) -> Option<JailSpec> {
        let step = self.compile.as_ref()?;
        Some(JailSpec {
            rootfs: self.rootfs.clone(),
            argv: step.argv.clone(),
            env: step.env.clone(),
            files: self.files.clone(),
            stdin: Vec::new(),
            limits: step.limits,
            collect: Collect::Workspace,
            collect_max_bytes: step.limits.tmpfs_bytes,
        })
    }

    /// The jail spec of the run step, given the workspace the compile step left (if any).
    pub fn run_spec(&self, compiled: Option<Vec<WorkspaceFile>>) -> JailSpec {
        JailSpec {
            rootfs: self.rootfs.clone(),
            argv: self.run.argv.clone(),
            env: self.run.env.clone(),
            files: compiled.unwrap_or_else(|| self.files.clone()),
            stdin: self.stdin.clone(),
            limits: self.run.limits,
            collect: if self.return_files.is_empty() {
                Collect::Nothing
            } else {
                Collect::Named(self.return_files.clone())
            },
            collect_max_bytes: self.run.limits.output_bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::builtin().unwrap()
    }

    fn request(language: &str, code: &str) -> ExecRequest {
        ExecRequest {
            language: Some(language.into()),
            code: Some(code.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_python_request_becomes_a_one_step_plan() {
        let plan = plan(&request("py", "print(1)"), &policy()).unwrap();
        assert_eq!(plan.language.as_deref(), Some("python"));
        assert!(plan.compile.is_none());
        assert_eq!(plan.files[0].path, "main.py");
        assert!(plan.run.env.iter().any(|(k, _)| k == "PATH"));
        assert!(!plan.run.env.iter().any(|(k, _)| k == "CARGO_HOME"));
    }

    #[test]
    fn a_go_request_compiles_first_with_compile_limits() {
        let plan = plan(&request("golang", "package main"), &policy()).unwrap();
        let compile = plan.compile.expect("go compiles");
        assert_eq!(compile.limits.memory_bytes, 1 << 30);
        assert!(compile
            .env
            .iter()
            .any(|(k, v)| k == "GOCACHE" && v == "/tmp/go-cache"));
    }

    #[test]
    fn bad_requests_get_the_older_services_errors() {
        assert_eq!(
            plan(&request("cobol", "x"), &policy()),
            Err(PlanError::UnsupportedLanguage("cobol".into()))
        );
        assert_eq!(
            plan(&request("python", "  \n"), &policy()),
            Err(PlanError::EmptyCode)
        );
        assert_eq!(
            PlanError::UnsupportedLanguage("ruby".into()).to_string(),
            "unsupported language: ruby"
        );
    }

    #[test]
    fn workspace_paths_cannot_escape() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "a\0b",
        ] {
            assert!(validate_workspace_path(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["a", "src/Main.java", "pkg/sub/file.txt", "..hidden"] {
            assert!(validate_workspace_path(good).is_ok(), "{good:?} refused");
        }
        let mut r = request("python", "print(1)");
        r.files.push(WorkspaceFile {
            path: "../escape".into(),
            content: vec![],
            executable: false,
        });
        assert!(matches!(
            plan(&r, &policy()),
            Err(PlanError::BadPath { .. })
        ));
    }

    #[test]
    fn request_images_need_the_allow_list_and_catalog_images_a_store() {
        let mut r = request("python", "print(1)");
        r.image = Some("127.0.0.1:5000/x".into());
        let mut policy = policy();
        assert!(matches!(
            plan(&r, &policy),
            Err(PlanError::ImageNotAllowed(_, ref allowed)) if allowed == "none"
        ));
        policy.request_images = RequestImages::Only(vec!["127.0.0.1:5000/y:latest".into()]);
        assert!(matches!(
            plan(&r, &policy),
            Err(PlanError::ImageNotAllowed(..))
        ));
        // Compared normalized: `…/x` is `…/x:latest`; allowed, but no store to resolve in.
        policy.request_images = RequestImages::Only(vec!["127.0.0.1:5000/x:latest".into()]);
        assert!(matches!(
            plan(&r, &policy),
            Err(PlanError::ImageUnavailable { .. })
        ));
        let catalog = Catalog::parse(
            "[languages.img]\nrootfs = \"127.0.0.1:5000/x\"\nfile = \"a\"\nrun = [\"a\"]\n",
            "test",
        )
        .unwrap();
        let policy = Policy {
            catalog,
            ..Policy::builtin().unwrap()
        };
        let err = plan(&request("img", "x"), &policy).unwrap_err();
        assert!(matches!(err, PlanError::RootfsUnavailable { .. }), "{err}");
        assert!(err.to_string().contains("no image store"), "{err}");
    }

    #[test]
    fn limits_are_clamped_to_the_server_maxima() {
        let mut r = request("python", "print(1)");
        r.limits.wall_ms = Some(10_000_000);
        let mut policy = policy();
        policy.maxima.wall_ms = 5_000;
        assert_eq!(plan(&r, &policy).unwrap().run.limits.wall_ms, 5_000);
    }

    #[test]
    fn a_file_and_a_file_under_it_are_refused() {
        let file = |path: &str| WorkspaceFile {
            path: path.into(),
            content: b"x".to_vec(),
            executable: false,
        };
        for (first, second) in [("a", "a/b"), ("a/b", "a"), ("d/a", "d/a/b/c")] {
            let mut r = request("python", "print(1)");
            r.files = vec![file(first), file(second)];
            let err = plan(&r, &policy()).unwrap_err();
            assert!(matches!(err, PlanError::FileIsDirectory { .. }), "{err}");
            let shorter = if first.len() < second.len() {
                first
            } else {
                second
            };
            assert!(err.to_string().contains(&format!("{shorter:?}")), "{err}");
        }
        // The code's own file counts too; siblings and common prefixes are fine.
        let mut r = request("python", "print(1)");
        r.files = vec![file("main.py/x")];
        assert!(plan(&r, &policy()).is_err());
        let mut r = request("python", "print(1)");
        r.files = vec![file("a"), file("ab/c"), file("b/a"), file("a.d/e")];
        assert!(plan(&r, &policy()).is_ok());
    }

    #[test]
    fn java_names_follow_the_public_class_and_main() {
        let names = java_names(
            "public class HelloWorld {\n    public static void main(String[] args) {\n        \
             System.out.println(\"OK\");\n    }\n}",
        );
        assert_eq!(names.public_class.as_deref(), Some("HelloWorld"));
        assert_eq!(names.main_class.as_deref(), Some("HelloWorld"));
        // No public class: main is found in a package-private one.
        let names = java_names("import java.util.*;\nclass A { }\nfinal class Prog { static public void main(String... a) {} }");
        assert_eq!(names.public_class, None);
        assert_eq!(names.main_class.as_deref(), Some("Prog"));
        // Comments, strings and nested classes do not count; the public class with main wins.
        let names = java_names(
            "// public class Fake {\n/* public class Fake2 { */\n@SuppressWarnings(\"x\")\n\
             public final class Real { static class Inner { public static void main(String[] a) {} }\n\
             String s = \"public class S { static void main(\"; char q = '\\'';\n\
             public static void main(String[] a) { } }\nclass Other { public static void main(String[] a) {} }",
        );
        assert_eq!(names.public_class.as_deref(), Some("Real"));
        assert_eq!(names.main_class.as_deref(), Some("Real"));
        // MultiPL-E's shape with eval's launcher appended: `Main` starts `Problem`.
        let names = java_names(
            "class Problem { public static void main(String[] a) {} }\n\
             public class Main { public static void main(String[] args) throws Exception { Problem.main(args); } }",
        );
        assert_eq!(names.public_class.as_deref(), Some("Main"));
        assert_eq!(names.main_class.as_deref(), Some("Main"));
        assert_eq!(java_names("not java at all"), JavaNames::default());
    }

    #[test]
    fn java_programs_compile_under_their_public_class_name() {
        let code = "public class HelloWorld { public static void main(String[] a) {} }";
        let plan = plan(&request("java", code), &policy()).unwrap();
        assert_eq!(plan.files[0].path, "HelloWorld.java");
        let compile = plan.compile.expect("java compiles");
        assert_eq!(
            compile.argv.last().map(String::as_str),
            Some("HelloWorld.java")
        );
        assert_eq!(plan.run.argv.last().map(String::as_str), Some("HelloWorld"));
        let plan = super::plan(&request("java", "class X { }"), &policy()).unwrap();
        assert_eq!(plan.files[0].path, "Main.java");
        assert_eq!(plan.run.argv.last().map(String::as_str), Some("X"));
    }
}
