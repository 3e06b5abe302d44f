#!/usr/bin/env python3
"""Resident memory over a long run: does the generator grow with the requests it sends?

Usage (from the repository root; python3 only; the loopback nginx of ../shared/bench):

    python3 benches/rss_steady.py                        # vastar, -z 60s, c = 50 and 2000
    python3 benches/rss_steady.py --tools ours,wrk --conc 50 --dur 60

A generator that keeps per-request state (a latency vector, a growing buffer, a leak) shows
it only in runs longer than a benchmark point. Each tool runs for `--dur` seconds pinned to
CPU 1 (as in peers.py) while this script samples its VmRSS from /proc once a second. The
table gives the RSS after 1 s (connections open, buffers warm), the last sample, the peak
(the kernel's high-water mark, VmHWM, so a spike between samples counts), and the growth
from the 1 s sample to the last per million requests completed after the first second
(estimated as the run's average rate times the time between the two samples). A run that
completed nothing or counted errors is reported as failed, not measured.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402  (sibling module: tool discovery, command lines, output parsers)


def memory_kb(pid):
    """(VmRSS, VmHWM) of a running process in KiB, or None once it is gone."""
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                name, _, rest = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    fields[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return (fields["VmRSS"], fields["VmHWM"]) if len(fields) == 2 else None


def sample(tool, path, c, dur, url, gen_cpu):
    """(RSS samples in KiB, one a second; last VmHWM in KiB; the tool's parsed output)."""
    argv = peers.argv_of(tool, path, c, dur, url)
    with tempfile.TemporaryFile() as out:  # a file: a pipe could fill while we sample
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL,
                                preexec_fn=lambda: os.sched_setaffinity(0, {gen_cpu}))
        samples, peak = [], 0
        started = time.monotonic()
        while proc.poll() is None:
            time.sleep(max(0.0, started + len(samples) + 1 - time.monotonic()))
            mem = memory_kb(proc.pid)
            if mem is not None and proc.poll() is None:
                samples.append(mem[0])
                peak = max(peak, mem[1])
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return samples, peak, peers.PARSERS[tool](text, "")


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
    base = a.url.split("/", 3)
    peers.ensure_target("/".join(base[:3]), peers.find_shared())
    found = peers.find_tools(a.tools.split(","), a.vastar)[0]
    print("| tool | c | requests | RSS at 1 s MB | RSS at end MB | peak MB | "
          "growth KB per 1M requests |\n|---|--:|--:|--:|--:|--:|--:|")
    for c in concs:
        for tool, info in found.items():
            samples, peak, run = sample(tool, info["path"], c, a.dur, a.url, a.gen_cpu)
            label = peers.table.LABELS[tool]
            if run["completed"] <= 0 or run["errors"] > 0:
                print(f"| {label} | {c} | failed: {run['completed']} completed, "
                      f"{run['errors']} errors |")
                continue
            if len(samples) < 2:
                print(f"| {label} | {c} | run too short to sample |")
                continue
            after_first = run["completed"] * (len(samples) - 1) / max(run["elapsed_s"], 1e-9)
            growth = (samples[-1] - samples[0]) / max(after_first, 1) * 1e6
            print(f"| {label} | {c} | {run['completed']:,} | "
                  f"{samples[0] / 1024:.1f} | {samples[-1] / 1024:.1f} | "
                  f"{peak / 1024:.1f} | {growth:.1f} |".replace(",", " "))


if __name__ == "__main__":
    main()
