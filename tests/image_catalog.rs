//! Catalog entries that map a language to an image (`rootfs = "REF"`), side by side with
//! host-profile languages, through `localeval run` (as root and as an ordinary user) and
//! through `localeval serve`; requests naming an image only where the server's `images`
//! allow-list has it.

mod common;
mod image_support;
mod server_support;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use image_support::Registry;
use serde_json::{json, Value};
use server_support::{client, Server};

/// What the busybox-sh program prints on the busybox image: a file only the image has, the
/// current directory (the workspace) and the image's WorkingDir (`/`) as exposed.
const PROGRAM: &str = "echo \"from $(cat /hello)\"; pwd; echo \"wd=$LOCALEVAL_IMAGE_WORKDIR\"\n";
const EXPECTED: &str = "from hello-from-busybox\n/workspace\nwd=/\n";

struct Setup {
    _dir: tempfile::TempDir,
    home: PathBuf,
    store: String,
    catalog: String,
    digest: String,
}

fn localeval_as(args: &[&str], user: Option<(u32, u32)>, home: &Path) -> std::process::Output {
    let mut command = Command::new(common::binary());
    command
        .args(args)
        .env("LOCALEVAL_LOG", "warn")
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .env_remove("LOCALEVAL_STORE")
        .env_remove("LOCALEVAL_CATALOG");
    if let Some((uid, gid)) = user {
        command.uid(uid).gid(gid).current_dir("/");
    }
    command.output().expect("the localeval binary runs")
}

/// A store (owned by `user`) with the busybox image pulled, and a catalog whose
/// `busybox-sh` runs on that image pinned by digest, `python` on the host profile, and
/// `missing-sh` on an image never pulled.
fn setup(registry: &Registry, user: Option<(u32, u32)>) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    if let Some((uid, gid)) = user {
        std::os::unix::fs::chown(&home, Some(uid), Some(gid)).unwrap();
    }
    let store = home.join("store").to_str().unwrap().to_string();
    let reference = registry.reference("busybox");
    let out = localeval_as(
        &["pull", "--quiet", "--json", "--store", &store, &reference],
        user,
        &home,
    );
    assert!(
        out.status.success(),
        "pull as {user:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    let digest = record["digest"].as_str().unwrap().to_string();
    let pinned = format!("127.0.0.1:{}/busybox@{digest}", registry.port);
    let catalog = home.join("catalog.toml");
    std::fs::write(
        &catalog,
        format!(
            r#"
[languages.busybox-sh]
aliases = ["bbsh"]
rootfs = "{pinned}"
file = "main.sh"
run = ["/bin/sh", "main.sh"]

[languages.python]
rootfs = "host"
file = "main.py"
run = ["/usr/bin/python3", "-u", "main.py"]

[languages.missing-sh]
rootfs = "127.0.0.1:{}/never-pulled:latest"
file = "main.sh"
run = ["/bin/sh", "main.sh"]
"#,
            registry.port
        ),
    )
    .unwrap();
    std::fs::set_permissions(&catalog, std::fs::Permissions::from_mode(0o644)).unwrap();
    Setup {
        _dir: dir,
        home,
        store,
        catalog: catalog.to_str().unwrap().to_string(),
        digest,
    }
}

fn cli_runs_image_and_host_languages_side_by_side(user: Option<(u32, u32)>) {
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let s = setup(&registry, user);
    let run = |lang: &str, code: &str, json: bool| {
        let mut args = vec![
            "run",
            "--catalog",
            &s.catalog,
            "--store",
            &s.store,
            "--lang",
            lang,
            "--code",
            code,
        ];
        if json {
            args.push("--json");
        }
        localeval_as(&args, user, &s.home)
    };
    let out = run("busybox-sh", PROGRAM, false);
    assert!(
        out.status.success(),
        "busybox-sh as {user:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), EXPECTED);

    // The result's provenance names the image and its digest; nothing was ignored.
    let out = run("bbsh", PROGRAM, true);
    let outcome: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["verdict"], "OK", "{outcome}");
    assert_eq!(outcome["provenance"]["rootfs_digest"], s.digest.as_str());
    assert!(outcome["provenance"]["rootfs_notes"].is_null(), "{outcome}");

    // The host-profile language of the same catalog still runs on the host profile.
    let out = run("python", "import sys; print(sys.version_info[0])", true);
    let outcome: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["verdict"], "OK", "{outcome}");
    assert_eq!(outcome["stdout"]["text"], "3\n", "{outcome}");
    assert_eq!(outcome["provenance"]["rootfs"], "host");

    // An image that is not pulled is a clear error, never an implicit pull.
    let out = run("missing-sh", "echo no", false);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(
        err.contains("missing-sh") && err.contains("localeval pull"),
        "{err}"
    );
    let list = localeval_as(&["images", "--json", "--store", &s.store], user, &s.home);
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

    // An image whose WorkingDir leaves the root (/proc/self/root): ignored, and the result
    // says so; the program starts in the workspace all the same.
    let workdir = registry.reference("workdir");
    let out = localeval_as(
        &["pull", "--quiet", "--store", &s.store, &workdir],
        user,
        &s.home,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = localeval_as(
        &[
            "run",
            "--json",
            "--store",
            &s.store,
            "--image",
            &workdir,
            "--",
            "/bin/sh",
            "-c",
            "pwd; echo \"wd=$LOCALEVAL_IMAGE_WORKDIR\"",
        ],
        user,
        &s.home,
    );
    let outcome: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["verdict"], "OK", "{outcome}");
    assert_eq!(outcome["stdout"]["text"], "/workspace\nwd=\n", "{outcome}");
    let notes = &outcome["provenance"]["rootfs_notes"];
    assert!(
        notes[0].as_str().is_some_and(|n| n
            .starts_with("image WorkingDir \"/proc/self/root\" ignored")
            && n.contains("under /proc")),
        "{notes}"
    );
}

