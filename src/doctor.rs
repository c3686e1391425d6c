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
    /// Whether this process got a cgroup v2 subtree of its own, and what to do if not.
    pub delegation: Delegation,
    /// In a container: what the container lacks for the sandbox (empty when nothing).
    pub container: Option<ContainerCheck>,
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
    let context = Context::read();
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
    let container = container_check(&context, &sandbox);
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
        delegation: delegation(host, &context),
        container,
        languages: checks,
        as_ordinary_user: None,
    }
}

/// What doctor reads about how this process was started (the test seam: built from
/// /proc/self and the environment by [`Context::read`], by hand in the tests).
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// The v2 line of /proc/self/cgroup (`0::/system.slice/localeval.service`), without `0::`.
    pub own_cgroup: Option<String>,
    /// Whether a cgroup2 file system is mounted.
    pub cgroup2_mounted: bool,
    /// `INVOCATION_ID` is set: a systemd unit started this process.
    pub systemd_unit: bool,
    /// The container engine, when in one (`podman`, `docker`, or `oci`).
    pub container: Option<String>,
    /// Mount points under /proc other than /proc itself (a masked /proc).
    pub proc_overmounts: Vec<String>,
}

impl Context {
    pub fn read() -> Context {
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        let container = if std::path::Path::new("/run/.containerenv").exists() {
            Some("podman".to_string())
        } else if std::path::Path::new("/.dockerenv").exists() {
            Some("docker".to_string())
        } else {
            std::env::var("container").ok().filter(|c| !c.is_empty())
        };
        Context {
            own_cgroup: own
                .lines()
                .find_map(|l| l.strip_prefix("0::"))
                .map(str::to_string),
            cgroup2_mounted: crate::jail::cgroup::parse_mountinfo(&mountinfo)
                .iter()
                .any(|m| m.v2),
            systemd_unit: std::env::var_os("INVOCATION_ID").is_some(),
            container,
            proc_overmounts: proc_overmounts(&mountinfo),
        }
    }
}

/// Mount points strictly below /proc (podman's and docker's masked paths, systemd's
/// ProtectKernelTunables=): while any exists, the kernel refuses the fresh proc mount a
/// sandbox makes in its own user namespace (fs/namespace.c, mnt_already_visible).
pub fn proc_overmounts(mountinfo: &str) -> Vec<String> {
    mountinfo
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|m| m.starts_with("/proc/"))
        .map(str::to_string)
        .collect()
}

/// Cgroup v2 delegation as this process has it.
#[derive(Clone, Debug, Serialize)]
pub struct Delegation {
    /// `systemd-system`, `systemd-user`, `container` or `none`: what started this process,
    /// as its cgroup path and environment tell.
    pub manager: String,
    /// This process's cgroup v2 path (empty without cgroup v2).
    pub cgroup: String,
    /// The memory and pids controllers (at least) are this process's to use.
    pub delegated: bool,
    /// The controllers delegated (of memory, pids, cpu).
    pub controllers: Vec<String>,
    /// What to do, one step each, when the delegation is missing or partial.
    pub advice: Vec<String>,
}

/// Whether delegation is in place, and the fix where it is not.
pub fn delegation(host: &Host, context: &Context) -> Delegation {
    let controllers = match &host.cgroups {
        crate::jail::cgroup::Cgroups::V2(v2) => v2.controllers.clone(),
        _ => Vec::new(),
    };
    delegation_from(&controllers, host.cgroups.mode() == "v2", context)
}

/// [`delegation`] over plain inputs (unit-tested).
pub fn delegation_from(controllers: &[String], v2: bool, context: &Context) -> Delegation {
    let cgroup = context.own_cgroup.clone().unwrap_or_default();
    // The unit is the deepest `*.service` component of the cgroup path.
    let unit = cgroup
        .split('/')
        .rfind(|c| c.ends_with(".service"))
        .unwrap_or("")
        .to_string();
    let manager = if context.container.is_some() {
        "container"
    } else if cgroup.contains("/user@") && context.systemd_unit {
        "systemd-user"
    } else if context.systemd_unit && !unit.is_empty() {
        "systemd-system"
    } else {
        "none"
    };
    let has = |c: &str| controllers.iter().any(|x| x == c);
    let delegated = v2 && has("memory") && has("pids");
    let mut advice = Vec::new();
    if !context.cgroup2_mounted {
        advice.push(
            "cgroup v2 is not mounted (a v1 or hybrid host): boot with systemd.unified_cgroup_hierarchy=1 (or cgroup_no_v1=all) to get a delegated v2 subtree".to_string(),
        );
    } else if !delegated || !has("cpu") {
        let missing: Vec<&str> = ["memory", "pids", "cpu"]
            .into_iter()
            .filter(|c| !v2 || !has(c))
            .collect();
        let missing = missing.join(", ");
        match manager {
            "systemd-system" => advice.push(format!(
                "add Delegate=yes to the [Service] section of {unit} (deploy/systemd/localeval.service has it), then: systemctl daemon-reload && systemctl restart {unit}"
            )),
            "systemd-user" if v2 => advice.push(format!(
                "the user manager does not delegate {missing}: create /etc/systemd/system/user@.service.d/delegate.conf with [Service] Delegate=cpu cpuset io memory pids, then systemctl daemon-reload and log in again (or restart user@$(id -u).service)"
            )),
            "systemd-user" => advice.push(format!(
                "add Delegate=yes to the [Service] section of {unit} (deploy/systemd/localeval-user.service has it), then: systemctl --user daemon-reload && systemctl --user restart {unit}"
            )),
            "container" => advice.push(format!(
                "the container's cgroup is not delegated ({missing} missing): run it with --cgroupns=private on a cgroup v2 host (rootless podman: the user's systemd must delegate memory, pids and cpu, see user@.service Delegate=)"
            )),
            _ => advice.push(format!(
                "{missing} cannot be limited by cgroup v2 here ({cgroup} is not this user's): run localeval as a systemd service with Delegate=yes (localeval install-unit [--user] --now), or one command with systemd-run --user --scope -p Delegate=yes localeval ..."
            )),
        }
    }
    Delegation {
        manager: manager.to_string(),
        cgroup,
        delegated,
        controllers: controllers.to_vec(),
        advice,
    }
}

