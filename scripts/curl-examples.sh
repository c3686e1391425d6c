#!/usr/bin/env bash
# The README's curl examples ("Serving"), run against a server and checked.
#   LOCALEVAL_URL   the server (default http://127.0.0.1:8080)
#   LOCALEVAL_TOKEN the API token, when the server has one
# Exits non-zero at the first example whose answer is not the documented one.
set -euo pipefail
URL="${LOCALEVAL_URL:-http://127.0.0.1:8080}"
AUTH=()
if [ -n "${LOCALEVAL_TOKEN:-}" ]; then
  AUTH=(-H "Authorization: Bearer $LOCALEVAL_TOKEN")
fi

# Runs curl with the auth header; prints the body.
c() { curl -sS "${AUTH[@]}" "$@"; }

# expect NAME TEXT SUBSTRING: fails unless TEXT contains SUBSTRING.
expect() {
  if [[ "$2" != *"$3"* ]]; then
    echo "curl example '$1': expected to find $3 in:" >&2
    echo "$2" >&2
    exit 1
  fi
  echo "ok   $1"
}

out=$(c "$URL/ping")
expect ping "$out" '{"status":"ok"}'

out=$(c "$URL/health")
expect health "$out" '"cgroup_mode"'

out=$(c -X POST "$URL/execute" -H 'Content-Type: application/json' \
  -d '{"language": "python", "source_code": "print(sum(range(10)))", "timeout_ms": 5000}')
expect execute "$out" '"stdout":"45\n"'
expect execute-status "$out" '"process_status":"completed"'

out=$(c -X POST "$URL/execute" -H 'Content-Type: application/json' \
  -d '{"language": "python", "generated_code": "```python\nprint(\"from a fence\")\n```", "timeout": 10}')
expect execute-generated "$out" '"stdout":"from a fence\n"'

out=$(c -X POST "$URL/api/v1/execute" -H 'Content-Type: application/json' \
  -d '{"language": "javascript", "code": "console.log(require(\"fs\").readFileSync(0, \"utf8\").trim().split(\" \").map(Number).reduce((a, b) => a + b))", "input": "1 2 3", "timeout_seconds": 5, "memory_limit_mb": 256, "cpu_limit": 1}')
expect api-v1-execute "$out" '"stdout":"6\n"'
expect api-v1-execute-status "$out" '"status":"success"'

out=$(c -X POST "$URL/api/v1/execute" -H 'Content-Type: application/json' \
  -d '{"language": "python", "code": "while True: pass", "timeout_seconds": 1}')
expect api-v1-timeout "$out" '"timeout":true'

out=$(c -X POST "$URL/api/v1/execute" -H 'Content-Type: application/json' \
  -d '{"language": "c", "code": "#include \"greet.h\"\nint main(void) { greet(); return 0; }", "files": [{"name": "greet.h", "content": "#include <stdio.h>\nstatic void greet(void) { FILE *f = fopen(\"out.txt\", \"w\"); fputs(\"saved\", f); fclose(f); puts(\"hi from C\"); }\n"}], "return_files": ["out.txt"]}')
expect files "$out" '"stdout":"hi from C\n"'
expect files-returned "$out" '"base64":"c2F2ZWQ="'

out=$(c -N -X POST "$URL/api/v1/execute/stream" -H 'Content-Type: application/json' \
  -d '{"language": "bash", "code": "for i in 1 2 3; do echo line $i; sleep 0.1; done"}')
expect stream "$out" '{"event":"stdout","data":"line 1\n"}'
expect stream-result "$out" '{"event":"result"'

out=$(c -X POST "$URL/api/v1/judge" -H 'Content-Type: application/json' \
  -d '{"language": "cpp", "code": "#include <iostream>\nint main() { long a, b; std::cin >> a >> b; std::cout << a + b << \"\\n\"; }", "tests": [{"input": "1 2", "expected_output": "3"}, {"input": "20 22", "expected_output": "42"}], "compare": "whitespace"}')
expect judge "$out" '"verdict":"AC","passed":2,"total":2'

out=$(c -X POST "$URL/execute" -H 'Content-Type: application/json' \
  -d '{"language": "cobol", "source_code": "DISPLAY 1"}')
expect unsupported "$out" '"error":"unsupported language: cobol"'

out=$(c "$URL/api/v1/executions?limit=5")
expect history "$out" '"items":['

out=$(c -H 'Accept: text/plain' "$URL/metrics")
expect metrics "$out" 'localeval_executions_total'
out=$(c "$URL/metrics")
expect metrics-json "$out" '"total_requests":'

out=$(c -X POST "$URL/api/v1/images/pull" -H 'Content-Type: application/json' \
  -d '{"image": "python:3.12-slim"}')
expect images-pull-refused "$out" 'may not be pulled here'

out=$(c "$URL/api/v1/images")
expect images "$out" '['

out=$(c "$URL/openapi.json")
expect openapi "$out" '"/api/v1/judge"'
echo "all curl examples passed"
