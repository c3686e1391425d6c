//! NVIDIA NeMo Agent Toolkit's code-execution sandbox clients against a real `localeval
//! serve`: every behaviour its test scripts check (`test_code_execution_sandbox.sh`, the
//! 13- and 16-scenario versions, and the pytest port), written here in our own words
//! because CI cannot fetch upstream. The upstream suites themselves were run by hand
//! against a fresh build; README ("Compatibility") has their scores.
//!
//! The client sends `{"generated_code", "timeout", "language"}` to `POST /execute` and
//! reads `process_status` (`completed`, `error`, `timeout`), `stdout` and `stderr`.

mod server_support;

use serde_json::{json, Value};
use server_support::*;

fn server() -> Option<Server> {
    require_sandbox("compat_nvidia").then(|| Server::start(&[]))
}

/// What NVIDIA's client sends: the code, a timeout in seconds, the language.
fn run(s: &Server, code: &str) -> Value {
    let (status, r) = post(
        s,
        "/execute",
        &json!({"generated_code": code, "timeout": 30, "language": "python"}),
    );
    assert_eq!(status, 200, "{code}: {r}");
    r
}

fn assert_completed(r: &Value, stdout_has: &[&str]) {
    assert_eq!(r["process_status"], "completed", "{r}");
    for s in stdout_has {
        assert!(r["stdout"].as_str().unwrap().contains(s), "{s:?} in {r}");
    }
    assert_eq!(r["stderr"], "", "{r}");
}

#[test]
fn plain_python_completes_with_empty_stderr() {
    let Some(s) = server() else { return };
    assert_completed(&run(&s, "print('hi there')"), &["hi there"]);
    assert_completed(&run(&s, "\nx = 40 + 2\nprint(f'x = {x}')\n"), &["x = 42"]);
    // stdout and stderr kept apart; a program that writes to stderr but exits 0 completed.
    let r = run(
        &s,
        "import sys\nprint('out 1')\nprint('err', file=sys.stderr)\nprint('out 2')",
    );
    assert_eq!(r["process_status"], "completed", "{r}");
    assert_eq!(r["stdout"], "out 1\nout 2\n");
    assert_eq!(r["stderr"], "err\n");
    // Sleeps within the timeout.
    assert_completed(
        &run(
            &s,
            "import time\nfor i in range(3):\n    print(f'step {i}')\n    time.sleep(0.4)\nprint('done')",
        ),
        &["step 0", "step 1", "step 2", "done"],
    );
}

#[test]
fn the_data_science_stack_imports_and_works() {
    let Some(s) = server() else { return };
    assert_completed(
        &run(
            &s,
            "import numpy as np\na = np.array([2, 4, 6, 8])\nprint(f'A: {a}')\nprint(f'M: {np.mean(a)}')",
        ),
        &["A: [2 4 6 8]", "M: 5.0"],
    );
    assert_completed(
        &run(
            &s,
            "import pandas as pd\nd = pd.DataFrame({'x': [1, 2, 4], 'y': [0, 0, 1]})\nprint(d)\nprint(f'sum x: {d[\"x\"].sum()}')",
        ),
        &["sum x: 7"],
    );
    assert_completed(
        &run(
            &s,
            "import plotly.graph_objects as go\nf = go.Figure()\nf.add_trace(go.Bar(x=['a', 'b'], y=[1, 3]))\nprint('traces', len(f.data))",
        ),
        &["traces 1"],
    );
    // matplotlib draws without a display (MPLBACKEND=Agg) and writes a PNG; scipy works.
    assert_completed(
        &run(
            &s,
            "import matplotlib\nimport matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [3, 1, 2])\n\
             plt.savefig('plot.png')\nprint('backend', matplotlib.get_backend().lower())\n\
             print('png', open('plot.png', 'rb').read(4) == b'\\x89PNG')\n\
             from scipy import optimize\nr = optimize.minimize_scalar(lambda x: (x - 3) ** 2)\n\
             print('min', round(r.x, 3))",
        ),
        &["backend agg", "png True", "min 3.0"],
    );
    // Writing the formats the persistence scenario writes, in one call.
    assert_completed(
        &run(
            &s,
            "import os, json\nimport numpy as np, pandas as pd\n\
             pd.DataFrame({'a': [1]}).to_csv('t.csv', index=False)\nnp.save('t.npy', np.arange(3))\n\
             json.dump({'k': [1.5]}, open('t.json', 'w'))\n\
             print(sorted(f for f in os.listdir('.') if f.startswith('t.')))\n\
             print(pd.read_csv('t.csv').shape, np.load('t.npy').sum(), json.load(open('t.json')))",
        ),
        &["['t.csv', 't.json', 't.npy']", "(1, 1) 3 {'k': [1.5]}"],
    );
}

