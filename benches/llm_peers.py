#!/usr/bin/env python3
"""Streaming load generators side by side: CPU per streamed event and memory, against
`vastar serve --llm` (BENCHMARK.md, "LLM streaming: generator cost per event").

Usage (from the repository root; python3 only, no extra packages for the driver):

    python3 benches/llm_peers.py --install              # venvs for GuideLLM and AIPerf (pip)
    python3 benches/llm_peers.py --c 1000 --dur 30 --out /tmp/llm_peers.json --markdown
    python3 benches/llm_peers.py --tools vastar --c 100 --dur 5      # a quick look

What it does:
  * Target: `vastar serve --llm --ttft 100ms --itl 20ms --tokens 100 --threads 1` on a free
    loopback port, a fresh one per generator (so its event counter starts at zero), pinned
    to CPU 0. A stream is 104 Server-Sent Events (role, 100 tokens, stop, [DONE]; 105 with a
    usage chunk) over TTFT + 99 ITL = 2.08 s, so c = 1,000 streams offer ~50,000 events/s.
  * Generators, each pinned to CPU 1 (one core each, the same budget for all), at the same
    concurrency for the same duration, asking for 100 output tokens with `stream: true`:
      - vastar: `vastar ai-bench` and the flat form with `--stream-metrics` when the
        binary has them (`vastar --help`), and always the flat form POSTing a streaming
        request without stream metrics (it reads every byte but parses no event);
      - GuideLLM (`guidellm run`, concurrent profile, synthetic 32-token prompts);
      - AIPerf (`aiperf profile`, chat endpoint, --streaming, --concurrency, --isl 32).
  * Tokenizers: both Python tools want a Hugging Face tokenizer, and the hub is not
    reachable here. The script builds a tiny word-level tokenizer (`tokenizers` +
    `transformers`, both already installed with the tools) into a local directory and
    passes its path; no network is touched.
  * Measured per run: generator CPU (user + sys from the kernel's rusage of GNU time and
    every process it waited for, so multi-process tools are counted whole), the events the
    target wrote during the run (its own counter, printed when it stops), CPU µs per event,
    peak memory of the generator's whole process tree (sum of PSS, shared pages split
    between processes, and sum of RSS, sampled every 0.25 s from /proc), the largest single
    process RSS (GNU time), the target's CPU, and each tool's own TTFT / ITL means against
    the known 100 ms / 20 ms.
  CPU includes each tool's start-up (Python imports, dataset synthesis): it is what a run
  costs. `start_cpu_s` (CPU spent before the first event reached the target) is recorded
  apart so the steady-state cost can be read too.
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
from proctree import free_port, proc_stat, tree_usage  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENVS = os.path.expanduser("~/.cache/vastar-peers/llm")
TIME = "/usr/bin/time"
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
STREAM_BODY = ('{"model":"vastar-llm","stream":true,"stream_options":{"include_usage":true},'
               '"max_tokens":100,"messages":[{"role":"user","content":"%s"}]}'
               % " ".join(["tok"] * 32))

TOKENIZER_PY = r'''
import sys
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast
words = ["[UNK]", "[BOS]", "[EOS]", "[PAD]"] + """the quick brown fox jumps over a lazy
dog tok of to in is it you that he was for on are as with his they at be this have from or
one had by word but not what all were we when your can said there use each which she do how
their if will up other about out many then them these so some her would make like him into
time has look two more write go see number no way could people my than first water been
call who its now find long down day did get come made may part""".split()
vocab = {w: i for i, w in enumerate(dict.fromkeys(words))}
tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
tok.pre_tokenizer = pre_tokenizers.Whitespace()
PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", bos_token="[BOS]",
                        eos_token="[EOS]", pad_token="[PAD]").save_pretrained(sys.argv[1])
'''


def log(msg):
    print(f"[llm_peers] {msg}", file=sys.stderr, flush=True)


# --- the generators: argv and how to read their own TTFT / ITL -----------------------------

def vastar_modes(vastar):
    """The vastar rows this binary can produce, best first."""
    modes = []
    help_text = subprocess.run([vastar, "--help"], capture_output=True, text=True).stdout
    if re.search(r"^\s+ai-bench\s", help_text, re.M):
        modes.append("vastar ai-bench")
    if "--stream-metrics" in help_text:
        modes.append("vastar --stream-metrics")
    modes.append("vastar flat")
    return modes


def argv_of(tool, a, url_base, workdir):
    url = url_base + "/v1/chat/completions"
    c, dur = str(a.c), a.dur
    if tool == "vastar ai-bench":
        return [a.vastar, "ai-bench", "--model", "vastar-llm", "--prompt",
                " ".join(["tok"] * 32), "--max-tokens", "100", "-c", c, "-z", f"{dur}s",
                "-t", "60", "-o", "json", url]
    if tool in ("vastar flat", "vastar --stream-metrics"):
        extra = ["--stream-metrics"] if tool == "vastar --stream-metrics" else []
        return [a.vastar, *extra, "-c", c, "-z", f"{dur}s", "-t", "60", "-m", "POST",
                "-T", "application/json", "-d", STREAM_BODY, "-o", "json", url]
    if tool == "guidellm":
        return [a.guidellm, "run",
                "--backend", f"kind=openai_http,target={url_base},model=vastar-llm,"
                             "validate_backend=false",
                "--profile", f"kind=concurrent,streams={c}",
                "--data", "kind=synthetic_text,prompt_tokens=32,output_tokens=100",
                "--tokenizer", f"kind=huggingface_auto,model={a.tokenizer}",
                "--constraint", f"kind=max_duration,seconds={dur}",
                "--output", f"kind=json,path={workdir}/guidellm.json",
                "--disable-console-interactive"]
    if tool == "aiperf":
        return [a.aiperf, "profile", "--model", "vastar-llm", "--url", url_base,
                "--endpoint-type", "chat", "--streaming", "--tokenizer", a.tokenizer,
                "--concurrency", c, "--benchmark-duration", str(dur), "--isl", "32",
                "--osl", "100", "--artifact-dir", f"{workdir}/aiperf", "--ui", "none"]
    raise ValueError(tool)


def own_view(tool, stdout, workdir):
    """The tool's own completed streams, TTFT and ITL means (ms); None where unreadable."""
    try:
        if tool == "guidellm":
            m = json.load(open(f"{workdir}/guidellm.json"))["benchmarks"][0]["metrics"]
            return dict(streams=m["request_totals"]["successful"],
                        ttft_ms=m["time_to_first_token_ms"]["successful"]["mean"],
                        itl_ms=m["inter_token_latency_ms"]["successful"]["mean"])
        if tool == "aiperf":
            j = json.load(open(f"{workdir}/aiperf/profile_export_aiperf.json"))
            return dict(streams=j["request_count"]["avg"],
                        ttft_ms=j["time_to_first_token"]["avg"],
                        itl_ms=j["inter_token_latency"]["avg"])
        j = json.loads(stdout)
        view = dict(streams=j["summary"]["successful"])
        stream = j.get("stream") or {}
        if stream:
            view.update(ttft_ms=stream["ttft_ms"].get("avg", stream["ttft_ms"].get("p50")),
                        itl_ms=stream["itl_ms"].get("avg", stream["itl_ms"].get("p50")))
        return view
    except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
        return dict(unreadable=f"{type(e).__name__}: {e}")


