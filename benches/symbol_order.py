#!/usr/bin/env python3
"""Regenerates link/symbol-order.txt: the functions typical runs execute, in first-run order.

Usage (from the repository root; needs gdb; about five minutes):

    cargo build --release
    python3 benches/symbol_order.py      # rewrites link/symbol-order.txt
    cargo build --release                # links with the new order (build.rs)
    python3 benches/symbol_order.py --check   # how many listed names the last link knew

Why: the kernel maps a binary's pages up to 64 KiB at a time around each one a process
touches, so code executed once, scattered over a 4 MB binary, makes most of the binary
resident. build.rs asks LLD to place the functions listed in link/symbol-order.txt first and
together (see its doc comment). Run this again after large code or dependency changes: names
that no longer match are skipped by the linker, so a stale file only weakens the layout.

Method: the link map that build.rs asks LLD for gives every function's name (with the hash
this build gave it) and address. gdb sets a one-shot breakpoint on each function of the
release binary and runs typical commands against the built-in server (`vastar serve`,
started untraced): HTTP/1.1 at c = 1 (text report) and c = 50 (JSON), and HTTPS at c = 50.
Each function is recorded the first time it runs; the file lists them in that order, start-up
first, so one run's code fills as few pages as possible.
"""

import argparse
import glob
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "link", "symbol-order.txt")

TRACER = r'''
import gdb
hits = []
class OneShot(gdb.Breakpoint):
    def __init__(self, spec, name):
        super().__init__(spec, internal=True, temporary=True)
        self.name = name
    def stop(self):
        hits.append(self.name)
        return True
gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("starti")
base = None
for line in gdb.execute("info proc mappings", to_string=True).splitlines():
    f = line.split()
    if len(f) >= 5 and f[-1] == BINARY and int(f[3], 16) == 0:
        base = int(f[0], 16)
        break
for line in open(FUNCTIONS):
    addr, name = line.split()
    OneShot("*0x%x" % (base + int(addr, 16)), name)
while gdb.selected_inferior().pid:
    try:
        gdb.execute("continue", to_string=True)
    except gdb.error:
        break
with open(HITS, "w") as out:
    out.write("\n".join(hits) + "\n")
'''


def functions_from_map(path):
    """(address, name) of every function in the map's .text. LLD's map has a header line
    naming its columns; what follows Align starts in column `Out` for an output section,
    `In` for an input section and `Symbol` for a symbol defined in the input section above."""
    found, in_text, columns = {}, False, None
    for line in open(path, errors="replace"):
        if columns is None:
            columns = line.index("Out"), line.index("Symbol")
            continue
        m = re.match(r"\s*([0-9a-f]+)\s+[0-9a-f]+\s+[0-9a-f]+\s+\d+\s+", line)
        if not m:
            continue
        name = line[m.end():].strip()
        if m.end() == columns[0]:
            in_text = name == ".text"
        elif in_text and m.end() == columns[1]:
            found.setdefault(int(m.group(1), 16), name)
    return sorted(found.items())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, limit_s=20):
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"symbol_order: the built-in server did not listen on {port}")


def trace(binary, functions, argv, hits):
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(f"BINARY = {binary!r}\nFUNCTIONS = {functions!r}\nHITS = {hits!r}\n")
        script.write(TRACER)
    try:
        subprocess.run(["gdb", "-q", "-batch", "-x", script.name, "--args", binary] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900,
                       check=False)
    finally:
        os.unlink(script.name)
    with open(hits) as f:
        return [line.strip() for line in f if line.strip()]


def check(link_map):
    """Says how much of the list the last link could use: names can change with dependency
    versions, and unmatched ones are skipped silently."""
    known = {name for _, name in functions_from_map(link_map)}
    with open(OUT) as f:
        listed = [line.strip() for line in f if line.strip()]
    found = sum(name in known for name in listed)
    print(f"symbol_order: {found} of {len(listed)} listed functions are in {link_map}")
    if found < 0.9 * len(listed):
        sys.exit("symbol_order: the list is stale; regenerate it")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vastar", default=os.path.join(REPO, "target/release/vastar"))
    ap.add_argument("--map", help="LLD link map [newest target/release/build/vastar-*/out]")
    ap.add_argument("--check", action="store_true",
                    help="only report how many listed names the link map has; exit 1 under 90%%")
    args = ap.parse_args()
    maps = sorted(glob.glob(os.path.join(REPO, "target/release/build/vastar-*/out/vastar.map")),
                  key=os.path.getmtime)
    link_map = args.map or (maps[-1] if maps else None)
    if not link_map:
        sys.exit("symbol_order: no link map; build with `cargo build --release` first")
    if args.check:
        check(link_map)
        return
    binary = os.path.realpath(args.vastar)
    work = tempfile.mkdtemp(prefix="symbol_order.")
    functions = os.path.join(work, "functions.txt")
    with open(functions, "w") as f:
        for addr, name in functions_from_map(link_map):
            f.write(f"{addr:x} {name}\n")
    plain, tls = free_port(), free_port()
    servers = [subprocess.Popen([binary, "serve", "--addr", f"127.0.0.1:{port}"] + extra,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for port, extra in ((plain, []), (tls, ["--tls"]))]
    try:
        wait_listening(plain)
        wait_listening(tls)
        runs = [["-n", "3000", "-c", "1", f"http://127.0.0.1:{plain}/"],
                ["-z", "1s", "-c", "50", "-o", "json", f"http://127.0.0.1:{plain}/"],
                ["-k", "-z", "1s", "-c", "50", "-o", "json", f"https://127.0.0.1:{tls}/"]]
        order, seen = [], set()
        for i, argv in enumerate(runs):
            for name in trace(binary, functions, argv, os.path.join(work, f"hits{i}")):
                if name not in seen:
                    seen.add(name)
                    order.append(name)
            print(f"symbol_order: {' '.join(argv)}: {len(order)} functions so far")
    finally:
        for s in servers:
            s.terminate()
            s.wait()
    with open(OUT, "w") as f:
        f.write("\n".join(order) + "\n")
    print(f"symbol_order: wrote {len(order)} names to {os.path.relpath(OUT, REPO)}")


if __name__ == "__main__":
    main()
