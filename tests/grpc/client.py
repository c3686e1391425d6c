"""A gRPC client of localeval generated at test time from the repository's .proto files
(grpcio-tools), as a service's own client would be. tests/server_grpc.rs runs one scenario
per call against a real `localeval serve --grpc-listen`; a failed check raises, and the
exit status says so.

    client.py --proto DIR --out DIR --grpc HOST:PORT --http URL [--token T] [--pid PID] SCENARIO
"""

import argparse
import importlib
import json
import os
import signal
import sys
import threading
import time
import urllib.request

import grpc
from grpc_tools import protoc


def generate(proto_dir, out_dir):
    """Compiles proto/ into Python modules in out_dir and imports them."""
    os.makedirs(out_dir, exist_ok=True)
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    for path in ["executor.proto", "localeval/v1/localeval.proto"]:
        status = protoc.main(["protoc", f"-I{proto_dir}", f"-I{include}",
                              f"--python_out={out_dir}", f"--grpc_python_out={out_dir}",
                              path])
        assert status == 0, f"protoc failed on {path}"
    sys.path.insert(0, out_dir)
    modules = {}
    for name in ["executor_pb2", "executor_pb2_grpc", "localeval.v1.localeval_pb2",
                 "localeval.v1.localeval_pb2_grpc"]:
        modules[name.split(".")[-1]] = importlib.import_module(name)
    return modules


def expect_code(call, code, contains=None):
    """Runs call(); it must fail with `code` (and a message containing `contains`)."""
    try:
        call()
    except grpc.RpcError as e:
        assert e.code() == code, f"expected {code}, got {e.code()}: {e.details()}"
        if contains:
            assert contains in e.details(), f"{contains!r} not in {e.details()!r}"
        return e
    raise AssertionError(f"expected {code}, the call succeeded")


class Client:
    def __init__(self, args, m):
        self.args, self.m = args, m
        options = [("grpc.max_send_message_length", 64 << 20)]
        self.channel = grpc.insecure_channel(args.grpc, options=options)
        self.sandbox = m["localeval_pb2_grpc"].SandboxStub(self.channel)
        self.seed = m["executor_pb2_grpc"].CodeExecutorStub(self.channel)
        self.pb = m["localeval_pb2"]
        self.seed_pb = m["executor_pb2"]
        self.metadata = [("authorization", f"Bearer {args.token}")] if args.token else []

    def execute(self, timeout=60, **fields):
        return self.sandbox.Execute(self.pb.ExecuteRequest(**fields), metadata=self.metadata,
                                    timeout=timeout)

    def http_json(self, path):
        request = urllib.request.Request(self.args.http + path)
        if self.args.token:
            request.add_header("Authorization", f"Bearer {self.args.token}")
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def health(self, service=""):
        from grpc_health.v1 import health_pb2, health_pb2_grpc
        stub = health_pb2_grpc.HealthStub(self.channel)
        answer = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)