# --- /proc: a process tree's CPU and memory ---------------------------------------------------







class Sampler(threading.Thread):
    """Peak PSS / RSS sums of a process tree, and the CPU it spent before the target saw
    its first event, polled every 0.25 s."""

    def __init__(self, root, first_event):
        super().__init__(daemon=True)
        self.root, self.first_event = root, first_event
        self.peak_pss_kb = self.peak_rss_kb = self.peak_procs = 0
        self.start_cpu_s = None
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(0.25):
            pids, pss, rss, cpu = tree_usage(self.root)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self.peak_procs = max(self.peak_procs, len(pids))
            if self.start_cpu_s is None and self.first_event():
                self.start_cpu_s = cpu


# --- one run ----------------------------------------------------------------------------------



def start_target(a):
    port = free_port()
    argv = [a.vastar, "serve", "--llm", "--addr", f"127.0.0.1:{port}", "--threads", "1",
            "--ttft", a.ttft, "--itl", a.itl, "--tokens", str(a.tokens)]
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(argv, stderr=err, stdout=subprocess.DEVNULL,
                            preexec_fn=lambda: os.sched_setaffinity(0, {0}))
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, err, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    sys.exit("llm_peers.py: the target did not start")


def stop_target(proc, err):
    """Stops the target; returns (requests, events, its CPU seconds)."""
    cpu = proc_stat(proc.pid)[1]
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    err.seek(0)
    text = err.read().decode()
    m = re.search(r"(\d+) requests?, (\d+) events sent", text)
    return (int(m.group(1)), int(m.group(2)), cpu) if m else (None, None, cpu)


