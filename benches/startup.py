#!/usr/bin/env python3
"""Start-up to first request: how long after exec the first request reaches the server.

Usage (from the repository root; python3 only):

    python3 benches/startup.py                      # vastar (this tree) and the peers found
    python3 benches/startup.py --tools ours -c 50 --repeats 20

A load generator's start-up is paid before every run of a sweep or a CI gate, so it should
be invisible. This script runs its own HTTP/1.1 server on 127.0.0.1 (a thread per
connection answering `200 ok` to every request), notes the monotonic time just before it
forks the generator, and the time the first complete request head arrives. The difference
covers fork + exec, dynamic loading, argument parsing, start-up of the tool's runtime, DNS
(none: an IP literal), and every connect the tool makes before its first request: with
`-c 50`, vastar opens all 50 connections first. The generator is stopped (SIGKILL) as soon
as the first request arrived, so nothing of its steady state is measured.

Prints the median and maximum of `--repeats` runs per tool as a markdown table.
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402  (sibling module: tool discovery and command lines)

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class FirstRequestServer:
    """Answers every request; remembers when the first request head arrived. One per
    measurement: requests of a killed tool may still sit in a reused server's sockets."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=4096)
        self.port = self.sock.getsockname()[1]
        self.first = None
        self.arrived = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed by measure()
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        buf = b""
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while b"\r\n\r\n" in buf:
                    if self.first is None:
                        self.first = time.monotonic()
                        self.arrived.set()
                    buf = buf.split(b"\r\n\r\n", 1)[1]
                    try:
                        conn.sendall(RESPONSE)
                    except OSError:
                        return


def measure(tool, path, c, limit_s=5.0):
    """Seconds from just before fork to the first request head (None: none arrived)."""
    server = FirstRequestServer()
    argv = peers.argv_of(tool, path, c, 2, f"http://127.0.0.1:{server.port}/")
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    arrived = server.arrived.wait(limit_s)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    server.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept thread, which then exits
    server.sock.close()
    return server.first - started if arrived and server.first else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-c", type=int, default=50, help="connections [50]")
    ap.add_argument("--repeats", type=int, default=20, help="runs per tool [20]")
    ap.add_argument("--tools", default=",".join(peers.ALL_TOOLS),
                    help=f"tools to run, if installed [{','.join(peers.ALL_TOOLS)}]")
    ap.add_argument("--vastar", help="our binary (default: cargo build --release)")
    a = ap.parse_args()
    peers.raise_nofile(a.c + 100)
    found = {t: info["path"] for t, info in peers.find_tools(a.tools.split(","), a.vastar)[0].items()}
    times = {tool: [] for tool in found}
    for _ in range(a.repeats):
        for tool, path in found.items():  # interleaved, like peers.py
            t = measure(tool, path, a.c)
            if t is not None:
                times[tool].append(t * 1000)
    print(f"| tool | c | median ms | max ms | runs |\n|---|--:|--:|--:|--:|")
    for tool, ms in times.items():
        if ms:
            print(f"| {peers.table.LABELS[tool]} | {a.c} | {statistics.median(ms):.1f} | "
                  f"{max(ms):.1f} | {len(ms)}/{a.repeats} |")
        else:
            print(f"| {peers.table.LABELS[tool]} | {a.c} | – | – | 0/{a.repeats} |")


if __name__ == "__main__":
    main()
