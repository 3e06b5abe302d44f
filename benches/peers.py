#!/usr/bin/env python3
"""End-to-end, side-by-side benchmark of vastar against the load generators installed here.

Usage (from the repository root; python3 only, no extra packages):

    # the run BENCHMARK.md reports (about 20 minutes on 2 CPUs), tables rewritten in place
    python3 benches/peers.py --dur 2 --repeats 3 --out benches/results.json \\
        --update-benchmark BENCHMARK.md --update-readme README.md
    python3 benches/peers.py --quick --markdown    # a one-minute smoke test
    python3 benches/peers.py --tools ours,wrk --sizes 13 --conc 50 --out /tmp/r.json  # a subset

What it does:
  * Target: the loopback nginx of ../shared/bench (start-nginx.sh; nginx pinned to CPU 0,
    :18080 with /plain = 13 B and /static/{1k,10k,100k}.json). If nothing answers on the
    port, the script starts it (`--shared DIR` says where `start-nginx.sh` lives).
  * Generators: ours (built with `cargo build --release` unless `--vastar PATH`), wrk,
    h2load (HTTP/1.1), oha, hey and vastar 0.3.1 (from $PEERS_BIN, default
    ~/.cache/vastar-peers/bin). A tool that is not installed is skipped, and said so.
  * Every generator runs pinned to CPU 1 (`sched_setaffinity` before exec, as `taskset -c 1`)
    for `--dur` seconds with keep-alive, at each concurrency and response size. Within a
    (size, c, repeat) point all tools run back to back, in an order rotated every repeat, so
    drifting machine load hits all of them alike.
  * Measured per run: completed requests (2xx/3xx responses, parsed from each tool's own
    output), errors (requests the tool reports as failed, plus non-2xx/3xx responses),
    req/s (completed over the tool's own measured time), generator CPU us per request
    (user+sys from the kernel's rusage of the child, via os.wait4, over completed), peak
    RSS (ru_maxrss), and the target's CPU time (nginx's /proc counters) over the run.
  * The open-file limit is raised to the hard limit (and past it when running as root)
    before any child starts, so c = 10000 needs no `ulimit -n` by hand.
  * A tool that fails (exit status, timeout, unparseable output) is recorded as failed for
    that run; the benchmark goes on.

Output: raw runs as JSON (`--out`, default benches/results.json), and via table.py the
markdown tables of medians (`--markdown` prints them; `--update-benchmark FILE` and
`--update-readme FILE` rewrite only the regions between `<!-- peers:...:begin -->` and
`<!-- peers:...:end -->` markers). `python3 benches/table.py results.json ...` regenerates
the tables from a saved run without re-running anything.
"""

import argparse
import datetime
import json
import os
import re
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import table  # noqa: E402  (sibling module: the markdown renderer)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS_BIN = os.environ.get("PEERS_BIN", os.path.expanduser("~/.cache/vastar-peers/bin"))
SIZES = {"13": "/plain", "1k": "/static/1k.json", "10k": "/static/10k.json",
         "100k": "/static/100k.json"}
ALL_TOOLS = ["ours", "wrk", "h2load", "oha", "hey", "vastar031"]
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# --- tools: how to run each one and how to read what it printed --------------------------

def _num(pattern, text, cast=int, default=None, flags=0):
    m = re.search(pattern, text, flags)
    return cast(m.group(1)) if m else default


def _seconds(value, unit):
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}[unit]


def parse_ours(out, _err):
    j = json.loads(out)
    s = j["summary"]
    codes = {int(k): v for k, v in j.get("status_codes", {}).items()}
    ok = sum(v for k, v in codes.items() if k < 400) if codes else s["successful"]
    return dict(completed=ok, errors=s["failed"] + s["successful"] - ok,
                elapsed_s=s["total_secs"], error_kinds=j.get("errors", {}))


def parse_wrk(out, _err):
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)\b", out)
    if not m:
        return None
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = sum(int(x) for x in sock.groups()) if sock else 0
    non2xx = _num(r"Non-2xx or 3xx responses: (\d+)", out, default=0)
    return dict(completed=int(m.group(1)) - non2xx, errors=socket_errors + non2xx,
                elapsed_s=_seconds(m.group(2), m.group(3)))


