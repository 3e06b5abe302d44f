"""A process tree's CPU and memory from /proc, and a free loopback port: what the peer
benchmarks (llm_peers.py, ws_peers.py) measure every generator with, one way for all."""

import os
import socket

TICK = os.sysconf("SC_CLK_TCK")


def proc_stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK  # ppid, utime+stime


def tree(root):
    """Pids of `root` and all its descendants alive now."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                children.setdefault(proc_stat(int(name))[0], []).append(int(name))
            except (OSError, IndexError, ValueError):
                pass
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def memory_kb(pid):
    """(PSS, RSS) of one process in KB, from smaps_rollup."""
    pss = rss = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Rss:"):
                rss = int(line.split()[1])
    return pss, rss


def tree_usage(root):
    """(pids, PSS KB, RSS KB, CPU s) summed over `root`'s tree now; a process that exits
    meanwhile is skipped."""
    pids, pss, rss, cpu = tree(root), 0, 0, 0.0
    for pid in pids:
        try:
            p, r = memory_kb(pid)
            pss, rss, cpu = pss + p, rss + r, cpu + proc_stat(pid)[1]
        except (OSError, ValueError, IndexError):
            pass
    return pids, pss, rss, cpu


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