def run_one(tool, a):
    workdir = tempfile.mkdtemp(prefix="llm_peers-")
    target, target_err, url_base = start_target(a)
    argv = argv_of(tool, a, url_base, workdir)
    rec = dict(tool=tool, c=a.c, dur_s=a.dur, argv=argv, ok=False,
               loadavg1=os.getloadavg()[0])
    port = url_base.rsplit(":", 1)[1]
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    rss_file = tempfile.NamedTemporaryFile("r")
    env = dict(os.environ, HF_HUB_DISABLE_TELEMETRY="1", DO_NOT_TRACK="1")
    started = time.monotonic()
    proc = subprocess.Popen([TIME, "-f", "%M", "-o", rss_file.name] + argv, stdout=out,
                            stderr=err, stdin=subprocess.DEVNULL, env=env,
                            start_new_session=True, cwd=workdir,
                            preexec_fn=lambda: os.sched_setaffinity(0, {1}))
    sampler = Sampler(proc.pid, lambda: connected_to(port))
    sampler.start()
    limit = a.dur + 300
    timer = threading.Timer(limit, lambda: os.killpg(proc.pid, signal.SIGKILL))
    timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    sampler.stop.set()
    sampler.join()
    rec["wall_s"] = time.monotonic() - started
    requests, events, target_cpu = stop_target(target, target_err)
    out.seek(0)
    err.seek(0)
    stdout = out.read().decode("utf-8", "replace")
    stderr = err.read().decode("utf-8", "replace")
    cpu = usage.ru_utime + usage.ru_stime
    rec.update(exit=os.waitstatus_to_exitcode(status), user_s=usage.ru_utime,
               sys_s=usage.ru_stime, cpu_s=cpu, target_requests=requests, events=events,
               target_cpu_s=target_cpu, start_cpu_s=sampler.start_cpu_s,
               peak_tree_pss_mb=sampler.peak_pss_kb / 1024,
               peak_tree_rss_mb=sampler.peak_rss_kb / 1024, peak_procs=sampler.peak_procs,
               max_single_rss_mb=int(rss_file.read().split()[-1]) / 1024,
               own=own_view(tool, stdout, workdir))
    if events:
        rec["cpu_us_per_event"] = cpu / events * 1e6
        rec["events_per_s"] = events / a.dur
        if sampler.start_cpu_s is not None:
            rec["steady_cpu_us_per_event"] = (cpu - sampler.start_cpu_s) / events * 1e6
    rec["ok"] = rec["exit"] == 0 and bool(events)
    if not rec["ok"]:
        tail = (stderr.strip() or stdout.strip()).splitlines()[-3:]
        rec["reason"] = " | ".join(tail)[:400]
    shutil.rmtree(workdir, ignore_errors=True)
    return rec


def connected_to(port):
    """Whether any TCP connection to the target's port is established (the generator has
    started its load): read from /proc/net/tcp, state 01."""
    want = f":{int(port):04X}"
    try:
        with open("/proc/net/tcp") as f:
            return any(line.split()[2].endswith(want) and line.split()[3] == "01"
                       for line in list(f)[1:])
    except OSError:
        return False


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