/// In a container: what it lacks for the sandbox, read from the probe's failure and /proc.
#[derive(Clone, Debug, Serialize)]
pub struct ContainerCheck {
    pub engine: String,
    /// Paths masked under /proc (each blocks the sandbox's own proc mount).
    pub proc_masked: Vec<String>,
    /// The run options to add, one step each (README "Install", the container section).
    pub advice: Vec<String>,
}

fn container_check(context: &Context, sandbox: &Check) -> Option<ContainerCheck> {
    let engine = context.container.clone()?;
    let mut advice = Vec::new();
    if !context.proc_overmounts.is_empty() {
        advice.push(format!(
            "/proc is masked ({}): the sandbox cannot mount its own proc; run with --security-opt unmask=/proc/* (podman) or --security-opt systempaths=unconfined (docker)",
            context.proc_overmounts.join(" ")
        ));
    }
    if !sandbox.ok {
        let d = &sandbox.detail;
        if d.contains("EPERM")
            && (d.contains("sethostname") || d.contains("unshare") || d.contains("clone"))
        {
            advice.push(
                "the container's seccomp profile refuses what the sandbox needs (namespaces, sethostname): run with --security-opt seccomp=deploy/seccomp.json".to_string(),
            );
        }
        if d.contains("uid_map") || d.contains("setgroups") {
            advice.push(
                "user namespaces cannot be set up: check user.max_user_namespaces > 0 on the host and that the container's seccomp profile allows unshare (deploy/seccomp.json)".to_string(),
            );
        }
    }
    Some(ContainerCheck {
        engine,
        proc_masked: context.proc_overmounts.clone(),
        advice,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(cgroup: &str, unit: bool, container: Option<&str>) -> Context {
        Context {
            own_cgroup: Some(cgroup.to_string()),
            cgroup2_mounted: true,
            systemd_unit: unit,
            container: container.map(str::to_string),
            proc_overmounts: Vec::new(),
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_root_service_without_delegate_is_told_to_add_it() {
        let d = delegation_from(
            &[],
            false,
            &ctx("/system.slice/localeval.service", true, None),
        );
        assert_eq!(d.manager, "systemd-system");
        assert!(!d.delegated);
        assert_eq!(d.advice.len(), 1);
        assert!(d.advice[0].contains("Delegate=yes"), "{:?}", d.advice);
        assert!(d.advice[0].contains("localeval.service"), "{:?}", d.advice);
    }

    #[test]
    fn a_delegated_service_needs_nothing() {
        let d = delegation_from(
            &names(&["memory", "pids", "cpu"]),
            true,
            &ctx("/system.slice/localeval.service", true, None),
        );
        assert!(d.delegated);
        assert!(d.advice.is_empty(), "{:?}", d.advice);
    }

    #[test]
    fn a_user_service_without_cpu_is_told_about_user_at_service() {
        let d = delegation_from(
            &names(&["memory", "pids"]),
            true,
            &ctx(
                "/user.slice/user-1000.slice/user@1000.service/app.slice/localeval.service",
                true,
                None,
            ),
        );
        assert_eq!(d.manager, "systemd-user");
        assert!(d.delegated);
        assert!(d.advice[0].contains("user@.service"), "{:?}", d.advice);
        assert!(d.advice[0].contains("cpu"), "{:?}", d.advice);
    }

    #[test]
    fn a_login_shell_is_told_about_the_user_unit() {
        let d = delegation_from(
            &[],
            false,
            &ctx("/user.slice/user-1000.slice/session-3.scope", false, None),
        );
        assert_eq!(d.manager, "none");
        assert!(d.advice[0].contains("install-unit"), "{:?}", d.advice);
    }

    #[test]
    fn no_cgroup2_says_how_to_boot() {
        let mut c = ctx("/", false, None);
        c.cgroup2_mounted = false;
        let d = delegation_from(&[], false, &c);
        assert!(
            d.advice[0].contains("unified_cgroup_hierarchy"),
            "{:?}",
            d.advice
        );
    }

    #[test]
    fn a_masked_proc_and_a_refused_sethostname_name_their_run_options() {
        let mut c = ctx("/", false, Some("podman"));
        c.proc_overmounts = names(&["/proc/kcore", "/proc/sys"]);
        let failed = Check {
            ok: false,
            detail: "set hostname: sethostname(\"sandbox\") => EPERM".into(),
        };
        let check = container_check(&c, &failed).unwrap();
        assert_eq!(check.proc_masked.len(), 2);
        assert!(
            check.advice.iter().any(|a| a.contains("unmask=/proc/*")),
            "{:?}",
            check.advice
        );
        assert!(
            check
                .advice
                .iter()
                .any(|a| a.contains("deploy/seccomp.json")),
            "{:?}",
            check.advice
        );
        assert!(container_check(&ctx("/", false, None), &failed).is_none());
    }

    #[test]
    fn proc_overmounts_come_from_mountinfo() {
        let text = "22 1 0:5 / /proc rw - proc proc rw\n23 22 0:6 /null /proc/kcore ro - tmpfs tmpfs ro\n24 1 0:7 / /sys rw - sysfs sysfs rw\n";
        assert_eq!(proc_overmounts(text), vec!["/proc/kcore".to_string()]);
    }
}
