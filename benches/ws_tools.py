#!/usr/bin/env python3
"""The WebSocket generators `ws_peers.py` compares: how to run each one at the benchmark's
cadence (command line, environment, the scripts and configurations it is given) and what each
says about its own run. Kept apart from the driver, which only measures.

Each tool's own view is a dict with `sent` (messages it says it sent) and what else it
reports: `received`, `sessions`, `failed`, `send_lateness_ms` {p50, p99}, `errors`.
"""

import base64
import json
import os
import re
import shutil
import struct
import subprocess
import zlib

NODE_DIR = os.path.expanduser("~/.cache/vastar-peers/ws")
FRAME = 640
EVERY_MS = 20
ARTILLERY = "artillery@2.0.21"  # 2.0.22 and later need Node.js >= 22.13

# A client on the `ws` package: c sessions, each sending `size` bytes (binary) every
# `every` ms from its open for `dur` s, open loop (frame k due at open + k * every).
NODE_CLIENT = r'''
const WebSocket = require(process.env.WS_MODULE);
const [url, c, every, dur, size] = process.argv.slice(2).map((v, i) => i ? +v : v);
const frame = Buffer.alloc(size, 0x5a);
const late = new Uint32Array(100001);  // send lateness, 0.1 ms buckets up to 10 s
let sent = 0, received = 0, opened = 0, failed = 0, done = 0;
function finish() {
  if (done + failed < c) return;
  let n = 0, p50 = null, p99 = null, total = late.reduce((a, b) => a + b, 0);
  for (let i = 0; i < late.length; i++) {
    n += late[i];
    if (p50 === null && n >= total * 0.5) p50 = i / 10;
    if (p99 === null && n >= total * 0.99) p99 = i / 10;
  }
  console.log(JSON.stringify({sent, received, opened, failed,
                              send_lateness_ms: {p50, p99}}));
  process.exit(0);
}
function session() {
  const ws = new WebSocket(url, {perMessageDeflate: false});
  ws.on('message', () => { received++; });
  ws.on('error', () => { failed++; finish(); });
  ws.on('open', () => {
    opened++;
    const start = performance.now();
    let k = 0;
    const tick = () => {
      const lateness = performance.now() - (start + k * every);
      late[Math.min(100000, Math.max(0, Math.floor(lateness * 10)))]++;
      ws.send(frame, {binary: true});
      sent++;
      k++;
      if (k * every >= dur * 1000) {
        setTimeout(() => { ws.close(); done++; finish(); }, 100);
        return;
      }
      setTimeout(tick, Math.max(0, start + k * every - performance.now()));
    };
    tick();
  });
}
for (let i = 0; i < c; i++) session();
setTimeout(() => { failed = c; finish(); }, (dur + 120) * 1000);
'''

# artillery's processor: a per-user deadline, so every tool runs each session `dur` s.
ARTILLERY_PROCESSOR = r'''
const DUR_MS = +process.env.WS_PEERS_DUR_MS;
module.exports = {
  startClock(context, events, done) { context.vars.deadline = Date.now() + DUR_MS; done(); },
  beforeDeadline(context, next) { next(Date.now() < context.vars.deadline); },
};
'''

ARTILLERY_SCRIPT = '''config:
  target: "{url}"
  processor: "./processor.js"
  phases:
    - duration: 1
      arrivalCount: {c}
scenarios:
  - engine: ws
    flow:
      - function: startClock
      - loop:
          - send: "{payload}"
          - think: "{every}ms"
        whileTrue: beforeDeadline
'''

# tsung's ws plugin: users arrive at 2c/ramp per second (Poisson, capped at c) over `ramp`
# s (its launcher falls behind a shorter ramp at c = 1,000 here), each sends dur*50 frames with a 20 ms think time between them; the load's duration
# stops the run at ramp + dur + 5 s whatever is still running.
TSUNG_SCRIPT = '''<?xml version="1.0"?>
<!DOCTYPE tsung SYSTEM "/usr/share/tsung/tsung-1.0.dtd">
<tsung loglevel="warning" dumptraffic="false">
  <clients><client host="localhost" use_controller_vm="true" maxusers="{maxusers}"/></clients>
  <servers><server host="127.0.0.1" port="{port}" type="tcp"/></servers>
  <load duration="{limit}" unit="second">
    <arrivalphase phase="1" duration="{ramp}" unit="second">
      <users maxnumber="{c}" arrivalrate="{rate}" unit="second"/>
    </arrivalphase>
  </load>
  <sessions>
    <session name="ws" probability="100" type="ts_websocket">
      <request><websocket type="connect" path="/"></websocket></request>
      <for from="1" to="{count}" var="i">
        <request><websocket type="message" frame="binary" ack="no_ack">{payload}</websocket></request>
        <thinktime value="{think}" random="false"/>
      </for>
    </session>
  </sessions>
</tsung>
'''
TSUNG_RAMP_S = 10