def every_rpc(c):
    """Each RPC of both services, health, and the shared history, audit and metrics."""
    pb, seed = c.pb, c.seed_pb
    # The seed's client, unchanged: its field names and numbers.
    r = c.seed.Execute(seed.ExecuteRequest(language="python", code="print(input()[::-1])",
                                           input="abc", timeout_seconds=10,
                                           memory_limit_mb=256, cpu_limit=0.5),
                       metadata=c.metadata, timeout=60)
    assert r.stdout == "cba\n" and r.exit_code == 0, r
    assert not r.timeout and not r.memory_exceeded and r.execution_time_ms > 0, r
    assert r.memory_used_mb >= 1 and r.verdict == "OK", r
    r = c.seed.Execute(seed.ExecuteRequest(language="python", code="import time; time.sleep(5)",
                                           timeout_seconds=1),
                       metadata=c.metadata, timeout=60)
    assert r.timeout and r.exit_code == 124 and r.verdict == "TLE", r
    h = c.seed.Health(seed.HealthRequest(), metadata=c.metadata, timeout=10)
    assert h.status == "healthy" and "python" in h.languages and h.version, h

    # localeval.v1: bytes in and out exactly, typed verdicts, usage and provenance.
    r = c.execute(language="python",
                  code="import sys; sys.stdout.buffer.write(sys.stdin.buffer.read()[::-1])",
                  stdin=b"\x00\xffab", limits=pb.Limits(wall_ms=5000, memory_bytes=128 << 20),
                  files=[pb.File(name="data/in.txt", content=b"file\n")],
                  return_files=["data/in.txt"])
    assert r.verdict == pb.VERDICT_OK and r.exit_code == 0, r
    assert r.stdout.data == b"ba\xff\x00" and not r.stdout.truncated, r.stdout
    assert r.usage.wall_ms > 0 and r.usage.peak_memory_bytes > 0, r.usage
    assert r.provenance.limits.wall_ms == 5000, r.provenance
    assert r.provenance.limits.memory_bytes == 128 << 20, r.provenance
    assert r.provenance.enforcement["wall"] == "supervisor", r.provenance.enforcement
    assert r.provenance.localeval_version and r.provenance.seccomp_profile_sha256
    assert r.files[0].name == "data/in.txt" and r.files[0].content == b"file\n", r.files
    executed = r.execution_id
    r = c.execute(language="python", code="raise SystemExit(3)")
    assert r.verdict == pb.VERDICT_RE and r.exit_code == 3, r
    r = c.execute(language="c", code="int main(void) { return undefined; }")
    assert r.verdict == pb.VERDICT_CE and r.compile.verdict == pb.VERDICT_RE, r
    assert b"undefined" in r.compile.stderr.data, r.compile

    # Streaming: chunks as produced (before the program ends), then the result.
    code = ("import sys, time\n"
            "for i in range(3):\n"
            "    print(i, flush=True); print('e', i, file=sys.stderr, flush=True)\n"
            "    time.sleep(0.3)\n")
    started = time.monotonic()
    events = []
    for event in c.sandbox.ExecuteStream(pb.ExecuteRequest(language="python", code=code),
                                         metadata=c.metadata, timeout=60):
        events.append((time.monotonic() - started, event))
    kinds = [e.WhichOneof("event") for _, e in events]
    assert kinds[-1] == "result" and kinds.count("result") == 1, kinds
    assert b"".join(e.stdout for _, e in events if e.WhichOneof("event") == "stdout") \
        == b"0\n1\n2\n", events
    assert b"".join(e.stderr for _, e in events if e.WhichOneof("event") == "stderr") \
        == b"e 0\ne 1\ne 2\n", events
    first_chunk = next(t for t, e in events if e.WhichOneof("event") == "stdout")
    assert events[-1][0] - first_chunk >= 0.5, f"chunks were not streamed: {events}"
    result = events[-1][1].result
    assert result.verdict == pb.VERDICT_OK and result.stdout.data == b"0\n1\n2\n", result

    # Judge: compile once, N tests.
    r = c.sandbox.Judge(pb.JudgeRequest(
        language="python", code="print(int(input()) * 2)",
        tests=[pb.JudgeTest(stdin="2", expected_output="4"),
               pb.JudgeTest(name="wrong", stdin="3", expected_output="7"),
               pb.JudgeTest(stdin="1.5", expected_output="3")],
        compare=pb.COMPARE_MODE_WHITESPACE), metadata=c.metadata, timeout=120)
    assert (r.verdict, r.passed, r.total) == ("WA", 1, 3), r
    verdicts = [t.verdict for t in r.tests]
    assert verdicts == [pb.TEST_VERDICT_AC, pb.TEST_VERDICT_WA, pb.TEST_VERDICT_RE], r
    assert r.tests[1].name == "wrong" and r.tests[2].execution_verdict == pb.VERDICT_RE, r

    # grpc.health.v1, overall and per service.
    assert c.health() == "SERVING"
    assert c.health("localeval.v1.Sandbox") == "SERVING"
    assert c.health("executor.CodeExecutor") == "SERVING"

    # The same history, audit trail and metrics as HTTP.
    stored = c.http_json(f"/api/v1/executions/{executed}")
    assert "/localeval.v1.Sandbox/Execute" in json.dumps(stored), stored
    with urllib.request.urlopen(urllib.request.Request(
            c.args.http + "/metrics", headers={
                "Accept": "text/plain",
                **({"Authorization": f"Bearer {c.args.token}"} if c.args.token else {})}),
            timeout=30) as answer:
        metrics = answer.read().decode()
    assert 'method="/executor.CodeExecutor/Execute",code="0"' in metrics, metrics
    assert 'localeval_executions_total{language="python",verdict="TLE"}' in metrics, metrics