def parse_h2load(out, _err):
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored, (\d+) timeout", out)
    t = re.search(r"finished in ([\d.]+)(us|ms|s|m|h),", out)
    if not (m and t):
        return None
    return dict(completed=int(m.group(4)), errors=int(m.group(5)),
                elapsed_s=_seconds(t.group(1), t.group(2)))


def parse_oha(out, _err):
    j = json.loads(out)
    codes = {int(k): v for k, v in j.get("statusCodeDistribution", {}).items()}
    ok = sum(v for k, v in codes.items() if k < 400)
    errs = sum(j.get("errorDistribution", {}).values())
    return dict(completed=ok, errors=errs + sum(codes.values()) - ok,
                elapsed_s=j["summary"]["total"], error_kinds=j.get("errorDistribution", {}))


def _status_lines(out):
    return {int(code): int(n) for code, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", out)}


def _hey_like(out, transport_errors):
    """hey and vastar 0.3.1 print the same summary: `Total: N secs` and `[code] n responses`
    lines; only how they list transport errors differs."""
    total = _num(r"Total:\s+([\d.]+) secs", out, float)
    if total is None:
        return None
    codes = _status_lines(out)
    ok = sum(v for k, v in codes.items() if k < 400)
    errs = transport_errors(out)
    return dict(completed=ok, errors=errs + sum(codes.values()) - ok, elapsed_s=total)


def parse_hey(out, _err):
    def errors(text):
        if "Error distribution:" not in text:
            return 0
        tail = text.split("Error distribution:", 1)[1]
        return sum(int(n) for n in re.findall(r"^\s*\[(\d+)\]\s", tail, re.M))
    return _hey_like(out, errors)


def parse_vastar031(out, _err):
    return _hey_like(out, lambda text: sum(
        int(n) for n in re.findall(r"\[(?:transport|drain-aborted)\]\s+(\d+)", text)))


def argv_of(tool, path, c, dur, url):
    """The command line of `tool` for one run: keep-alive, `dur` seconds, `c` connections,
    one thread where the tool lets us choose, a 20 s request timeout where it has one (so
    slow responses at c = 10000 are not turned into errors by a 2 s default), and requests
    still in flight at the deadline waited for (as ours does) where that is an option."""
    d, c = str(dur), str(c)
    return {
        "ours": [path, "-z", f"{d}s", "-c", c, "-o", "json", url],
        "wrk": [path, "-t1", f"-c{c}", f"-d{d}s", "--timeout", "20s", url],
        "h2load": [path, "--h1", "-t1", "-c", c, "-D", d, url],
        "oha": [path, "--no-tui", "-w", "-z", f"{d}s", "-c", c, "--output-format", "json",
                url],
        "hey": [path, "-z", f"{d}s", "-c", c, "-t", "20", url],
        "vastar031": [path, "-z", f"{d}s", "-c", c, "-t", "20", url],
    }[tool]


PARSERS = {"ours": parse_ours, "wrk": parse_wrk, "h2load": parse_h2load, "oha": parse_oha,
           "hey": parse_hey, "vastar031": parse_vastar031}
VERSION_ARGS = {"ours": ["--version"], "wrk": ["-v"], "h2load": ["--version"],
                "oha": ["--version"], "hey": None, "vastar031": ["--version"]}


def locate(tool, ours_path):
    if tool == "ours":
        return ours_path
    if tool in ("oha", "vastar031"):
        p = os.path.join(PEERS_BIN, "oha" if tool == "oha" else "vastar")
        return p if os.access(p, os.X_OK) else None
    return shutil.which(tool)


def find_tools(names, ours_path=None):
    """({tool: {path, version}} of the installed ones, {tool: why skipped}); builds ours
    with cargo unless `ours_path` names a binary."""
    if "ours" in names and not ours_path:
        ours_path = build_ours()
    tools, skipped = {}, {}
    for t in names:
        p = locate(t, ours_path)
        if p and os.access(p, os.X_OK):
            tools[t] = dict(path=p, version=version_of(t, p))
        else:
            skipped[t] = "not installed"
            log(f"skipping {t}: not installed")
    return tools, skipped


def version_of(tool, path):
    args = VERSION_ARGS[tool]
    if args is None:  # hey has no --version; ask the package manager
        r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", tool],
                           capture_output=True, text=True)
        return f"hey {r.stdout.strip()} (Debian package)" if r.returncode == 0 else "hey"
    r = subprocess.run([path] + args, capture_output=True, text=True, timeout=10)
    lines = (r.stdout + r.stderr).strip().splitlines()
    version = lines[0].strip() if lines else "?"
    return f"{version} at {source_revision()}" if tool == "ours" else version


