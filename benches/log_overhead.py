#!/usr/bin/env python3
"""What `--log-requests` costs: the same run with and without it, side by side.

Usage (from the repository root; python3 only):

    python3 benches/log_overhead.py                  # -z 5s -c 50, 3 rounds
    python3 benches/log_overhead.py --dur 2 --rounds 1 --log /tmp/x.csv
    python3 benches/log_overhead.py --baseline /tmp/old/vastar   # also: is "off" free?

Against the loopback nginx of ../shared/bench (/plain, 13 B; started if nothing answers on
:18080), `vastar -o json -z DUR -c 50 URL` runs pinned to CPU 1 like peers.py, alternately
without and with `--log-requests FILE` (which goes first alternates every round, so drifting
machine load hits both alike). Measured per run: generator CPU (user + sys from the kernel's
rusage of the child, os.wait4) per completed request, and requests per second; with the log
on, the rows written are checked against the report's requests. The result is the ratio of
the medians (log on / log off), and the ratio within each round (its two runs are adjacent,
so they share the machine's load of the moment); absolute numbers move with that load.
With `--baseline PATH` (a binary built before the log existed), that binary runs in the
rotation too, so the cost of the log switched off is measured the same way.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402  (sibling module: target start-up, our binary, rusage wait)

CONNECTIONS = 50


def run(path, dur, url, log_file):
    """One run: CPU µs per request, req/s, and (log on) rows written."""
    argv = [path, "-o", "json", "-z", f"{dur}s", "-c", str(CONNECTIONS), url]
    if log_file:
        argv[1:1] = ["--log-requests", log_file]
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=lambda: os.sched_setaffinity(0, {1}))
        status, usage, timed_out = peers.wait_with_limit(proc.pid, dur + 30)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if timed_out or os.waitstatus_to_exitcode(status) != 0:
        return None
    s = json.loads(text)["summary"]
    result = dict(cpu_us_per_req=(usage.ru_utime + usage.ru_stime) / s["requests"] * 1e6,
                  rps=s["rps"], requests=s["requests"])
    if log_file:
        with open(log_file) as f:
            result["rows"] = sum(1 for _ in f) - 1
        os.remove(log_file)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dur", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--vastar", help="our binary [cargo build --release]")
    ap.add_argument("--baseline", help="a binary without --log-requests, run as mode 'base'")
    ap.add_argument("--log", default=os.path.join(tempfile.gettempdir(), "vastar-log-bench.csv"),
                    help="where the logging runs write [%(default)s]")
    args = ap.parse_args()
    base = "http://127.0.0.1:18080"
    peers.ensure_target(base, peers.find_shared())
    path = args.vastar or peers.build_ours()
    modes = ["off", "on"] + (["base"] if args.baseline else [])
    runs = {mode: [] for mode in modes}
    for rnd in range(args.rounds):
        for mode in modes[rnd % len(modes):] + modes[:rnd % len(modes)]:
            binary = args.baseline if mode == "base" else path
            result = run(binary, args.dur, base + "/plain", args.log if mode == "on" else None)
            peers.log(f"log {mode} round {rnd}: {result}")
            if result and mode == "on" and result["rows"] != result["requests"]:
                sys.exit(f"{result['rows']} rows for {result['requests']} requests")
            runs[mode].append(result)
    med = {mode: {key: statistics.median(r[key] for r in rs if r)
                  for key in ("cpu_us_per_req", "rps")} for mode, rs in runs.items()}
    print("| --log-requests | CPU µs/req (runs) | median | req/s (median) |")
    print("|---|---|---|---|")
    for mode in modes:
        each = ", ".join(f"{r['cpu_us_per_req']:.2f}" for r in runs[mode] if r)
        print(f"| {mode} | {each} | {med[mode]['cpu_us_per_req']:.2f} | "
              f"{med[mode]['rps']:.0f} |")
    ratio = med["on"]["cpu_us_per_req"] / med["off"]["cpu_us_per_req"]
    print(f"\nCPU per request, on / off: {ratio:.3f} ({(ratio - 1) * 100:+.1f}%) of the medians")
    paired = [on["cpu_us_per_req"] / off["cpu_us_per_req"]
              for on, off in zip(runs["on"], runs["off"]) if on and off]
    if paired:
        print("round by round (adjacent runs): "
              + ", ".join(f"{r:.3f}" for r in paired)
              + f"; median {statistics.median(paired):.3f}")
    if args.baseline:
        off = med["off"]["cpu_us_per_req"] / med["base"]["cpu_us_per_req"]
        print(f"log off / baseline binary: {off:.3f} ({(off - 1) * 100:+.1f}%) of the medians")


if __name__ == "__main__":
    main()