def token(c):
    """With --token: no token or a wrong one is UNAUTHENTICATED; health stays open."""
    request = c.pb.ExecuteRequest(language="python", code="print(1)")
    expect_code(lambda: c.sandbox.Execute(request, timeout=30),
                grpc.StatusCode.UNAUTHENTICATED, "authorization")
    expect_code(lambda: c.sandbox.Execute(request, timeout=30,
                                          metadata=[("authorization", "Bearer wrong")]),
                grpc.StatusCode.UNAUTHENTICATED)
    expect_code(lambda: c.seed.Health(c.seed_pb.HealthRequest(), timeout=30),
                grpc.StatusCode.UNAUTHENTICATED)
    assert c.execute(language="python", code="print(1)").stdout.data == b"1\n"
    r = c.sandbox.Execute(request, timeout=30, metadata=[("x-api-key", c.args.token)])
    assert r.stdout.data == b"1\n", r
    assert c.health() == "SERVING"


def reflection(c):
    """A reflection client (grpcio-reflection's) lists the services."""
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import \
        ProtoReflectionDescriptorDatabase
    db = ProtoReflectionDescriptorDatabase(c.channel)
    services = set(db.get_services())
    for name in ["localeval.v1.Sandbox", "executor.CodeExecutor", "grpc.health.v1.Health"]:
        assert name in services, services
    # And describes a method's types from the server alone.
    from google.protobuf.descriptor_pool import DescriptorPool
    pool = DescriptorPool(db)
    method = pool.FindServiceByName("localeval.v1.Sandbox").FindMethodByName("ExecuteStream")
    assert method.output_type.full_name == "localeval.v1.ExecuteEvent", method
    print(json.dumps(sorted(services)))


def bad_input(c):
    """Refusals are typed gRPC status codes with the HTTP API's messages."""
    pb, seed = c.pb, c.seed_pb
    INVALID = grpc.StatusCode.INVALID_ARGUMENT
    expect_code(lambda: c.execute(language="python", code=""), INVALID, "cannot be empty")
    expect_code(lambda: c.execute(language="cobol-2099", code="x"), INVALID, "cobol-2099")
    expect_code(lambda: c.execute(language="python", code="print(1)",
                                  limits=pb.Limits(wall_ms=0)), INVALID, "wall_ms")
    expect_code(lambda: c.execute(language="python", code="print(1)",
                                  limits=pb.Limits(memory_bytes=1024)), INVALID, "memory_bytes")
    expect_code(lambda: c.seed.Execute(seed.ExecuteRequest(language="python", code="print(1)",
                                                           timeout_seconds=-5),
                                       metadata=c.metadata, timeout=30),
                INVALID, "timeout_seconds")
    expect_code(lambda: c.sandbox.Judge(pb.JudgeRequest(language="python", code="print(1)"),
                                        metadata=c.metadata, timeout=30),
                INVALID, "tests")
    expect_code(lambda: c.sandbox.Judge(pb.JudgeRequest(
        language="python", code="print(1)", compare=42,
        tests=[pb.JudgeTest(expected_output="1")]), metadata=c.metadata, timeout=30),
        INVALID, "compare")
    expect_code(lambda: c.execute(language="python", code="print(1)",
                                  files=[pb.File(name="../escape", content=b"x")]), INVALID)
    # Above the maxima is not an error: clamped, and the result says to what.
    r = c.execute(language="python", code="print(1)",
                  limits=pb.Limits(wall_ms=10 ** 12, memory_bytes=1 << 50))
    config = c.http_json("/api/v1/config")
    assert r.provenance.limits.wall_ms == config["max_limits"]["wall_ms"], r.provenance
    assert r.provenance.limits.memory_bytes == config["max_limits"]["memory_bytes"]
    # A message over the server's size limit (--body-limit 64K in this test).
    e = expect_code(lambda: c.execute(language="python", code="#" * (100 << 10)),
                    grpc.StatusCode.RESOURCE_EXHAUSTED, "larger than the limit")
    # Still serving afterwards.
    assert c.execute(language="python", code="print(2)").stdout.data == b"2\n"


