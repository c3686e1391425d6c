//! A plan's steps through a jail runner: compile (when the language has a compile step)
//! in one fresh sandbox, then run in another with the compiled workspace. The result is one
//! [`Outcome`] with provenance.

use base64::Engine as _;

use crate::jail::{JailReport, RunCancel, Runner, Stream};
use crate::outcome::{Outcome, Provenance, ReturnedFile, Verdict};
use crate::plan::Plan;

/// Runs `plan` through `runner`; `on_output` sees the run step's output as it is produced.
pub fn execute(
    plan: &Plan,
    runner: &dyn Runner,
    on_output: &mut dyn FnMut(Stream, &[u8]),
) -> Outcome {
    execute_cancellable(plan, runner, &RunCancel::default(), on_output)
}

/// [`execute`], which `cancel` can end at any step (the outcome is then IE).
pub fn execute_cancellable(
    plan: &Plan,
    runner: &dyn Runner,
    cancel: &RunCancel,
    on_output: &mut dyn FnMut(Stream, &[u8]),
) -> Outcome {
    let compiled = match plan.compile_spec() {
        Some(spec) => {
            let report = runner.run_cancellable(&spec, cancel, &mut |_, _| {});
            if report.step.verdict != Verdict::Ok {
                let provenance = provenance(plan, &report);
                return Outcome::compile_failed(report.step, provenance);
            }
            Some(report)
        }
        None => None,
    };
    let (compile_step, files) = match compiled {
        Some(report) => (Some(report.step), Some(report.files)),
        None => (None, None),
    };
    let report = runner.run_cancellable(&plan.run_spec(files), cancel, on_output);
    let provenance = provenance(plan, &report);
    let mut returned: Vec<ReturnedFile> = report
        .files
        .iter()
        .map(|f| ReturnedFile {
            name: f.path.clone(),
            base64: Some(base64::engine::general_purpose::STANDARD.encode(&f.content)),
            error: None,
        })
        .collect();
    returned.extend(report.missing.iter().cloned());
    Outcome::from_step(report.step, compile_step, returned, provenance)
}

/// The provenance of an outcome: where the root came from and how the jail enforced it.
pub fn provenance(plan: &Plan, report: &JailReport) -> Provenance {
    let jail = &report.provenance;
    Provenance {
        rootfs: plan.rootfs.name.clone(),
        rootfs_digest: plan.rootfs.digest.clone(),
        rootfs_notes: plan.rootfs.notes.clone(),
        cgroup_mode: jail.cgroup_mode.clone(),
        enforced: jail.enforced.clone(),
        seccomp_profile_sha256: jail.seccomp_profile_sha256.clone(),
        rootless: jail.rootless,
        host_uid: jail.host_uid,
        weakened: jail.weakened.clone(),
        localeval_version: crate::VERSION.to_string(),
    }
}