def source_revision():
    """The commit our binary was built from (plus `-dirty` for uncommitted changes)."""
    r = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO,
                       capture_output=True, text=True)
    return r.stdout.strip() or "unknown commit"


# --- running one generator ----------------------------------------------------------------

NGINX_PIDFILE = "/tmp/vbench-nginx/nginx.pid"  # where start-nginx.sh's nginx.conf puts it


def nginx_pids():
    """Pids of the target's nginx processes (the master in NGINX_PIDFILE and its workers;
    every nginx process if there is no pid file), whose CPU time is the target's."""
    procs = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                comm, rest = f.read().rsplit(")", 1)
            if comm.endswith("(nginx"):
                procs[int(pid)] = int(rest.split()[1])  # ppid
        except (OSError, ValueError, IndexError):
            pass
    try:
        with open(NGINX_PIDFILE) as f:
            master = int(f.read().strip())
    except (OSError, ValueError):
        return list(procs)
    return [p for p, ppid in procs.items() if p == master or ppid == master] or list(procs)


def cpu_seconds(pids):
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / tick


TIME = "/usr/bin/time"


def run_one(tool, path, c, dur, url, gen_cpu, target_pids):
    """Runs one generator to completion; returns the run's record (never raises for a
    failing tool).

    CPU time is the kernel's rusage of the child (os.wait4). Peak RSS is the tool's own
    ru_maxrss as reported by GNU time when it is installed: the kernel folds the RSS a
    process had before exec into its ru_maxrss, and a child forked from this Python process
    starts with Python's ~15 MB, which would hide every tool's true peak below that. GNU time
    is a ~1.5 MB process, so its child's peak is measured from there. Without it, RSS is
    the direct child's and `rss_floor_kb` says how much of it is Python's."""
    argv = argv_of(tool, path, c, dur, url)
    limit_s = dur + 60 + c / 100  # generous: connect storms at c = 10000 take a while
    rec = dict(tool=tool, c=c, argv=argv, ok=False, reason=None, loadavg1=os.getloadavg()[0])
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as rss_file:
        wrapped = ([TIME, "-f", "%M", "-o", rss_file.name] + argv) if os.access(TIME, os.X_OK) \
            else argv
        target_before = cpu_seconds(target_pids)
        started = time.monotonic()
        try:
            proc = subprocess.Popen(wrapped, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                    start_new_session=True,
                                    preexec_fn=lambda: os.sched_setaffinity(0, {gen_cpu}))
        except OSError as e:
            rec["reason"] = f"cannot start: {e}"
            return rec
        status, usage, timed_out = wait_with_limit(proc.pid, limit_s)
        rec["wall_s"] = time.monotonic() - started
        rec["target_cpu_s"] = cpu_seconds(target_pids) - target_before
        rss = _num(r"^(\d+)\s*$", rss_file.read(), default=None, flags=re.M) \
            if wrapped is not argv else None
        rec.update(user_s=usage.ru_utime, sys_s=usage.ru_stime,
                   maxrss_kb=rss if rss is not None else usage.ru_maxrss,
                   rss_source="GNU time" if rss is not None else "wait4 (floored by Python)")
        out.seek(0)
        err.seek(0)
        stdout = ANSI.sub("", out.read().decode("utf-8", "replace"))
        stderr = ANSI.sub("", err.read().decode("utf-8", "replace"))
    code = os.waitstatus_to_exitcode(status)
    if timed_out:
        rec["reason"] = f"killed after {limit_s:.0f} s"
        return rec
    try:
        parsed = PARSERS[tool](stdout, stderr)
    except (ValueError, KeyError, TypeError) as e:
        parsed, rec["reason"] = None, f"unreadable output ({type(e).__name__})"
    if code != 0 or not parsed or parsed["completed"] <= 0:
        why = [line for line in (stderr.strip() or stdout.strip()).splitlines()
               if not line.startswith("Command exited with non-zero status")]
        rec["reason"] = rec["reason"] or f"exit {code}: {why[-1][:160] if why else 'no output'}"
        rec["exit"] = code
        if parsed:
            rec.update(parsed)
        return rec
    rec.update(parsed, ok=True, exit=code)
    rec["rps"] = parsed["completed"] / max(parsed["elapsed_s"], 1e-9)
    rec["cpu_us_per_req"] = (usage.ru_utime + usage.ru_stime) / parsed["completed"] * 1e6
    return rec