def deadline(c):
    """A client deadline shorter than the wall limit ends the run and frees its slot (the
    server runs one execution at a time in this test)."""
    pb = c.pb
    started = time.monotonic()
    expect_code(lambda: c.execute(timeout=1.5, language="python",
                                  code="import time; time.sleep(30)",
                                  limits=pb.Limits(wall_ms=40000)),
                grpc.StatusCode.DEADLINE_EXCEEDED)
    assert time.monotonic() - started < 5
    # The only slot is free again well before the 30 s program would have ended.
    r = c.execute(timeout=20, language="python", code="print('next')")
    assert r.stdout.data == b"next\n" and time.monotonic() - started < 15, r
    # The cut run is in the history as IE, cancelled.
    runs = c.http_json("/api/v1/executions?limit=5")
    print(json.dumps(runs)[:2000])


def busy(c):
    """One slot, no queue: a second execution while the first runs is RESOURCE_EXHAUSTED
    with RetryInfo."""
    from grpc_status import rpc_status
    from google.rpc import error_details_pb2
    first = c.sandbox.Execute.future(
        c.pb.ExecuteRequest(language="python", code="import time; time.sleep(2)"),
        metadata=c.metadata, timeout=60)
    time.sleep(0.8)
    e = expect_code(lambda: c.execute(language="python", code="print(1)"),
                    grpc.StatusCode.RESOURCE_EXHAUSTED, "busy")
    status = rpc_status.from_call(e)
    assert status is not None, "no grpc-status-details-bin"
    retry = error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(retry), status
    assert retry.retry_delay.seconds >= 1, retry
    assert first.result().verdict == c.pb.VERDICT_OK


def rate_limit(c):
    """The HTTP API's per-client rate limit (here burst 1): RESOURCE_EXHAUSTED, RetryInfo."""
    from grpc_status import rpc_status
    assert c.execute(language="python", code="print(1)").stdout.data == b"1\n"
    e = expect_code(lambda: c.execute(language="python", code="print(1)"),
                    grpc.StatusCode.RESOURCE_EXHAUSTED, "Too many requests")
    assert rpc_status.from_call(e).details, "no RetryInfo"
    # Health is not an execution: not limited.
    assert c.health() == "SERVING"


def abandon(c):
    """A stream cancelled mid-run: its sandbox is killed (the test then checks that nothing
    is left)."""
    pb = c.pb
    call = c.sandbox.ExecuteStream(pb.ExecuteRequest(
        language="python", code="import time\nprint('started', flush=True)\ntime.sleep(60)",
        limits=pb.Limits(wall_ms=60000)), metadata=c.metadata, timeout=90)
    seen = b""
    while b"started\n" not in seen:  # the program runs: chunks may split the line
        event = next(call)
        assert event.WhichOneof("event") == "stdout", event
        seen += event.stdout
    call.cancel()
    print("cancelled")


def shutdown(c):
    """SIGTERM: health turns NOT_SERVING and new executions are UNAVAILABLE while the run in
    flight finishes (the shutdown grace period)."""
    pb = c.pb
    assert c.health() == "SERVING"
    result = {}

    def long_run():
        result["r"] = c.execute(language="python",
                                code="import time; time.sleep(3); print('finished')")

    runner = threading.Thread(target=long_run)
    runner.start()
    time.sleep(1.0)
    os.kill(c.args.pid, signal.SIGTERM)
    until = time.monotonic() + 5
    while c.health() != "NOT_SERVING":
        assert time.monotonic() < until, "health never turned NOT_SERVING"
        time.sleep(0.05)
    assert c.health("localeval.v1.Sandbox") == "NOT_SERVING"
    h = c.seed.Health(c.seed_pb.HealthRequest(), metadata=c.metadata, timeout=10)
    assert h.status == "shutting_down", h
    expect_code(lambda: c.execute(language="python", code="print(1)"),
                grpc.StatusCode.UNAVAILABLE, "shutting down")
    runner.join(30)
    assert result["r"].stdout.data == b"finished\n", result


def main():
    parser = argparse.ArgumentParser()
    for flag in ["--proto", "--out", "--grpc", "--http"]:
        parser.add_argument(flag, required=True)
    parser.add_argument("--token")
    parser.add_argument("--pid", type=int)
    parser.add_argument("scenario")
    args = parser.parse_args()
    client = Client(args, generate(args.proto, args.out))
    globals()[args.scenario](client)
    print(f"{args.scenario}: ok")


if __name__ == "__main__":
    main()