#[test]
fn the_languages_route_lists_the_preinstalled_libraries() {
    let Some(s) = server() else { return };
    let (status, l) = get(&s, "/api/v1/languages");
    assert_eq!(status, 200);
    let python = l["languages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "python")
        .expect("python is served")
        .clone();
    for lib in ["numpy", "pandas", "scipy", "matplotlib", "plotly"] {
        assert!(
            python["libraries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l == lib),
            "{lib} not listed: {python}"
        );
        let r = run(&s, &format!("import {lib}\nprint({lib}.__name__)"));
        assert_eq!(r["process_status"], "completed", "{lib}: {r}");
    }
    assert!(python["packages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "python3-numpy"));
}

#[test]
fn exceptions_and_non_zero_exits_are_errors_with_the_traceback() {
    let Some(s) = server() else { return };
    for (code, name) in [
        (
            "print('unclosed'\n# the parenthesis never closes",
            "SyntaxError",
        ),
        ("n = 0\nprint(10 / n)\nprint('never')", "ZeroDivisionError"),
        (
            "import a_module_that_is_not_there\nprint('never')",
            "ModuleNotFoundError",
        ),
    ] {
        let r = run(&s, code);
        assert_eq!(r["process_status"], "error", "{code}: {r}");
        assert!(
            r["stderr"].as_str().unwrap().contains(name),
            "{name} in stderr: {r}"
        );
        assert!(!r["stdout"].as_str().unwrap().contains("never"), "{r}");
        // The localeval fields keep their meaning.
        assert_eq!(r["verdict"], "RE", "{r}");
        assert_eq!(r["status"], "failed", "{r}");
        assert_eq!(r["exit_code"], 1, "{r}");
    }
    let r = run(&s, "import sys\nprint('before')\nsys.exit(4)");
    assert_eq!(
        (r["process_status"].as_str(), r["exit_code"].as_i64()),
        (Some("error"), Some(4)),
        "{r}"
    );
}

#[test]
fn the_generated_code_forms_are_unwrapped() {
    let Some(s) = server() else { return };
    assert_completed(
        &run(&s, "{'generated_code': 'print(\"from a dict\")'}"),
        &["from a dict"],
    );
    assert_completed(
        &run(&s, "```python\nprint('from a fence')\n```"),
        &["from a fence"],
    );
}

#[test]
fn files_are_written_and_read_in_the_working_directory() {
    let Some(s) = server() else { return };
    assert_completed(
        &run(
            &s,
            "import os\nprint('cwd', os.getcwd())\nopen('f.txt', 'w').write('written')\n\
             print('read', open('f.txt').read())\nos.remove('f.txt')\nprint('removed', not os.path.exists('f.txt'))",
        ),
        &["cwd /workspace", "read written", "removed True"],
    );
}

#[test]
fn a_timeout_is_a_200_with_process_status_timeout() {
    let Some(s) = server() else { return };
    let (status, r) = post(
        &s,
        "/execute",
        &json!({"generated_code": "import time\ntime.sleep(3)", "timeout": 1, "language": "python"}),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["process_status"], "timeout", "{r}");
    assert_eq!(r["verdict"], "TLE", "{r}");
    // A number, as the seeds document (124, the status of timeout(1)).
    assert_eq!(r["exit_code"], 124, "{r}");
}

#[test]
fn bad_requests_are_4xx_with_process_status_error() {
    let Some(s) = server() else { return };
    let check = |status: u16, body: &Value, message: &str| {
        assert!((400..500).contains(&status), "{status}: {body}");
        assert_eq!(body["process_status"], "error", "{body}");
        assert_eq!(body["stdout"], "", "{body}");
        assert!(
            body["error"].as_str().unwrap().contains(message),
            "{message:?}: {body}"
        );
        assert_eq!(body["stderr"], body["error"], "{body}");
    };
    // No code at all.
    let (status, r) = post(
        &s,
        "/execute",
        &json!({"timeout": 10, "language": "python"}),
    );
    check(status, &r, "cannot be empty");
    // generated_code without timeout: NVIDIA's server requires it.
    let (status, r) = post(
        &s,
        "/execute",
        &json!({"generated_code": "print('x')", "language": "python"}),
    );
    assert_eq!(status, 400);
    check(status, &r, "Missing required field: timeout");
    // Not JSON, with either content type.
    for content_type in ["application/json", "text/plain"] {
        let response = client()
            .post(s.url("/execute"))
            .header("content-type", content_type)
            .body(r#"{"generated_code": "print("x")", "timeout": 10}"#)
            .send()
            .unwrap();
        let status = response.status().as_u16();
        check(status, &response.json().unwrap(), "invalid JSON");
    }
    let (status, r) = post(
        &s,
        "/execute",
        &json!({"generated_code": "print(1)", "timeout": 10, "language": "cobol"}),
    );
    check(status, &r, "unsupported language: cobol");
    // The client's liveness probe: GET on the route answers (405), with the same fields.
    let response = client().get(s.url("/execute")).send().unwrap();
    let status = response.status().as_u16();
    assert_eq!(status, 405);
    check(status, &response.json().unwrap(), "GET is not allowed");
    // Other routes keep the seeds' plain `{"error"}` body.
    let (status, r) = post(
        &s,
        "/api/v1/execute",
        &json!({"language": "cobol", "code": "x"}),
    );
    assert_eq!(
        (status, r),
        (400, json!({"error": "unsupported language: cobol"}))
    );
}

/// The deliberate differences from NVIDIA's server (README, "Compatibility"), each one an
/// answer NVIDIA's clients accept too.
#[test]
fn the_deliberate_differences_from_nvidias_server() {
    let Some(s) = server() else { return };
    let send = |content_type: Option<&str>, body: &str| {
        let mut request = client().post(s.url("/execute")).body(body.to_string());
        if let Some(t) = content_type {
            request = request.header("content-type", t);
        }
        let response = request.send().unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().unwrap(),
        )
    };
    // NVIDIA answers 400 "Request must be JSON" unless the type is application/json; localeval
    // reads a JSON body whatever its type (`curl -d` without `-H` sends a form type). The
    // non-JSON text NVIDIA's suites send as text/plain is still a 400.
    let body = r#"{"generated_code": "print('typed')", "timeout": 10, "language": "python"}"#;
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let (status, r) = send(content_type, body);
        assert_eq!(status, 200, "{content_type:?}: {r}");
        assert_eq!(r["process_status"], "completed", "{r}");
        assert_eq!(r["stdout"], "typed\n", "{r}");
    }
    let (status, r) = send(Some("text/plain"), "This is not JSON");
    assert_eq!((status, r["process_status"].as_str()), (400, Some("error")));
    // No `language`: python (NVIDIA's server before 39b98aef2 did the same; after, a 400).
    let (status, r) = post(
        &s,
        "/execute",
        &json!({"generated_code": "import sys; print(sys.version_info[0])", "timeout": 10}),
    );
    assert_eq!((status, r["stdout"].as_str()), (200, Some("3\n")), "{r}");
    // `timeout` is required with `generated_code` only; the seeds' requests may leave it out.
    let (status, r) = post(
        &s,
        "/execute",
        &json!({"language": "python", "source_code": "print('no timeout')"}),
    );
    assert_eq!(
        (status, r["stdout"].as_str()),
        (200, Some("no timeout\n")),
        "{r}"
    );
    // Every catalog language runs (NVIDIA: "Only python execution is supported").
    let (status, r) = post(
        &s,
        "/execute",
        &json!({"generated_code": "echo from bash", "timeout": 10, "language": "bash"}),
    );
    assert_eq!(
        (status, r["process_status"].as_str(), r["stdout"].as_str()),
        (200, Some("completed"), Some("from bash\n")),
        "{r}"
    );
    // A timeout keeps what the program printed (NVIDIA: stdout "", stderr "Timed out\n").
    let (status, r) = post(
        &s,
        "/execute",
        &json!({"generated_code": "import time\nprint('before', flush=True)\ntime.sleep(5)",
                "timeout": 1, "language": "python"}),
    );
    assert_eq!(
        (status, r["process_status"].as_str(), r["stdout"].as_str()),
        (200, Some("timeout"), Some("before\n")),
        "{r}"
    );
    // Each call starts in an empty /workspace (NVIDIA's server keeps its working directory
    // between calls; persistent workspaces come with sessions).
    run(&s, "open('left.txt', 'w').write('x')");
    let r = run(&s, "import os\nprint(os.listdir('.'))");
    assert_eq!(r["stdout"], "['main.py']\n", "{r}");
}