# The alternative target (--target node): echoes every message, counts them.
NODE_ECHO = r'''
const { WebSocketServer } = require(process.env.WS_MODULE);
const wss = new WebSocketServer({ host: '127.0.0.1', port: +process.argv[2],
                                  perMessageDeflate: false });
wss.on('connection', (ws) => ws.on('message', (d, binary) => ws.send(d, { binary })));
process.on('SIGINT', () => process.exit(0));
'''


def argv_of(tool, a, c, url, workdir):
    dur = a.dur
    if tool == "vastar":
        return [a.vastar, "ws", "-c", str(c), "-z", f"{dur}s", "--every", f"{EVERY_MS}ms",
                "--send-file", os.path.join(workdir, "frames.bin"), "--frame-size",
                str(FRAME), "--binary", "-o", "json", *a.vastar_args.split(), url]
    if tool == "artillery":
        with open(os.path.join(workdir, "processor.js"), "w") as f:
            f.write(ARTILLERY_PROCESSOR)
        with open(os.path.join(workdir, "script.yml"), "w") as f:
            f.write(ARTILLERY_SCRIPT.format(url=url, c=c, payload="a" * FRAME,
                                            every=EVERY_MS))
        return [os.path.join(NODE_DIR, "node_modules", ".bin", "artillery"), "run",
                "--output", os.path.join(workdir, "artillery.json"), "script.yml"]
    if tool == "tsung":
        port = url.rsplit(":", 1)[1].strip("/")
        with open(os.path.join(workdir, "tsung.xml"), "w") as f:
            f.write(TSUNG_SCRIPT.format(
                maxusers=c + 100, port=port, limit=TSUNG_RAMP_S + dur + 5,
                ramp=TSUNG_RAMP_S, c=c, rate=max(1, 2 * c // TSUNG_RAMP_S),
                count=dur * 1000 // EVERY_MS, payload="a" * FRAME, think=EVERY_MS / 1000))
        return ["tsung", "-n", "-f", "tsung.xml", "-l", os.path.join(workdir, "log"),
                "start"]
    if tool == "node-ws":
        with open(os.path.join(workdir, "client.js"), "w") as f:
            f.write(NODE_CLIENT)
        return ["node", "client.js", url, str(c), str(EVERY_MS), str(dur), str(FRAME)]
    raise ValueError(tool)


def env_of(tool, a):
    env = dict(os.environ, WS_MODULE=os.path.join(NODE_DIR, "node_modules", "ws"))
    if tool == "artillery":
        env.update(WORKERS="1", ARTILLERY_DISABLE_TELEMETRY="true",
                   WS_PEERS_DUR_MS=str(a.dur * 1000))
    return env


def own_view(tool, stdout, workdir):
    """What the tool says it did: messages sent / received, sessions, lateness."""
    try:
        if tool == "artillery":
            counters = json.load(open(os.path.join(workdir, "artillery.json"))
                                 )["aggregate"]["counters"]
            return dict(sent=counters.get("websocket.messages_sent", 0),
                        sessions=counters.get("vusers.created", 0),
                        failed=counters.get("vusers.failed", 0),
                        errors={k: v for k, v in counters.items() if k.startswith("errors.")},
                        latency="none for ws")
        if tool == "tsung":
            return tsung_view(workdir)
        j = json.loads(stdout)
        if tool == "node-ws":
            return dict(sent=j["sent"], received=j["received"], sessions=j["opened"],
                        failed=j["failed"], send_lateness_ms=j["send_lateness_ms"])
        return vastar_view(j)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
        return dict(unreadable=f"{type(e).__name__}: {e}")


def vastar_view(j):
    """vastar's report: the `ws` object where the binary writes one (schema 1.7); before
    it, the engine's counts (a request is a message sent) and the send-lateness histogram
    the raw result carries."""
    ws = j.get("ws")
    if ws:
        lateness = ws.get("send_lateness_ms") or {}
        return dict(sent=ws["messages"]["sent"], received=ws["messages"]["received"],
                    sessions=ws["sessions"]["opened"], failed=ws["sessions"]["failed"],
                    send_lateness_ms={k: lateness.get(k) for k in ("p50", "p99")},
                    errors=ws.get("errors") or j.get("errors"))
    s = j["summary"]
    view = dict(sent=s["requests"] - s["failed"], sessions=j["connections"]["opened"],
                errors=j.get("errors"))
    blob = ((j.get("result") or {}).get("histograms") or {}).get("send_lateness")
    if blob:
        view["send_lateness_ms"] = {f"p{int(q * 100)}": v / 1e6 for q, v in
                                    zip((0.5, 0.99), hdr_quantiles(blob, (0.5, 0.99)))}
    return view


def hdr_quantiles(blob, quantiles):
    """Values at `quantiles` of an HdrHistogram in its compressed V2 form (base64, whose
    cookie reads "HISTF…"), decoded here so the driver needs no package."""
    raw = base64.b64decode(blob)
    payload = zlib.decompress(raw[8:])
    _, length, _, digits, lowest, _ = struct.unpack(">iiiiqq", payload[:32])
    counts, pos, end = [], 40, 40 + length
    while pos < end:  # ZigZag LEB128: n > 0 is a count, n < 0 a run of -n zero counts
        shift = value = 0
        while True:
            byte = payload[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80 or shift >= 63:
                break
        n = (value >> 1) ^ -(value & 1)
        counts.extend([0] * -n if n < 0 else [n])
    sub_count = 1 << max(1, (2 * 10 ** digits - 1).bit_length())
    sub_half, unit = sub_count // 2, max(0, lowest.bit_length() - 1)
    total, out = sum(counts), []
    for q in quantiles:
        want, seen = max(1, round(q * total)), 0
        for i, n in enumerate(counts):
            seen += n
            if seen >= want:
                bucket, sub = divmod(i, sub_half)
                bucket, sub = (bucket - 1, sub + sub_half) if bucket else (0, sub)
                # as HdrHistogram reports it: the bucket's highest equivalent value
                out.append(((sub + 1) << (bucket + unit)) - 1)
                break
        else:
            out.append(None)
    return out


def tsung_view(workdir):
    """tsung's totals: the last `stats:` line of each counter in its tsung.log (the second
    number is the run's cumulative count)."""
    logs = [os.path.join(d, "tsung.log") for d, _, files in os.walk(workdir)
            if "tsung.log" in files]
    text = open(logs[0]).read()
    last = dict(re.findall(r"^stats: (\w+) -?\d+ (\d+)$", text, re.M))
    return dict(sent=int(last.get("request_noack", 0)),
                received_bytes=int(last.get("size_rcv", 0)),
                sessions=int(last.get("websocket_succ", 0)),
                failed=int(last.get("error_connect_econnrefused", 0)),
                latency="none for ws without ack")


def install():
    os.makedirs(NODE_DIR, exist_ok=True)
    if not os.path.exists(os.path.join(NODE_DIR, "package.json")):
        subprocess.run(["npm", "init", "-y"], cwd=NODE_DIR, check=True,
                       stdout=subprocess.DEVNULL)
    # artillery pulls in Playwright, whose install step would download a browser
    env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", ARTILLERY, "ws@8"],
                   cwd=NODE_DIR, check=True, env=env)
    print(f"[ws_peers] {ARTILLERY} and ws@8 installed in {NODE_DIR}")
    if not shutil.which("tsung"):
        subprocess.run(["apt-get", "install", "-y", "-q", "tsung"], check=True)


def version_of(tool, a):
    try:
        if tool == "vastar":
            out = subprocess.run([a.vastar, "--version"], capture_output=True, text=True)
            rev = subprocess.run(["git", "describe", "--always", "--dirty"],
                                 cwd=os.path.dirname(os.path.abspath(__file__)),
                                 capture_output=True, text=True)
            return f"{out.stdout.strip()} (source tree at {rev.stdout.strip() or '?'})"
        if tool == "tsung":
            out = subprocess.run(["tsung", "-v"], capture_output=True, text=True)
            otp = subprocess.run(["erl", "-noshell", "-eval",
                                  "io:format(erlang:system_info(otp_release)), halt()."],
                                 capture_output=True, text=True)
            return f"{out.stdout.strip()} on Erlang/OTP {otp.stdout.strip()}"
        pkg = {"artillery": "artillery", "node-ws": "ws"}[tool]
        path = os.path.join(NODE_DIR, "node_modules", pkg, "package.json")
        node = subprocess.run(["node", "--version"], capture_output=True, text=True)
        return f"{pkg} {json.load(open(path))['version']} on Node.js {node.stdout.strip()}"
    except (OSError, ValueError, KeyError):
        return None
