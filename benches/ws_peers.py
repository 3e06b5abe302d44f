#!/usr/bin/env python3
"""WebSocket load generators side by side: CPU per message sent and memory per session,
against `vastar serve --ws` (BENCHMARK.md, "WebSocket sessions").

Usage (from the repository root; python3 and node only, no extra Python packages):

    python3 benches/ws_peers.py --install     # artillery, ws (npm, in a cache); tsung (apt)
    python3 benches/ws_peers.py --c 100,1000 --dur 30 --nice -10 --out FILE --markdown
    python3 benches/ws_peers.py --tools vastar --c 100 --dur 5          # a quick look

What it does:
  * Target: `vastar serve --ws --threads 1` (echoes every data message) on a free loopback
    port, a fresh one per run, pinned to CPU 0. `--target node` uses a 6-line echo server on
    the `ws` package instead (what the harness was developed against).
  * Generators, each pinned to CPU 1 (one core each, the same budget for all), open c
    sessions and send one 640-byte frame per session every 20 ms for `--dur` seconds
    (c = 1,000 offers 50,000 frames/s):
      - vastar: `vastar ws -c C -z D --every 20ms --send-file F --frame-size 640 --binary`
        (open loop per session: frame k due at start + k * 20 ms; lateness recorded);
      - artillery 2.0.21 (the last release that runs on this machine's Node.js 20) with
        its built-in `ws` engine, one worker (`WORKERS=1`): each virtual user connects,
        then loops `send` (a 640-character text frame: the engine sends strings only) and
        `think: 20ms` until its own start + D; arrivals spread over 1 s. Its loop is closed:
        the next send waits for the write callback plus the think time, so it cannot hold
        a 20 ms period exactly, and the table shows by how much it falls short;
      - tsung 1.7.0 (Debian's package, Erlang/OTP 25) with its ts_websocket plugin, in the
        controller's VM: users arrive over 10 s (Poisson, capped at c), each connects and
        sends dur * 50 binary frames with a 20 ms think time between them (closed loop
        too, like artillery); the load ends at 10 + dur + 5 s;
      - node-ws: a hand-written Node.js client on `ws` 8 (in ws_tools.py), open loop like
        vastar with binary frames: the floor a team gets by writing its own.
  * Measured per run: generator CPU (user + sys from the kernel's rusage of GNU time and
    every process it waited for), peak memory of the generator's process tree (sum of
    PSS and of RSS sampled every 0.5 s from /proc; the largest single process RSS from GNU
    time; for tsung the Erlang VM is a waited child of its start script, so it is counted
    too), the frames the target actually received (the kernel's `bytes_received` of the
    target's established sockets, `ss -ti`, sampled every second, over 648 wire bytes per
    masked 640-byte frame), so a tool's own count is checked. The steady window is the
    span during which at least 95 % of the c sessions were established, less its first
    2 s and last 1 s: there the received rate is compared with the offered c * 50
    frames/s, and CPU per frame is generator CPU over frames received. The whole-run CPU
    per message (tool's own sent count) includes start-up (Node.js module loading, for
    artillery seconds of it). Each tool's own view is kept too: messages sent and
    received, and the send lateness or latency it reports (artillery and tsung report
    none for these fire-and-forget sends). The time CPU 1 spent on other processes is
    recorded (`others_on_cpu1_s`): on a shared box, `--nice -10` (as root) keeps other
    sessions' builds from setting the cadence.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ws_tools import (EVERY_MS, FRAME, NODE_ECHO, argv_of, env_of,  # noqa: E402
                      install, own_view, version_of)
from proctree import TICK, free_port, proc_stat, tree_usage  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIME = "/usr/bin/time"
WIRE_FRAME = FRAME + 8  # client frames: 2-byte header, 16-bit length, 4-byte mask


def log(msg):
    print(f"[ws_peers] {msg}", file=sys.stderr, flush=True)


# --- /proc and ss: a process tree's CPU and memory, the target's received bytes -------------







def cpu_busy_s(cpu):
    """Seconds CPU `cpu` has spent busy since boot (all processes), from /proc/stat."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                v = [int(x) for x in line.split()[1:]]
                return (sum(v) - v[3] - v[4]) / TICK  # less idle and iowait
    return 0.0


