#!/bin/bash
# Checks a running localeval service over HTTP: programs in several languages run, and the
# memory, pids and wall-clock limits hold. Used by the systemd VM test
# (scripts/vm/systemd-checks.sh, root and user units) and the container tests
# (tests/deploy_container.sh, podman root and rootless).
#
# Usage: service-checks.sh URL ENFORCEMENT LANGUAGES...
#   URL          e.g. http://127.0.0.1:8080
#   ENFORCEMENT  how memory and pids must be enforced: cgroup-v2, cgroup-v1 or rlimit
#   LANGUAGES    catalog languages whose hello world must run (python bash c cpp ...)
# Environment: LOCALEVAL_TOKEN (sent as a bearer token when set), CHECK_PREFIX (put before
# each check name). Prints "ok NAME" / "NOT OK NAME" lines; exits with the failure count.
set -u
url=$1 enforcement=$2
shift 2
prefix=${CHECK_PREFIX:-}
failures=0
auth=()
work=$(mktemp -d "${TMPDIR:-/tmp}/service-checks.XXXXXX")
trap 'rm -rf "$work"' EXIT
answer=$work/answer.json curl_err=$work/curl.err
[ -n "${LOCALEVAL_TOKEN:-}" ] && auth=(-H "Authorization: Bearer $LOCALEVAL_TOKEN")

# execute JSON-BODY: the answer in "$answer"
execute() {
    curl -sS --max-time 120 "${auth[@]}" -H 'Content-Type: application/json' \
        -d "$1" "$url/api/v1/execute" > "$answer" 2> "$curl_err"
}

# expect NAME JQ-FILTER: the check passes when the filter is true on the last answer
expect() {
    # jq 1.6 exits 0 on empty input: an empty answer (curl failed) must not pass.
    if [ -s "$answer" ] && jq -e "$2" "$answer" > /dev/null 2>&1; then
        echo "ok ${prefix}$1"
    else
        echo "NOT OK ${prefix}$1 ($2)"
        echo "    answer: $(head -c 1500 "$answer") $(cat "$curl_err")"
        failures=$((failures + 1))
    fi
}

hello() {
    case $1 in
    python) echo 'print("hello from python")' ;;
    bash) echo 'echo "hello from bash"' ;;
    c) printf '#include <stdio.h>\nint main(void){puts("hello from c");return 0;}\n' ;;
    cpp) printf '#include <iostream>\nint main(){std::cout<<"hello from cpp"<<std::endl;}\n' ;;
    javascript) echo 'console.log("hello from javascript")' ;;
    go) printf 'package main\nimport "fmt"\nfunc main(){fmt.Println("hello from go")}\n' ;;
    java) printf 'public class Main{public static void main(String[] a){System.out.println("hello from java");}}\n' ;;
    rust) echo 'fn main(){println!("hello from rust");}' ;;
    ruby) echo 'puts "hello from ruby"' ;;
    php) echo '<?php echo "hello from php\n";' ;;
    *) return 1 ;;
    esac
}

want_enforced() { # FIELD
    echo ".localeval.provenance.enforced.$1 == \"$enforcement\""
}

curl -sS --max-time 10 "${auth[@]}" "$url/api/v1/health" > "$answer" 2> "$curl_err"
expect health '. != null'

for lang in "$@"; do
    code=$(hello "$lang") || { echo "NOT OK ${prefix}$lang (no hello world for it here)"; failures=$((failures + 1)); continue; }
    execute "$(jq -n --arg l "$lang" --arg c "$code" '{language: $l, code: $c, timeout_seconds: 60}')"
    expect "$lang runs" ".verdict == \"OK\" and .stdout == \"hello from $lang\\n\""
done

# Memory: 256 MiB asked for under a 64 MiB limit never succeeds. Python fills the string
# at once (bash growing one would take longer than the run's time on a slow VM).
execute "$(jq -n '{language: "python", code: "s = \"x\" * (256 << 20)\nprint(\"allocated\", len(s))", timeout_seconds: 30, memory_limit_mb: 64}')"
expect "memory limit holds" '(.verdict == "MLE" or .verdict == "RE") and (.stdout | contains("allocated") | not)'
expect "memory limit enforced as $enforcement" "$(want_enforced memory)"
# Pids: a fork bomb under 32 pids ends by the wall clock, and nothing of it is left.
execute "$(jq -n '{language: "bash", code: "f() { f | f & }; f; sleep 4; echo survived", timeout_seconds: 4, limits: {pids: 32}}')"
expect "pids limit holds" '(.verdict == "TLE" or .verdict == "RE") and (.stdout | contains("survived") | not) and .localeval.provenance.enforced.limits.pids == 32'
expect "pids limit enforced as $enforcement" "$(want_enforced pids)"
# Wall clock: a sleeping grandchild is killed at the limit.
execute "$(jq -n '{language: "bash", code: "sleep 300 & wait", timeout_seconds: 2}')"
expect "wall-clock limit holds" '.verdict == "TLE" and .execution_time_ms < 10000'

exit "$failures"
