//! `localeval pull` then `localeval run --image REF`, as root and as an ordinary user
//! (uid 65534 with a store it owns: rootless pull, rootless unpack, rootless sandbox).

mod common;
mod image_support;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::Command;

use image_support::{Registry, RegistryOptions};

/// The registry with the Debian python image too, when CI asks for every test or
/// LOCALEVAL_TEST_DEBIAN=1.
fn registry() -> Option<Registry> {
    Registry::start_with(RegistryOptions {
        python: common::must_run() || std::env::var("LOCALEVAL_TEST_DEBIAN").as_deref() == Ok("1"),
        ..Default::default()
    })
}

fn localeval_as(
    args: &[&str],
    user: Option<(u32, u32)>,
    home: &std::path::Path,
) -> std::process::Output {
    let mut command = Command::new(common::binary());
    command
        .args(args)
        .env("LOCALEVAL_LOG", "warn")
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME");
    if let Some((uid, gid)) = user {
        command.uid(uid).gid(gid).current_dir("/");
    }
    command.output().expect("the localeval binary runs")
}

fn pull_and_run(registry: &Registry, user: Option<(u32, u32)>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    if let Some((uid, gid)) = user {
        std::os::unix::fs::chown(&home, Some(uid), Some(gid)).unwrap();
    }
    let store = home.join("store");
    let store = store.to_str().unwrap();
    for name in ["busybox", "python"] {
        let reference = registry.reference(name);
        if name == "python"
            && !std::path::Path::new(
                &registry
                    .dir
                    .path()
                    .join("storage/docker/registry/v2/repositories/python"),
            )
            .exists()
        {
            // Built by debootstrap (cached under /var/tmp; 96 s measured from a cold cache):
            // always under LOCALEVAL_TESTS_MUST_RUN=1 (CI), else on LOCALEVAL_TEST_DEBIAN=1.
            image_support::skip(
                "python part: the Debian python image was not built (set LOCALEVAL_TEST_DEBIAN=1)",
            );
            continue;
        }
        let out = localeval_as(
            &["pull", "--quiet", "--store", store, &reference],
            user,
            &home,
        );
        assert!(
            out.status.success(),
            "pull {name} as {user:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (program, expect): (&[&str], &str) = if name == "python" {
            (
                &["/usr/bin/python3", "-c", "print('hi from', 'python')"],
                "hi from python\n",
            )
        } else {
            (
                &["/bin/sh", "-c", "echo hi; cat /hello"],
                "hi\nhello-from-busybox\n",
            )
        };
        let mut args = vec!["run", "--store", store, "--image", &reference, "--"];
        args.extend_from_slice(program);
        let out = localeval_as(&args, user, &home);
        assert!(
            out.status.success(),
            "run {name} as {user:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), expect);
        // The result's provenance names the image's digest.
        let mut json_args = vec![
            "run", "--json", "--store", store, "--image", &reference, "--",
        ];
        json_args.extend_from_slice(program);
        let out = localeval_as(&json_args, user, &home);
        let outcome: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let text = outcome["provenance"].to_string();
        let images = localeval_as(&["images", "--json", "--store", store], user, &home);
        let list: serde_json::Value = serde_json::from_slice(&images.stdout).unwrap();
        let digest = list
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["reference"] == reference.as_str())
            .unwrap()["digest"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(text.contains(&digest), "provenance {text} lacks {digest}");
    }
}

#[test]
fn run_hello_world_from_a_pulled_image_as_root() {
    if !common::require_sandbox("run_hello_world_from_a_pulled_image_as_root") {
        return;
    }
    let Some(registry) = registry() else {
        return;
    };
    pull_and_run(&registry, None);
}

#[test]
fn run_hello_world_from_a_pulled_image_as_an_ordinary_user() {
    if !common::require_sandbox("run_hello_world_from_a_pulled_image_as_an_ordinary_user") {
        return;
    }
    let Some(registry) = registry() else {
        return;
    };
    pull_and_run(&registry, Some((65534, 65534)));
}