#[test]
fn a_catalog_language_on_an_image_runs_beside_host_languages_as_root() {
    if !common::require_sandbox("a_catalog_language_on_an_image_runs_beside_host_languages_as_root")
    {
        return;
    }
    cli_runs_image_and_host_languages_side_by_side(None);
}

#[test]
fn a_catalog_language_on_an_image_runs_as_an_ordinary_user() {
    if !common::require_sandbox("a_catalog_language_on_an_image_runs_as_an_ordinary_user") {
        return;
    }
    cli_runs_image_and_host_languages_side_by_side(Some((65534, 65534)));
}

fn execute(server: &Server, body: Value) -> (u16, Value) {
    let response = client()
        .post(server.url("/api/v1/execute"))
        .json(&body)
        .send()
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().expect("a JSON body"))
}

#[test]
fn the_server_runs_catalog_images_and_only_allow_listed_request_images() {
    if !common::require_sandbox(
        "the_server_runs_catalog_images_and_only_allow_listed_request_images",
    ) {
        return;
    }
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let s = setup(&registry, None);
    let layered = registry.reference("layered");
    let out = localeval_as(
        &["pull", "--quiet", "--store", &s.store, &layered],
        None,
        &s.home,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = s.home.join("serve.toml");
    // Written without `:latest`: the allow-list compares normalized references.
    let allowed = format!("127.0.0.1:{}/layered", registry.port);
    let workdir = registry.reference("workdir");
    let out = localeval_as(
        &["pull", "--quiet", "--store", &s.store, &workdir],
        None,
        &s.home,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        &config,
        format!("images = [\"{allowed}\", \"{workdir}\"]\n"),
    )
    .unwrap();
    let server = Server::start(&[
        "--catalog",
        &s.catalog,
        "--store",
        &s.store,
        "--config",
        config.to_str().unwrap(),
    ]);

    let (status, body) = execute(
        &server,
        json!({"language": "busybox-sh", "source_code": PROGRAM}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stdout"], EXPECTED, "{body}");
    assert!(body.to_string().contains(&s.digest), "{body}");

    let (status, body) = execute(&server, json!({"language": "python", "code": "print(6*7)"}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stdout"], "42\n", "{body}");

    // An allow-listed image replaces the language's root for this request.
    let (status, body) = execute(
        &server,
        json!({"language": "busybox-sh", "code": "cat /data/keep; ls /data", "image": layered}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stdout"], "keep\nkeep\n", "{body}");

    // The note on an ignored WorkingDir reaches the result through the launcher too.
    let (status, body) = execute(
        &server,
        json!({"language": "busybox-sh", "code": "pwd", "image": workdir}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stdout"], "/workspace\n", "{body}");
    assert!(
        body["localeval"]["provenance"]["rootfs_notes"][0]
            .as_str()
            .is_some_and(|n| n.contains("/proc/self/root")),
        "{body}"
    );

    // Any other image is refused before anything runs.
    let (status, body) = execute(
        &server,
        json!({"language": "busybox-sh", "code": "echo no", "image": registry.reference("busybox")}),
    );
    assert_eq!(status, 400, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("images") && error.contains(&allowed),
        "{error}"
    );

    let (status, body) = execute(
        &server,
        json!({"language": "missing-sh", "code": "echo no"}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("localeval pull"),
        "{body}"
    );
    server.assert_no_sandbox_left();
    drop(server);

    // Without an allow-list, no request may name an image.
    let server = Server::start(&["--catalog", &s.catalog, "--store", &s.store]);
    let (status, body) = execute(
        &server,
        json!({"language": "busybox-sh", "code": "echo no", "image": layered}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("allowed: none"),
        "{body}"
    );
    let (status, body) = execute(
        &server,
        json!({"language": "busybox-sh", "source_code": PROGRAM}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stdout"], EXPECTED, "{body}");
}
