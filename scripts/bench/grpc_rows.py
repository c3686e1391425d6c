"""(Not named grpc.py: it would shadow the grpc package.) The gRPC rows of scripts/bench.sh: unary Execute of python `print(1)` over gRPC against the
same request over HTTP, on one `localeval serve` with both listeners, in interleaved rounds
(each round runs both, in a fresh random order, each on its kept-alive connection); and the
idle memory the gRPC listener adds (RSS of a fresh server with and without
`--grpc-listen`, alternating starts). Loopback only. Run with the benchmark venv's python
(it has grpcio and grpcio-tools); merges its results into DIR/bench.json under "grpc".

    grpc_rows.py --localeval BIN --proto DIR --out DIR [--rounds N] [--starts N]
"""

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import time

import grpc
from grpc_tools import protoc


def log(*a):
    print("bench grpc:", *a, file=sys.stderr, flush=True)


def generate(proto_dir, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    for path in ["executor.proto", "localeval/v1/localeval.proto"]:
        assert protoc.main(["protoc", f"-I{proto_dir}", f"-I{include}", f"--python_out={out_dir}",
                            f"--grpc_python_out={out_dir}", path]) == 0
    sys.path.insert(0, out_dir)
    from localeval.v1 import localeval_pb2, localeval_pb2_grpc
    from executor_pb2 import ExecuteRequest as SeedRequest
    from executor_pb2_grpc import CodeExecutorStub
    return localeval_pb2, localeval_pb2_grpc, SeedRequest, CodeExecutorStub


class Serve:
    """`localeval serve` on free loopback ports (rate limit off), once it listens."""

    def __init__(self, binary, grpc_listener):
        argv = [binary, "serve", "--listen", "127.0.0.1:0", "--rate-limit", "off",
                "--audit-log", "off", "--max-concurrent", "8", "--max-queue", "256"]
        if grpc_listener:
            argv += ["--grpc-listen", "127.0.0.1:0"]
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        self.http = self.p.stdout.readline().strip().removeprefix("localeval listening on http://")
        self.grpc = (self.p.stdout.readline().strip().removeprefix("localeval gRPC listening on ")
                     if grpc_listener else None)
        host, port = self.http.rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)

    def rss_kb(self):
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return None

    def post(self, body):
        self.conn.request("POST", "/api/v1/execute", body=body,
                          headers={"Content-Type": "application/json"})
        r = self.conn.getresponse()
        return r.status, json.loads(r.read())

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def idle_memory(binary, starts, settle_s):
    """Median idle RSS of fresh servers without and with the gRPC listener."""
    rss = {False: [], True: []}
    for i in range(starts):
        for with_grpc in ([False, True] if i % 2 == 0 else [True, False]):
            s = Serve(binary, with_grpc)
            time.sleep(settle_s)
            rss[with_grpc].append(s.rss_kb())
            s.stop()
    without, with_ = statistics.median(rss[False]), statistics.median(rss[True])
    return {"starts": starts, "settle_s": settle_s, "without_kb": without, "with_kb": with_,
            "added_kb": with_ - without, "samples_without_kb": rss[False],
            "samples_with_kb": rss[True]}


def latency(binary, pb, pb_grpc, SeedRequest, CodeExecutorStub, rounds):
    s = Serve(binary, True)
    channel = grpc.insecure_channel(s.grpc)
    sandbox = pb_grpc.SandboxStub(channel)
    seed = CodeExecutorStub(channel)
    body = json.dumps({"language": "python", "code": "print(1)"})
    v1_request = pb.ExecuteRequest(language="python", code="print(1)")
    seed_request = SeedRequest(language="python", code="print(1)")

    def http_call():
        status, r = s.post(body)
        return status == 200 and r.get("stdout") == "1\n" and r.get("verdict") == "OK"

    def grpc_call():
        r = sandbox.Execute(v1_request, timeout=60)
        return r.stdout.data == b"1\n" and r.verdict == pb.VERDICT_OK

    def seed_call():
        r = seed.Execute(seed_request, timeout=60)
        return r.stdout == "1\n" and r.verdict == "OK"

    calls = {"http": http_call, "grpc": grpc_call, "grpc_seed": seed_call}
    times = {k: [] for k in calls}
    wrong = {k: 0 for k in calls}
    for k, call in calls.items():  # warm-up: connections, sandboxes built ahead
        for _ in range(5):
            call()
    for _ in range(rounds):
        order = list(calls)
        random.shuffle(order)
        for k in order:
            t = time.perf_counter()
            ok = calls[k]()
            times[k].append((time.perf_counter() - t) * 1000)
            wrong[k] += 0 if ok else 1
    channel.close()
    s.stop()
    out = {}
    for k in calls:
        out[k] = {"median_ms": statistics.median(times[k]), "p90_ms": pct(times[k], 0.9),
                  "wrong": wrong[k], "n": len(times[k])}
    for k in ["grpc", "grpc_seed"]:
        out[k]["x_http"] = out[k]["median_ms"] / out["http"]["median_ms"]
        out[k]["plus_ms"] = out[k]["median_ms"] - out["http"]["median_ms"]
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--localeval", required=True)
    parser.add_argument("--proto", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--starts", type=int, default=3)
    args = parser.parse_args()
    pb, pb_grpc, SeedRequest, CodeExecutorStub = generate(args.proto,
                                                          os.path.join(args.out, "grpc-gen"))
    log(f"latency: {args.rounds} interleaved rounds of HTTP, gRPC and the seed's gRPC")
    result = {"latency": latency(args.localeval, pb, pb_grpc, SeedRequest, CodeExecutorStub,
                                 args.rounds)}
    log(f"idle memory: {args.starts} starts with and without --grpc-listen")
    result["idle_memory"] = idle_memory(args.localeval, args.starts, settle_s=2.0)
    path = os.path.join(args.out, "bench.json")
    summary = json.load(open(path)) if os.path.exists(path) else {}
    summary["grpc"] = result
    with open(path, "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
