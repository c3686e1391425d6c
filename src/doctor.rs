//! `localeval doctor`: what isolation and which limits this host can enforce, for this
//! user, and why not where not. It probes by doing: a real sandbox is built and run.

use serde::Serialize;

use crate::jail::{Host, Runner};
use crate::outcome::{EnforcedLimits, Verdict};
use crate::plan::{plan, ExecRequest, Policy};

/// One probe: whether it worked, and what it saw.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub ok: bool,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct LanguageCheck {
    pub language: String,
    pub verdict: String,
    pub wall_ms: u64,
    pub detail: String,
}

/// Everything doctor found.
#[derive(Clone, Debug, Serialize)]
pub struct DoctorReport {
    pub localeval_version: String,
    pub kernel: String,
    pub uid: u32,
    pub rootless: bool,
    pub cgroup_mode: String,
    pub enforced: EnforcedLimits,
    /// Isolation this host cannot give, with the reason.
    pub weakened: Vec<String>,
    pub seccomp_profile_sha256: String,
    pub sandbox: Check,
    pub languages: Vec<LanguageCheck>,
    /// As root: the same report for an ordinary user (uid 65534), from a child process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_ordinary_user: Option<serde_json::Value>,
}

impl DoctorReport {
    /// Whether a sandbox could be built and run here.
    pub fn healthy(&self) -> bool {
        self.sandbox.ok
    }
}

/// Probes the host by running `/bin/true` (and, with `languages`, each language's hello
/// world) in real sandboxes.
pub fn examine(host: &Host, runner: &dyn Runner, policy: &Policy, languages: bool) -> DoctorReport {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_string();
    let probe = ExecRequest {
        command: Some(vec!["/bin/true".into()]),
        ..Default::default()
    };
    let (sandbox, enforced, weakened) = match plan(&probe, policy) {
        Ok(p) => {
            let outcome = crate::execute::execute(&p, runner, &mut |_, _| {});
            let ok = outcome.verdict == Verdict::Ok;
            let detail = if ok {
                format!("/bin/true ran in a sandbox in {} ms", outcome.usage.wall_ms)
            } else {
                format!(
                    "/bin/true in a sandbox gave {}: {}",
                    outcome.verdict,
                    outcome
                        .error
                        .clone()
                        .unwrap_or_else(|| outcome.stderr.text.clone())
                )
            };
            (
                Check { ok, detail },
                outcome.provenance.enforced,
                outcome.provenance.weakened,
            )
        }
        Err(e) => (
            Check {
                ok: false,
                detail: e.to_string(),
            },
            crate::jail::enforcement(host, &policy.run_defaults),
            host.cgroups.weaknesses(),
        ),
    };
    let mut checks = Vec::new();
    if languages && sandbox.ok {
        for language in policy.catalog.languages() {
            let Some(hello) = &language.entry.hello else {
                continue;
            };
            let request = ExecRequest {
                language: Some(language.name.clone()),
                code: Some(hello.clone()),
                ..Default::default()
            };
            let check = match plan(&request, policy) {
                Ok(p) => {
                    let o = crate::execute::execute(&p, runner, &mut |_, _| {});
                    let detail = match o.verdict {
                        Verdict::Ok => o.stdout.text.trim().to_string(),
                        _ => o
                            .error
                            .clone()
                            .or(o.compile.as_ref().map(|c| c.stderr.text.clone()))
                            .unwrap_or(o.stderr.text.clone()),
                    };
                    LanguageCheck {
                        language: language.name.clone(),
                        verdict: o.verdict.to_string(),
                        wall_ms: o.usage.wall_ms
                            + o.compile.as_ref().map_or(0, |c| c.usage.wall_ms),
                        detail,
                    }
                }
                Err(e) => LanguageCheck {
                    language: language.name.clone(),
                    verdict: "IE".into(),
                    wall_ms: 0,
                    detail: e.to_string(),
                },
            };
            checks.push(check);
        }
    }
    DoctorReport {
        localeval_version: crate::VERSION.to_string(),
        kernel,
        uid: host.own_uid,
        rootless: host.rootless,
        cgroup_mode: host.cgroups.mode().to_string(),
        enforced,
        weakened,
        seccomp_profile_sha256: host.seccomp.profile_sha256.clone(),
        sandbox,
        languages: checks,
        as_ordinary_user: None,
    }
}
