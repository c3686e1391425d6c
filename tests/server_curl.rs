//! The README's curl examples (`scripts/curl-examples.sh`) against a real server, with a
//! token, as a newcomer would run them.

mod server_support;

use server_support::*;

#[test]
fn the_readme_curl_examples_work() {
    if !require_sandbox("curl examples") {
        return;
    }
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        let why = "curl examples: curl is not installed (apt-get install curl)";
        if std::env::var("LOCALEVAL_TESTS_MUST_RUN").is_ok_and(|v| v == "1") {
            panic!("LOCALEVAL_TESTS_MUST_RUN=1 but {why}");
        }
        eprintln!("SKIPPED {why}");
        return;
    }
    let s = Server::start(&["--token", "example-token"]);
    let output = std::process::Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/curl-examples.sh"
        ))
        .env("LOCALEVAL_URL", &s.base)
        .env("LOCALEVAL_TOKEN", "example-token")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("all curl examples passed"), "{stdout}");
    // Without the token the same script is refused at the first example.
    let output = std::process::Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/curl-examples.sh"
        ))
        .env("LOCALEVAL_URL", &s.base)
        .env_remove("LOCALEVAL_TOKEN")
        .output()
        .unwrap();
    assert!(!output.status.success());
}
