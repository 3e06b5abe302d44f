#!/usr/bin/env python3
"""Resident memory over a long run: does the generator grow with the requests it sends?

Usage (from the repository root; python3 only; the loopback nginx of ../shared/bench):

    python3 benches/rss_steady.py                        # vastar, -z 60s, c = 50 and 2000
    python3 benches/rss_steady.py --tools ours,wrk --conc 50 --dur 60

A generator that keeps per-request state (a latency vector, a growing buffer, a leak) shows
it only in runs longer than a benchmark point. Each tool runs for `--dur` seconds pinned to
CPU 1 (as in peers.py) while this script samples its VmRSS from /proc once a second. The
table gives the RSS after 1 s (connections open, buffers warm), the last sample, the peak,
and the growth from the 1 s sample to the last per million requests completed.
"""

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402  (sibling module: tool discovery, command lines, output parsers)


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def sample(tool, path, c, dur, url, gen_cpu):
    """(RSS samples in KiB, one a second; completed requests) of one run."""
    argv = peers.argv_of(tool, path, c, dur, url)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, text=True,
                            preexec_fn=lambda: os.sched_setaffinity(0, {gen_cpu}))
    samples = []
    started = time.monotonic()
    while proc.poll() is None:
        time.sleep(max(0.0, started + len(samples) + 1 - time.monotonic()))
        kb = rss_kb(proc.pid)
        if kb is not None and proc.poll() is None:
            samples.append(kb)
    out = proc.stdout.read()
    parsed = peers.PARSERS[tool](out, "")
    return samples, parsed["completed"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conc", default="50,2000", help="concurrencies [50,2000]")
    ap.add_argument("--dur", type=int, default=60, help="seconds per run [60]")
    ap.add_argument("--tools", default="ours", help="tools to run, if installed [ours]")
    ap.add_argument("--vastar", help="our binary (default: cargo build --release)")
    ap.add_argument("--url", default="http://127.0.0.1:18080/plain")
    ap.add_argument("--gen-cpu", type=int, default=1)
    a = ap.parse_args()
    concs = [int(c) for c in a.conc.split(",")]
    peers.raise_nofile(max(concs) + 100)
    found = peers.find_tools(a.tools.split(","), a.vastar)[0]
    print("| tool | c | requests | RSS at 1 s MB | RSS at end MB | peak MB | "
          "growth KB per 1M requests |\n|---|--:|--:|--:|--:|--:|--:|")
    for c in concs:
        for tool, info in found.items():
            samples, completed = sample(tool, info["path"], c, a.dur, a.url, a.gen_cpu)
            if len(samples) < 2:
                print(f"| {peers.table.LABELS[tool]} | {c} | run too short to sample |")
                continue
            growth = (samples[-1] - samples[0]) / max(completed, 1) * 1e6
            print(f"| {peers.table.LABELS[tool]} | {c} | {completed:,} | "
                  f"{samples[0] / 1024:.1f} | {samples[-1] / 1024:.1f} | "
                  f"{max(samples) / 1024:.1f} | {growth:.1f} |".replace(",", " "))


if __name__ == "__main__":
    main()
