#!/usr/bin/env bash
# The compose test (issue 17; README "Install", the compose section): deploy/compose.yaml
# brought up with podman-compose exactly as README says, with the localeval image
# (scripts/build-image.sh) and a stand-in for the Ollama image built here with buildah
# (tests/fixtures/ollama-standin/ollama: no image registry on the internet is reachable).
# Checks both health checks, runs a small evaluation through the published port (localeval
# reaches the stand-in at OLLAMA_HOST=http://ollama:11434 by service name), checks the
# results survive `down` and `up` again (the volume), and that nothing is left after
# `down --volumes`.
#
# Usage: tests/deploy/compose.sh   (as root; scripts/test.sh runs it)
# Environment:
#   LOCALEVAL_DEPLOY_VARIANT    the localeval image variant (default python)
#   LOCALEVAL_DEPLOY_TIMEOUT    seconds for the whole suite (default 900)
#   LOCALEVAL_TESTS_MUST_RUN=1  a missing tool or host feature fails instead of skipping
set -uo pipefail
suite=deploy-compose
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (rootful podman and mmdebstrap)"
for tool in podman podman-compose buildah skopeo umoci mmdebstrap curl jq python3; do
    command -v "$tool" >/dev/null || skip "$tool is missing (scripts/setup.sh --tests installs it)"
done
[ -x /usr/lib/cni/dnsname ] || [ -x /usr/libexec/cni/dnsname ] || command -v aardvark-dns >/dev/null \
    || skip "no DNS for container networks (golang-github-containernetworking-plugin-dnsname; scripts/setup.sh --tests installs it)"
if [ -z "${DEPLOY_TIMEBOXED:-}" ]; then
    DEPLOY_TIMEBOXED=1 exec timeout -k 20 "${LOCALEVAL_DEPLOY_TIMEOUT:-900}" bash "$0" "$@"
fi

variant=${LOCALEVAL_DEPLOY_VARIANT:-python}
tag=$$-$RANDOM
project=localeval-test-$tag
work=$(mktemp -d /var/tmp/localeval-compose.XXXXXX)
export CONTAINERS_CONF=$work/containers.conf
podman_host_conf "$CONTAINERS_CONF"
export LOCALEVAL_TOKEN
LOCALEVAL_TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
export LOCALEVAL_PORT
LOCALEVAL_PORT=$(free_port)
export LOCALEVAL_IMAGE=localhost/localeval-test:$variant-$tag
export OLLAMA_IMAGE=localhost/ollama-standin:$tag
url=http://127.0.0.1:$LOCALEVAL_PORT

# README "Install": from deploy/, this very command.
compose() { (cd "$repo/deploy" && podman-compose -p "$project" "$@"); }
up() { compose --podman-run-args=--cgroupns=private up -d; }

cleanup() {
    compose down --volumes >/dev/null 2>&1
    podman rmi -f "$LOCALEVAL_IMAGE" "$OLLAMA_IMAGE" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

t0=$SECONDS
check image.localeval bash "$repo/scripts/build-image.sh" load "$variant" "$LOCALEVAL_IMAGE"
# The stand-in: the python variant's Debian root with the stand-in as /usr/bin/ollama.
standin() {
    local c
    bash "$repo/scripts/build-image.sh" build python >/dev/null || return 1
    c=$(buildah from "oci:${LOCALEVAL_IMAGE_CACHE:-/var/tmp/localeval-image}/layout:localeval-python") || return 1
    buildah copy --chmod 0755 "$c" "$repo/tests/fixtures/ollama-standin/ollama" /usr/bin/ollama &&
        buildah copy "$c" "$repo/data/problems.json" /usr/share/ollama-standin/problems.json &&
        buildah config --entrypoint '["/usr/bin/ollama"]' --cmd serve --port 11434 \
            --env OLLAMA_HOST=0.0.0.0:11434 --volume /root/.ollama "$c" &&
        buildah commit -q --rm "$c" "$OLLAMA_IMAGE" >/dev/null
}
check image.ollama-standin standin
say "images: $((SECONDS - t0))s"

t0=$SECONDS
check compose.up up
check localeval.healthy wait_health "$url" "$LOCALEVAL_TOKEN" 90
# The compose health checks themselves (podman runs them on a timer only under systemd).
check ollama.healthcheck podman healthcheck run "${project}_ollama_1"
check localeval.healthcheck podman healthcheck run "${project}_localeval_1"
check localeval.ollama-host sh -c "podman exec ${project}_localeval_1 printenv OLLAMA_HOST | grep -x http://ollama:11434"
say "up: $((SECONDS - t0))s"

# A small evaluation: two models of the stand-in, three problems of the built-in set.
auth=(-H "Authorization: Bearer $LOCALEVAL_TOKEN")
evaluate() {
    local answer id status
    answer=$(curl -sS --max-time 30 "${auth[@]}" -H 'Content-Type: application/json' \
        -d '{"models":["standin-right","standin-wrong"],"dataset":"problems","language":"python","limit":3,"samples":1,"k":[1]}' \
        "$url/api/v1/evals") || return 1
    id=$(jq -r '.id // empty' <<<"$answer")
    [ -n "$id" ] || { echo "no run id: $answer"; return 1; }
    echo "$id" >"$work/eval-id"
    for _ in $(seq 1 240); do
        answer=$(curl -sS --max-time 10 "${auth[@]}" "$url/api/v1/evals/$id")
        status=$(jq -r .status <<<"$answer")
        [ "$status" != running ] && break
        sleep 1
    done
    echo "$answer" | jq -c '{status, message, progress}'
    jq -e '.status == "complete" and .progress.total == 6 and .progress.done == 6 and .progress.passed == 3' <<<"$answer" >/dev/null
}
t0=$SECONDS
check eval.through-ollama evaluate
say "evaluation: $((SECONDS - t0))s"
id=$(cat "$work/eval-id" 2>/dev/null)
report() {
    curl -sS --max-time 30 "${auth[@]}" "$url/api/v1/evals/$id/report?format=json" >"$work/report.json"
    jq -c '[.. | objects | select(has("model") and has("passed") and has("samples")) | {model, samples, passed}] | unique' "$work/report.json"
    jq -e '[.. | objects | select(has("model") and has("passed") and has("samples"))]
        | (map(select(.model == "standin-right" and .samples == 3 and .passed == 3)) | length) >= 1
          and (map(select(.model == "standin-wrong" and .samples == 3 and .passed == 0)) | length) >= 1' \
        "$work/report.json" >/dev/null
}
check eval.report report

# The volume: the run is still there after the containers are replaced.
check compose.down compose down
check compose.up-again up
check eval.kept-in-volume sh -c "curl -sf --retry 30 --retry-delay 1 --retry-all-errors --max-time 5 -H 'Authorization: Bearer $LOCALEVAL_TOKEN' $url/api/v1/evals/$id | jq -e '.status == \"complete\"'"
check compose.down-volumes compose down --volumes
check nothing-left sh -c "podman ps -a --format '{{.Names}}' | grep -- '^${project}_' && exit 1; podman volume ls --format '{{.Name}}' | grep -- '^${project}_' && exit 1; exit 0"
finish