def received_by_target(port):
    """(established sessions, bytes they received) on the target's port, from the kernel."""
    out = subprocess.run(["ss", "-Htin", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True).stdout
    counts = [int(n) for n in re.findall(r"bytes_received:(\d+)", out)]
    return len(counts), sum(counts)


class Sampler(threading.Thread):
    """Every 0.5 s: the generator tree's CPU and memory; every second: the target's
    sessions and received bytes. Keeps the peaks and the time series."""

    def __init__(self, root, port):
        super().__init__(daemon=True)
        self.root, self.port = root, port
        self.peak_pss_kb = self.peak_rss_kb = self.peak_procs = 0
        self.series = []  # (t, generator CPU s, sessions, bytes received by the target)
        self.stop = threading.Event()

    def run(self):
        n = 0
        while not self.stop.wait(0.5):
            pids, pss, rss, cpu = tree_usage(self.root)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self.peak_procs = max(self.peak_procs, len(pids))
            n += 1
            if n % 2 == 0:
                self.series.append((time.monotonic(), cpu, *received_by_target(self.port)))


def steady(series, c):
    """Rate and CPU per frame over the span with (nearly) all c sessions up, less 2 s / 1 s
    edges. "Nearly": 95 %, as a closed-loop tool whose users start late and stop at their
    own deadlines may never hold every one of them at once."""
    full = [s for s in series if s[2] >= 0.95 * c]
    if len(full) < 2:
        return None
    t0, t1 = full[0][0] + 2, full[-1][0] - 1
    inside = [s for s in full if t0 <= s[0] <= t1]
    if len(inside) < 2 or inside[-1][3] <= inside[0][3]:
        return None
    (ta, cpu_a, _, ba), (tb, cpu_b, _, bb) = inside[0], inside[-1]
    frames = (bb - ba) / WIRE_FRAME
    return dict(window_s=tb - ta, frames=round(frames), frames_per_s=frames / (tb - ta),
                offered_per_s=c * 1000 / EVERY_MS, cpu_s=cpu_b - cpu_a,
                cpu_us_per_frame=(cpu_b - cpu_a) / frames * 1e6,
                sessions_min=min(s[2] for s in inside))


# --- one run ----------------------------------------------------------------------------------



def pin(cpu, nice):
    """In the child before exec (after setsid): one CPU, and the priority --nice asks for,
    a negative one keeping other work on this shared machine from setting the cadence.
    With autogroup scheduling a new session is its own group, weighed against the others
    by the group's nice, so that is set too."""
    os.sched_setaffinity(0, {cpu})
    if nice:
        os.nice(nice)
        try:
            with open("/proc/self/autogroup", "w") as f:
                f.write(str(nice))
        except OSError:
            pass


def start_target(a, workdir):
    port = free_port()
    if a.target == "node":
        with open(os.path.join(workdir, "echo.js"), "w") as f:
            f.write(NODE_ECHO)
        argv = ["node", os.path.join(workdir, "echo.js"), str(port)]
    else:
        argv = [a.vastar, "serve", "--ws", "--addr", f"127.0.0.1:{port}", "--threads", "1"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env_of("target", a), start_new_session=True,
                            preexec_fn=lambda: pin(0, a.nice))
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    sys.exit("ws_peers.py: the target did not start")


def run_one(tool, a, c):
    workdir = tempfile.mkdtemp(prefix="ws_peers-")
    with open(os.path.join(workdir, "frames.bin"), "wb") as f:
        f.write(os.urandom(FRAME * 100))
    target, port = start_target(a, workdir)
    url = f"ws://127.0.0.1:{port}/"
    argv = argv_of(tool, a, c, url, workdir)
    rec = dict(tool=tool, c=c, dur_s=a.dur, argv=argv, ok=False,
               offered=c * a.dur * 1000 // EVERY_MS, loadavg1=os.getloadavg()[0])
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    rss_file = tempfile.NamedTemporaryFile("r")
    target_cpu0, cpu1_busy0 = proc_stat(target.pid)[1], cpu_busy_s(1)
    started = time.monotonic()
    proc = subprocess.Popen([TIME, "-f", "%M", "-o", rss_file.name] + argv, stdout=out,
                            stderr=err, stdin=subprocess.DEVNULL, env=env_of(tool, a),
                            start_new_session=True, cwd=workdir,
                            preexec_fn=lambda: pin(1, a.nice))
    sampler = Sampler(proc.pid, port)
    sampler.start()
    timer = threading.Timer(a.dur + 300, lambda: os.killpg(proc.pid, signal.SIGKILL))
    timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    sampler.stop.set()
    sampler.join()
    rec["wall_s"] = time.monotonic() - started
    rec["cpu1_busy_s"] = cpu_busy_s(1) - cpu1_busy0
    rec["target_cpu_s"] = proc_stat(target.pid)[1] - target_cpu0
    target.send_signal(signal.SIGINT)
    target.wait(timeout=30)
    out.seek(0)
    err.seek(0)
    stdout = out.read().decode("utf-8", "replace")
    stderr = err.read().decode("utf-8", "replace")
    cpu = usage.ru_utime + usage.ru_stime
    own = own_view(tool, stdout, workdir)
    rec.update(exit=os.waitstatus_to_exitcode(status), user_s=usage.ru_utime,
               sys_s=usage.ru_stime, cpu_s=cpu, own=own, steady=steady(sampler.series, c),
               peak_tree_pss_mb=sampler.peak_pss_kb / 1024,
               peak_tree_rss_mb=sampler.peak_rss_kb / 1024, peak_procs=sampler.peak_procs,
               max_single_rss_mb=int(rss_file.read().split()[-1]) / 1024,
               peak_sessions=max((s[2] for s in sampler.series), default=0))
    rec["others_on_cpu1_s"] = max(0.0, rec["cpu1_busy_s"] - cpu)
    if own.get("sent"):
        rec["cpu_us_per_msg"] = cpu / own["sent"] * 1e6
    rec["ok"] = rec["exit"] == 0 and bool(own.get("sent"))
    if not rec["ok"]:
        tail = (stderr.strip() or stdout.strip()).splitlines()[-3:]
        rec["reason"] = " | ".join(tail)[:400]
    shutil.rmtree(workdir, ignore_errors=True)
    return rec

# --- set-up -----------------------------------------------------------------------------------

def raise_nofile(needed):
    """Children inherit it: the generators and the target each hold c sockets."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, needed)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, hard), max(want, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

def markdown(runs):
    rows = ["| generator | sessions (most held) | frames/s received (offered) | its core busy | "
            "CPU µs/frame, steady | CPU µs/msg, whole run | peak memory, tree PSS | "
            "largest process RSS | messages it sent (offered) | send lateness p50 / p99 it "
            "reports |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in runs:
        own, st = r.get("own") or {}, r.get("steady") or {}
        if not r["ok"]:
            rows.append(f"| {r['tool']} | {r['c']} | failed: {r.get('reason', '?')} "
                        "||||||||")
            continue
        rate = (f"{st['frames_per_s']:,.0f} ({st['offered_per_s']:,.0f})" if st
                else "no steady window")
        busy = f"{st['cpu_s'] / st['window_s']:.0%}" if st else "?"
        steady_cpu = f"{st['cpu_us_per_frame']:.1f}" if st else "?"
        lat = own.get("send_lateness_ms") or {}
        lateness = (f"{lat['p50']:.2f} / {lat['p99']:.2f} ms"
                    if lat.get("p50") is not None else own.get("latency", "none"))
        rows.append(f"| {r['tool']} | {r['c']:,} ({r['peak_sessions']:,}) | {rate} | {busy} | "
                    f"{steady_cpu} | {r['cpu_us_per_msg']:.1f} | "
                    f"{r['peak_tree_pss_mb']:.1f} MB | {r['max_single_rss_mb']:.1f} MB | "
                    f"{own.get('sent', 0):,} ({r['offered']:,}) | {lateness} |")
    return "\n".join(rows) + "\n" + per_session(runs)


def per_session(runs):
    """Memory per added session: the slope of peak tree PSS between the smallest and
    largest c run of each tool."""
    lines = []
    for tool in dict.fromkeys(r["tool"] for r in runs):
        ok = sorted((r for r in runs if r["tool"] == tool and r["ok"]), key=lambda r: r["c"])
        if len(ok) >= 2 and ok[-1]["c"] > ok[0]["c"]:
            lo, hi = ok[0], ok[-1]
            kb = (hi["peak_tree_pss_mb"] - lo["peak_tree_pss_mb"]) * 1024 / (hi["c"] - lo["c"])
            lines.append(f"- {tool}: {kb:.1f} KB per added session (PSS, c = {lo['c']} → "
                         f"{hi['c']})")
    return "\n".join(lines)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--install", action="store_true", help="install the npm peers and exit")
    p.add_argument("--tools", default="vastar,artillery,tsung,node-ws")
    p.add_argument("--c", default="100,1000", help="session counts, comma-separated")
    p.add_argument("--dur", type=int, default=30, help="seconds of load per run")
    p.add_argument("--vastar-args", default="", help="extra flags for `vastar ws` (A/B)")
    p.add_argument("--target", choices=["vastar", "node"], default="vastar")
    p.add_argument("--vastar", help="binary [default: cargo build --release]")
    p.add_argument("--nice", type=int, default=0,
                   help="niceness of target and generators (e.g. -10 as root)")
    p.add_argument("--out", help="write the runs as JSON here")
    p.add_argument("--markdown", action="store_true", help="print the table")
    return p.parse_args()


def main():
    a = parse_args()
    if a.install:
        return install()
    tools = a.tools.split(",")
    if a.vastar:
        a.vastar = os.path.abspath(a.vastar)
    elif "vastar" in tools or a.target == "vastar":
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
        a.vastar = os.path.join(REPO, "target", "release", "vastar")
    counts = [int(x) for x in a.c.split(",")]
    os.sched_setaffinity(0, {0})  # the sampler (ss, /proc) stays off the generators' CPU
    raise_nofile(max(counts) * 4 + 1000)
    runs = []
    for c in counts:
        for tool in tools:
            log(f"{tool}: c={c} for {a.dur} s")
            rec = run_one(tool, a, c)
            rec["version"] = version_of(tool, a)
            log(json.dumps({k: v for k, v in rec.items() if k != "argv"}))
            runs.append(rec)
    doc = dict(when=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), dur_s=a.dur,
               nice=a.nice, vastar_args=a.vastar_args,
               frame_bytes=FRAME, every_ms=EVERY_MS, target=a.target, cpus=os.cpu_count(),
               runs=runs)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(doc, f, indent=1)
    if a.markdown:
        print(markdown(runs))


if __name__ == "__main__":
    main()