def wait_with_limit(pid, limit_s):
    """os.wait4 with a deadline: kills the child's process group when it overruns."""
    fired = threading.Event()

    def kill():
        fired.set()
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    timer = threading.Timer(limit_s, kill)
    timer.start()
    try:
        _, status, usage = os.wait4(pid, 0)
    finally:
        timer.cancel()
    return status, usage, fired.is_set()


# --- set-up: limits, target, our binary, machine description ------------------------------

def raise_nofile(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, needed)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, hard), max(want, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        log(f"warning: open-file limit is {soft}, c={needed - 100} may fail (not root?)")
    return soft


def answering(base_url):
    try:
        with urllib.request.urlopen(base_url + "/plain", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def ensure_target(base_url, shared):
    if answering(base_url):
        return "already running"
    script = os.path.join(shared, "bench", "start-nginx.sh")
    if not os.path.exists(script):
        sys.exit(f"peers.py: nothing answers at {base_url} and {script} does not exist "
                 "(use --shared DIR)")
    log(f"starting the target: {script}")
    subprocess.run(["bash", script], check=True, stdout=subprocess.DEVNULL)
    for _ in range(50):
        if answering(base_url):
            return f"started by {script}"
        time.sleep(0.1)
    sys.exit(f"peers.py: {script} ran but nothing answers at {base_url}")


def build_ours():
    log("cargo build --release")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    return os.path.join(REPO, "target", "release", "vastar")


def machine():
    def sh(*cmd, stderr=False):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        except OSError:
            return ""
        return r.stderr if stderr else r.stdout
    lscpu = dict(re.findall(r"^([^:\n]+):\s+(.*)$", sh("lscpu"), re.M))
    mem = _num(r"MemTotal:\s+(\d+) kB", open("/proc/meminfo").read(), default=0)
    return dict(nproc=os.cpu_count(), cpu=lscpu.get("Model name", "?"),
                hypervisor=lscpu.get("Hypervisor vendor"),
                kernel=" ".join(os.uname()[2:4]), mem_gib=round(mem / 2**20, 1),
                nginx=sh("nginx", "-v", stderr=True).strip() or "?",
                python=sys.version.split()[0])


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --- the benchmark ------------------------------------------------------------------------

def find_shared():
    """The nearest `shared/` beside the repository or one of its ancestors (a worktree may
    sit deeper than the main checkout)."""
    d = os.path.dirname(REPO)
    while True:
        cand = os.path.join(d, "shared")
        if os.path.exists(os.path.join(cand, "bench", "start-nginx.sh")) or d == "/":
            return cand
        d = os.path.dirname(d)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conc", help="concurrencies, comma-separated [1,50,500,2000,10000]")
    ap.add_argument("--sizes", help=f"response sizes among {','.join(SIZES)} [all]")
    ap.add_argument("--dur", type=int, help="whole seconds per run [4]")
    ap.add_argument("--repeats", type=int, help="runs per (tool, size, c) [3]")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS),
                    help="tools to run, if installed [%(default)s]")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: c=1,50,500, sizes 13,100k, 1 s, 1 repeat")
    ap.add_argument("--vastar", help="our binary (default: cargo build --release)")
    ap.add_argument("--shared", default=find_shared(),
                    help="directory holding bench/start-nginx.sh [%(default)s]")
    ap.add_argument("--base-url", default="http://127.0.0.1:18080", help="[%(default)s]")
    ap.add_argument("--gen-cpu", type=int, default=1, help="CPU the generators run on [1]")
    ap.add_argument("--pause", type=float, default=1.0,
                    help="seconds of quiet between runs [%(default)s]")
    ap.add_argument("--out", help="raw results JSON [benches/results.json; with --quick, "
                    "vastar-peers-quick.json in the temp directory]")
    ap.add_argument("--markdown", action="store_true", help="print the tables when done")
    ap.add_argument("--update-benchmark", metavar="FILE", help="rewrite FILE's table regions")
    ap.add_argument("--update-readme", metavar="FILE", help="rewrite FILE's peer table")
    a = ap.parse_args()
    quick = dict(conc="1,50,500", sizes="13,100k", dur=1, repeats=1,
                 out=os.path.join(tempfile.gettempdir(), "vastar-peers-quick.json"))
    full = dict(conc="1,50,500,2000,10000", sizes=",".join(SIZES), dur=4, repeats=3,
                out=os.path.join(REPO, "benches", "results.json"))
    for k, v in (quick if a.quick else full).items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    a.conc = [int(x) for x in a.conc.split(",")]
    a.sizes = a.sizes.split(",")
    unknown = [s for s in a.sizes if s not in SIZES]
    if unknown:
        ap.error(f"unknown size {unknown[0]!r}; known: {', '.join(SIZES)}")
    a.tools = a.tools.split(",")
    bad = [t for t in a.tools if t not in ALL_TOOLS]
    if bad:
        ap.error(f"unknown tool {bad[0]!r}; known: {', '.join(ALL_TOOLS)}")
    return a


