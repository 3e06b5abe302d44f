#!/usr/bin/env python3
"""HTTP/2 and HTTPS points side by side: vastar against h2load and oha (and wrk over HTTPS
HTTP/1.1), CPU per completed request, on the loopback nginx of ../shared/bench.

Usage (from the repository root; python3 only; nginx started by start-nginx.sh):

    python3 benches/h2_peers.py --vastar target/release/vastar \\
        --point h2c:1x100 --point h2:50x100 --point https:500 --repeats 3

A point is `h2c:CxM` (http://127.0.0.1:18081/plain, prior knowledge), `h2:CxM` (h2 by ALPN
over TLS, :18443) or `https:C` (HTTP/1.1 over TLS, :18443). Each run is pinned to CPU 1
(nginx runs on CPU 0), lasts --dur seconds, and is measured as peers.py measures: user + sys
of the child from the kernel's rusage over completed requests, and its peak RSS. Tools run
back to back within a repeat, in an order rotated every repeat; the medians are printed as a
markdown table, with the load average before each repeat (the machine may be shared).
`--before PATH` adds another vastar binary as the tool `before` (run like `ours`), so an
A/B of two builds sees the same machine as the peers in the same invocation.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402  (sibling module: the output parsers and tool lookup)

URLS = {"h2c": "http://127.0.0.1:18081/plain", "h2": "https://127.0.0.1:18443/plain",
        "https": "https://127.0.0.1:18443/plain"}


def argv_of(tool, path, kind, c, m, dur):
    """The command line of `tool` at one point; every tool skips certificate checks."""
    url, d, c, m = URLS[kind], str(dur), str(c), str(m)
    tls = kind != "h2c"
    if kind == "https":
        return {
            "ours": [path, "-k", "-z", f"{d}s", "-c", c, "-o", "json", url],
            "wrk": [path, "-t1", f"-c{c}", f"-d{d}s", "--timeout", "20s", url],
            "h2load": [path, "--h1", "-t1", "-c", c, "-D", d, url],
            "oha": [path, "--no-tui", "--insecure", "-z", f"{d}s", "-c", c,
                    "--output-format", "json", url],
        }.get(tool)
    return {
        "ours": [path] + (["-k"] if tls else []) + ["--http2", "-z", f"{d}s", "-c", c,
                                                     "--streams", m, "-o", "json", url],
        "h2load": [path, "-t1", "-c", c, "-m", m, "-D", d, url],
        "oha": [path, "--no-tui", "--insecure", "--http2", "-z", f"{d}s", "-c", c, "-p", m,
                "--output-format", "json", url],
    }.get(tool)


def path_of(tool, args):
    """Where `tool` is: `before` is the --before binary, the rest as peers.py finds them."""
    return args.before if tool == "before" else peers.locate(tool, args.vastar)


def one_run(tool, argv, cpu):
    """Runs `argv` pinned to `cpu` under GNU time; its CPU per completed request, peak RSS
    and counts, or None (said on stderr) when it failed."""
    rss_file = f"/tmp/h2_peers.{os.getpid()}.rss"
    timed = ["/usr/bin/time", "-f", "%M %U %S", "-o", rss_file] + argv
    child = subprocess.run(timed, capture_output=True, timeout=180,
                           preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
    with open(rss_file) as f:
        rss_kb, user, sys_s = f.read().split()[-3:]
    os.remove(rss_file)
    err = child.stderr.decode(errors="replace")
    parse = peers.PARSERS["ours" if tool == "before" else tool]
    parsed = parse(child.stdout.decode(errors="replace"), err)
    if not parsed or not parsed["completed"]:
        print(f"{tool}: failed ({child.returncode}): {err[-300:]}", file=sys.stderr)
        return None
    return dict(us=(float(user) + float(sys_s)) / parsed["completed"] * 1e6,
                rss_mb=int(rss_kb) / 1024, completed=parsed["completed"],
                errors=parsed["errors"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vastar", required=True, help="our binary")
    ap.add_argument("--point", action="append", required=True, help="h2c:CxM, h2:CxM, https:C")
    ap.add_argument("--tools", default="ours,h2load,oha,wrk")
    ap.add_argument("--dur", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--gen-cpu", type=int, default=1)
    ap.add_argument("--before", help="another vastar binary, run as the tool `before`")
    args = ap.parse_args()
    tools = [t for t in args.tools.split(",") if peers.locate(t, args.vastar)]
    if args.before:
        tools.insert(1, "before")
    rows = []
    for point in args.point:
        kind, shape = point.split(":")
        c, m = (shape.split("x") + ["1"])[:2]
        runs = {t: [] for t in tools
                if argv_of("ours" if t == "before" else t, "x", kind, c, m, args.dur)}
        for r in range(args.repeats):
            order = list(runs)[r % len(runs):] + list(runs)[:r % len(runs)]
            load = os.getloadavg()[0]
            for tool in order:
                like = "ours" if tool == "before" else tool
                argv = argv_of(like, path_of(tool, args), kind, c, m, args.dur)
                run = one_run(tool, argv, args.gen_cpu)
                if run is None:
                    continue
                run["load"] = load
                runs[tool].append(run)
                print(f"{point} r{r} load {load:.1f} {tool}: {run['us']:.2f} us/req, "
                      f"{run['completed']} done, {run['errors']} errors, "
                      f"{run['rss_mb']:.1f} MB", file=sys.stderr, flush=True)
                time.sleep(1)
        rows.append((point, runs))
    print("| point | tool | CPU µs/req (median; runs) | requests (median) | errors | RSS MB |")
    print("|---|---|--:|--:|--:|--:|")
    for point, runs in rows:
        for tool, rs in runs.items():
            if not rs:
                print(f"| {point} | {tool} | failed | | | |")
                continue
            us = statistics.median(x["us"] for x in rs)
            each = ", ".join(f"{x['us']:.2f}" for x in rs)
            done = int(statistics.median(x["completed"] for x in rs))
            errs = sum(x["errors"] for x in rs)
            rss = statistics.median(x["rss_mb"] for x in rs)
            print(f"| {point} | {tool} | {us:.2f} ({each}) | {done} | {errs} | {rss:.1f} |")


if __name__ == "__main__":
    main()
