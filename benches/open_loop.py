#!/usr/bin/env python3
"""Open-loop accuracy, side by side: what a fixed-rate run reports against a fast server.

Usage (from the repository root; python3 only):

    python3 benches/open_loop.py                      # rates 500, 2000, 10000; 3 x 4 s each
    python3 benches/open_loop.py --rates 2000 --dur 2 --repeats 1

Against the loopback nginx of ../shared/bench (/plain, 13 B; its p50 on the wire is a few
tens of microseconds), each tool sends R requests per second on 50 connections for `--dur`
seconds, pinned to CPU 1 like peers.py, in an order rotated every repeat:

  * ours: `vastar --rate R` (latency from each request's scheduled send time; it also reports
    how late each send actually left, and the service time from the actual send);
  * oha: `oha -q R --latency-correction` (its coordinated-omission correction).

A correct open-loop generator reports a p50 close to the server's own service time: anything
above it is the generator's own lateness, charged to the server. The table shows each tool's
median p50 and p99, generator CPU per request, and for ours the send lateness and service
time. Ratios, not absolute numbers, are the result: the machine is shared.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402  (sibling module: tool discovery, target start-up, rusage wait)

CONNECTIONS = 50


def argv_of(tool, path, rate, dur, url):
    if tool == "ours":
        return [path, "-o", "json", "-z", f"{dur}s", "-c", str(CONNECTIONS), "--rate",
                str(rate), url]
    return [path, "--no-tui", "--output-format", "json", "-z", f"{dur}s", "-c",
            str(CONNECTIONS), "-q", str(rate), "--latency-correction", url]


def parse(tool, out):
    """(p50 ms, p99 ms, completed, extra) from the tool's JSON."""
    j = json.loads(out)
    if tool == "ours":
        lat, s = j["latency_ms"], j["summary"]
        extra = dict(send_late_p50_ms=j["rate"]["send_lateness_ms"]["p50"],
                     service_p50_ms=(j["service_time_ms"] or {}).get("p50"),
                     late_sends=j["rate"]["late_sends"])
        return lat["p50"], lat["p99"], s["successful"], extra
    pct = j["latencyPercentiles"]
    ok = sum(j.get("statusCodeDistribution", {}).values())
    return pct["p50"] * 1e3, pct["p99"] * 1e3, ok, {}


def run(tool, path, rate, dur, url):
    argv = argv_of(tool, path, rate, dur, url)
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=lambda: os.sched_setaffinity(0, {1}))
        status, usage, timed_out = peers.wait_with_limit(proc.pid, dur + 30)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if timed_out or os.waitstatus_to_exitcode(status) != 0:
        return None
    p50, p99, done, extra = parse(tool, text)
    cpu_us = (usage.ru_utime + usage.ru_stime) / max(done, 1) * 1e6
    return dict(p50_ms=p50, p99_ms=p99, cpu_us_per_req=cpu_us, **extra)


def median(runs, key):
    values = [r[key] for r in runs if r and r.get(key) is not None]
    return statistics.median(values) if values else None


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rates", default="500,2000,10000")
    ap.add_argument("--dur", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--vastar", help="our binary [cargo build --release]")
    ap.add_argument("--out", help="raw runs as JSON")
    args = ap.parse_args()
    base = "http://127.0.0.1:18080"
    peers.ensure_target(base, peers.find_shared())
    tools, _ = peers.find_tools(["ours", "oha"], args.vastar)
    rates = [int(r) for r in args.rates.split(",")]
    runs = {(t, r): [] for t in tools for r in rates}
    for rep in range(args.repeats):
        for rate in rates:
            order = list(tools)[rep % len(tools):] + list(tools)[:rep % len(tools)]
            for tool in order:
                result = run(tool, tools[tool]["path"], rate, args.dur, base + "/plain")
                runs[(tool, rate)].append(result)
                peers.log(f"{tool} rate={rate} rep={rep}: {result}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({f"{t}@{r}": v for (t, r), v in runs.items()}, f, indent=1)
    print("| rate | tool | p50 ms | p99 ms | CPU µs/req | send lateness p50 ms | "
          "service p50 ms |")
    print("|---|---|---|---|---|---|---|")
    fmt = lambda v, p=3: "—" if v is None else f"{v:.{p}f}"  # noqa: E731
    for rate in rates:
        for tool in tools:
            rs = runs[(tool, rate)]
            print(f"| {rate} | {tool} {tools[tool]['version']} | {fmt(median(rs, 'p50_ms'))} | "
                  f"{fmt(median(rs, 'p99_ms'))} | {fmt(median(rs, 'cpu_us_per_req'), 1)} | "
                  f"{fmt(median(rs, 'send_late_p50_ms'), 4)} | "
                  f"{fmt(median(rs, 'service_p50_ms'))} |")


if __name__ == "__main__":
    main()