def install():
    for tool in ("guidellm", "aiperf"):
        venv = os.path.join(VENVS, tool)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", tool], check=True)
        log(f"{tool} installed in {venv}")


def make_tokenizer(path, python):
    if not os.path.exists(os.path.join(path, "tokenizer.json")):
        subprocess.run([python, "-c", TOKENIZER_PY, path], check=True)
    return path


def version_of(tool, a):
    exe = {"guidellm": a.guidellm, "aiperf": a.aiperf}.get(tool, a.vastar)
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
        return (out.stdout or out.stderr).strip().splitlines()[-1]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return None


def markdown(runs):
    rows = ["| generator | streams done | events/s | CPU µs/event (all) | CPU µs/event "
            "(after start-up) | peak memory, tree PSS | largest process RSS | processes | "
            "its TTFT / ITL (truth 100 / 20 ms) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in runs:
        if not r.get("events"):
            rows.append(f"| {r['tool']} | failed: {r.get('reason', '?')} |||||||||")
            continue
        own = r.get("own") or {}
        timing = (f"{own['ttft_ms']:.1f} / {own['itl_ms']:.2f} ms" if own.get("ttft_ms")
                  else "not measured")
        steady = r.get("steady_cpu_us_per_event")
        rows.append(
            f"| {r['tool']} | {own.get('streams', '?')} | {r['events_per_s']:,.0f} | "
            f"{r['cpu_us_per_event']:.1f} | {f'{steady:.1f}' if steady else '?'} | "
            f"{r['peak_tree_pss_mb']:.0f} MB | {r['max_single_rss_mb']:.0f} MB | "
            f"{r['peak_procs']} | {timing} |")
    return "\n".join(rows)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--install", action="store_true", help="create the peers' venvs and exit")
    p.add_argument("--tools", default="vastar,guidellm,aiperf")
    p.add_argument("--c", type=int, default=1000)
    p.add_argument("--dur", type=int, default=30, help="seconds of load per generator")
    p.add_argument("--ttft", default="100ms")
    p.add_argument("--itl", default="20ms")
    p.add_argument("--tokens", type=int, default=100)
    p.add_argument("--vastar", help="binary [default: cargo build --release]")
    p.add_argument("--guidellm", default=os.path.join(VENVS, "guidellm", "bin", "guidellm"))
    p.add_argument("--aiperf", default=os.path.join(VENVS, "aiperf", "bin", "aiperf"))
    p.add_argument("--tokenizer", default=os.path.join(VENVS, "tokenizer"))
    p.add_argument("--out", help="write the runs as JSON here")
    p.add_argument("--markdown", action="store_true", help="print the table")
    return p.parse_args()


def main():
    a = parse_args()
    if a.install:
        return install()
    if not a.vastar:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
        a.vastar = os.path.join(REPO, "target", "release", "vastar")
    raise_nofile(a.c * 4 + 1000)
    tools = []
    for t in a.tools.split(","):
        tools += vastar_modes(a.vastar) if t == "vastar" else [t]
    python = next((os.path.join(os.path.dirname(exe), "python") for exe in
                   (a.guidellm, a.aiperf) if os.path.exists(exe)), None)
    if python and any(t in ("guidellm", "aiperf") for t in tools):
        make_tokenizer(a.tokenizer, python)
    runs = []
    for tool in tools:
        exe = {"guidellm": a.guidellm, "aiperf": a.aiperf}.get(tool)
        if exe and not os.path.exists(exe):
            log(f"{tool}: not installed at {exe} (python3 benches/llm_peers.py --install)")
            continue
        log(f"{tool}: c={a.c} for {a.dur} s")
        rec = run_one(tool, a)
        rec["version"] = version_of(tool, a)
        log(json.dumps({k: v for k, v in rec.items() if k != "argv"}))
        runs.append(rec)
    doc = dict(when=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), c=a.c, dur_s=a.dur,
               target=dict(ttft=a.ttft, itl=a.itl, tokens=a.tokens), cpus=os.cpu_count(),
               runs=runs)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(doc, f, indent=1)
    if a.markdown:
        print(markdown(runs))


if __name__ == "__main__":
    main()