def main():
    a = parse_args()
    others = set(range(os.cpu_count() or 1)) - {a.gen_cpu}
    if others:  # keep this script's own (small) work off the generators' CPU
        os.sched_setaffinity(0, others)
    nofile = raise_nofile(max(a.conc) + 100)
    target_state = ensure_target(a.base_url, a.shared)
    tools, skipped = find_tools(a.tools, a.vastar)
    if not tools:
        sys.exit("peers.py: no tool to run")
    pids = nginx_pids()
    command = " ".join(["python3"] + [shlex.quote(x) for x in sys.argv])
    doc = dict(schema="vastar-peers/1", command=command,
               started=datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
               host=socket.gethostname(), machine=machine(), nofile=nofile, target=target_state,
               params=dict(conc=a.conc, sizes=a.sizes, dur=a.dur, repeats=a.repeats,
                           gen_cpu=a.gen_cpu, base_url=a.base_url, pause=a.pause),
               tools=tools, skipped=skipped, loadavg_start=os.getloadavg(), runs=[])
    names = list(tools)
    total = len(a.sizes) * len(a.conc) * a.repeats * len(names)
    done = 0
    for size in a.sizes:
        url = a.base_url + SIZES[size]
        for c in a.conc:
            for r in range(a.repeats):
                order = names[r % len(names):] + names[:r % len(names)]
                for tool in order:
                    rec = run_one(tool, tools[tool]["path"], c, a.dur, url, a.gen_cpu, pids)
                    rec.update(size=size, repeat=r)
                    doc["runs"].append(rec)
                    done += 1
                    log(progress_line(done, total, rec))
                    time.sleep(a.pause)
            save(doc, a.out)  # keep partial results if interrupted
    doc["finished"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    doc["loadavg_end"] = os.getloadavg()
    save(doc, a.out)
    log(f"wrote {a.out}")
    table.publish(doc, a.markdown, a.update_benchmark, a.update_readme)


def progress_line(done, total, r):
    head = f"[{done}/{total}] {r['size']:>4} c={r['c']:<5} {r['tool']:<9}"
    if not r["ok"]:
        return f"{head} FAILED: {r['reason']}"
    return (f"{head} {r['completed']:>8} ok {r['errors']:>5} err {r['rps']:>9.0f} req/s "
            f"{r['cpu_us_per_req']:>7.2f} us/req {r['maxrss_kb'] / 1024:>7.1f} MB")


def save(doc, path):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
