//! What Piston's per-language test programs (`packages/<lang>/<version>/test.*` in
//! engineer-man/piston) check, written here in our own words because CI cannot fetch
//! upstream: a program in each of the ten languages prints `OK`, with no wrapper and no
//! naming convention imposed (a Java program's class need not be `Main`, as in Piston and
//! Judge0). README ("Compatibility") has the score of Piston's own programs, run by hand.

mod server_support;

use serde_json::json;
use server_support::*;

const PROGRAMS: [(&str, &str); 16] = [
    ("python", "print(\"OK\")"),
    ("javascript", "console.log(\"OK\")"),
    ("go", "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"OK\")\n}\n"),
    (
        "java",
        "public class Greeter {\n    public static void main(String[] args) {\n        System.out.println(\"OK\");\n    }\n}",
    ),
    // No public class, main in the second one.
    (
        "java",
        "import java.util.List;\nclass Helper { static String s() { return \"OK\"; } }\nclass Start {\n  public static void main(String[] a) { System.out.println(Helper.s()); }\n}",
    ),
    // The usual `Main`, with a helper class before it.
    (
        "java",
        "class Util { static int one() { return 1; } }\npublic class Main { public static void main(String[] a) { System.out.println(Util.one() == 1 ? \"OK\" : \"no\"); } }",
    ),
    ("c", "#include <stdio.h>\n\nint main(void) {\n    printf(\"OK\\n\");\n    return 0;\n}\n"),
    ("cpp", "#include <iostream>\n\nint main() {\n    std::cout << \"OK\" << std::endl;\n}\n"),
    ("rust", "fn main() {\n    println!(\"OK\");\n}\n"),
    ("ruby", "puts \"OK\""),
    ("php", "<?php\n\necho \"OK\";\n"),
    ("bash", "echo \"OK\""),
    // What Piston's own programs lean on besides: no trailing newline, printf reached
    // through <iostream> alone, a PHP file that is only text (PHP prints it as is), a
    // `match` statement (Python 3.10+), a bash program without a final newline.
    ("c", "#include <stdio.h>\nint main(void) { printf(\"OK\"); return 0; }"),
    ("cpp", "#include <iostream>\nint main(void) { printf(\"OK\"); return 0; }"),
    ("php", "OK"),
    ("python", "mode = 1\nmatch mode:\n    case 1:\n        print(\"OK\")\n    case _:\n        print()\n"),
];

#[test]
fn a_hello_program_in_every_language_prints_ok() {
    if !require_sandbox("compat_piston") {
        return;
    }
    let s = Server::start(&[]);
    let mut failed = Vec::new();
    for (language, code) in PROGRAMS {
        let (status, r) = post(
            &s,
            "/api/v1/execute",
            &json!({"language": language, "code": code, "timeout_seconds": 30}),
        );
        if status != 200 || r["stdout"].as_str().map(str::trim) != Some("OK") {
            failed.push(format!("{language}: {status} {r}"));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
    s.assert_no_sandbox_left();
}
