#!/usr/bin/env python3
"""CPU per request with and without --interval, side by side in one run.

Usage (from the repository root; python3 only; the loopback nginx of ../shared/bench):
    bash ../shared/bench/start-nginx.sh      # if nothing answers on :18080
    cargo build --release
    python3 benches/interval_cost.py [--rounds 3] [--dur 5] [-c 50] [--interval 1s]

Each round runs `vastar -z DUR -c C -o json URL` twice, without and with `--interval`, in
alternating order (off first in odd rounds, on first in even ones), pinned to one CPU (nginx
is pinned to CPU 0). CPU is the child's user + system time from the kernel's rusage
(os.wait4), divided by the requests the report counts: the same measure as benches/peers.py.
"""
import argparse
import json
import os
import subprocess
import sys


def run(binary, url, dur, c, interval, cpu):
    argv = [binary, "-z", f"{dur}s", "-c", str(c), "-o", "json", url]
    if interval:
        argv[1:1] = ["--interval", interval]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv}: exit {os.waitstatus_to_exitcode(status)}")
    report = json.loads(out)
    requests = report["summary"]["requests"]
    if interval:
        assert sum(i["requests"] for i in report["intervals"]) == requests
    cpu_us = (usage.ru_utime + usage.ru_stime) / requests * 1e6
    return dict(interval=bool(interval), requests=requests, rps=report["summary"]["rps"],
                cpu_us_per_req=cpu_us)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/vastar")
    ap.add_argument("--url", default="http://127.0.0.1:18080/plain")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dur", type=int, default=5)
    ap.add_argument("-c", type=int, default=50)
    ap.add_argument("--interval", default="1s")
    ap.add_argument("--cpu", type=int, default=1)
    a = ap.parse_args()
    results = {False: [], True: []}
    for r in range(a.rounds):
        order = [None, a.interval] if r % 2 == 0 else [a.interval, None]
        for interval in order:
            rec = run(a.binary, a.url, a.dur, a.c, interval, a.cpu)
            results[rec["interval"]].append(rec["cpu_us_per_req"])
            print(f"round {r + 1} interval={'on ' if interval else 'off'} "
                  f"{rec['requests']:>8} req {rec['rps']:>9.0f} rps "
                  f"{rec['cpu_us_per_req']:.3f} us/req", flush=True)
    off, on = results[False], results[True]
    mean = lambda xs: sum(xs) / len(xs)
    print(f"off: {min(off):.3f}-{max(off):.3f} us/req (mean {mean(off):.3f})")
    print(f"on:  {min(on):.3f}-{max(on):.3f} us/req (mean {mean(on):.3f})")
    print(f"on/off: {mean(on) / mean(off) - 1:+.2%}")


if __name__ == "__main__":
    main()
