#!/usr/bin/env python3
"""Markdown tables of medians from a benches/peers.py results file.

Usage:
    python3 benches/table.py benches/results.json                 # print every table
    python3 benches/table.py benches/results.json \\
        --update-benchmark BENCHMARK.md --update-readme README.md   # rewrite marked regions

Regions rewritten (everything outside the markers is left byte for byte as it was):
    BENCHMARK.md  <!-- peers:machine:begin --> ... <!-- peers:machine:end -->   machine, tools, load
                  <!-- peers:ratios:begin -->  ... <!-- peers:ratios:end -->    ours vs best peer
                  <!-- peers:full:begin -->    ... <!-- peers:full:end -->      every tool
    README.md     <!-- peers:begin -->         ... <!-- peers:end -->           ours vs best peer

Every number is the median over the repeats of a (tool, size, c) point that succeeded;
"best peer" is chosen per metric (highest req/s, lowest CPU us per request, lowest RSS).
Ratios are ours / best peer: above 1 is better for req/s, below 1 is better for CPU and RSS.
"""

import argparse
import json
import statistics
import sys

LABELS = {"ours": "vastar (this tree)", "wrk": "wrk", "h2load": "h2load", "oha": "oha",
          "hey": "hey", "vastar031": "vastar 0.3.1"}
SIZE_LABELS = {"13": "13 B", "1k": "1 KB", "10k": "10 KB", "100k": "100 KB"}
METRICS = ("completed", "rps", "cpu_us_per_req", "user_us_per_req", "rss_mb", "errors", "gen_pct",
           "target_pct")


def points(doc):
    """Medians per (tool, size, c): {key: {metric: median, "ok": n, "n": n, "reasons": [...]}}."""
    groups = {}
    for r in doc["runs"]:
        groups.setdefault((r["tool"], r["size"], r["c"]), []).append(r)
    out = {}
    for key, runs in groups.items():
        ok = [r for r in runs if r["ok"]]
        p = {"ok": len(ok), "n": len(runs),
             "reasons": sorted({r["reason"] for r in runs if not r["ok"]})}
        for m in METRICS:
            values = [value(r, m) for r in ok]
            p[m] = statistics.median(values) if values else None
        out[key] = p
    return out


def value(run, metric):
    if metric == "rss_mb":
        return run["maxrss_kb"] / 1024
    if metric == "user_us_per_req":  # the tool's own code; the rest is the kernel's TCP path
        return run["user_s"] / run["completed"] * 1e6
    if metric == "gen_pct":
        return 100 * (run["user_s"] + run["sys_s"]) / max(run.get("wall_s", 1), 1e-9)
    if metric == "target_pct":
        return 100 * run.get("target_cpu_s", 0) / max(run.get("wall_s", 1), 1e-9)
    return run[metric]


def fmt_int(x):
    return f"{round(x):,}".replace(",", " ") if x is not None else "–"


def fmt(x, digits=2):
    if x is None:
        return "–"
    return f"{x:.{digits}f}" if abs(x) < 100 else fmt_int(x)


def ratio(ours, peer):
    return f"{ours / peer:.2f}×" if ours and peer else "–"


def best_peer(pts, size, c, metric, lowest, tools):
    """(tool, value) of the peer best at `metric` at this point, among points that ran."""
    cands = [(pts[(t, size, c)][metric], t) for t in tools
             if t != "ours" and (t, size, c) in pts and pts[(t, size, c)][metric] is not None]
    if not cands:
        return None, None
    v, t = (min if lowest else max)(cands)
    return t, v


def grid(doc):
    p = doc["params"]
    return p["sizes"], p["conc"], [t for t in doc["tools"]]


def ratios_table(doc, readme=False):
    """Ours against the best peer at every point, one row per (size, c)."""
    pts = points(doc)
    sizes, concs, tools = grid(doc)
    if readme:
        head = ["size", "c", "vastar req/s", "CPU µs/req", "RSS MB",
                "req/s vs best peer", "CPU vs best peer", "RSS vs best peer"]
    else:
        head = ["size", "c", "vastar req/s", "best peer req/s", "ratio",
                "vastar CPU µs/req", "best peer CPU µs/req", "ratio",
                "vastar RSS MB", "best peer RSS MB", "ratio"]
    rows = []
    for size in sizes:
        for c in concs:
            o = pts.get(("ours", size, c))
            if o is None:
                continue
            bests = [best_peer(pts, size, c, m, low, tools)
                     for m, low in (("rps", False), ("cpu_us_per_req", True), ("rss_mb", True))]
            ours = [o["rps"], o["cpu_us_per_req"], o["rss_mb"]]
            if o["rps"] is None:
                why = f"failed ({o['reasons'][0]})" if o["reasons"] else "failed"
                ours_cells = [why, "–", "–"]
            else:
                ours_cells = [fmt_int(ours[0]), fmt(ours[1]), fmt(ours[2], 1)]
            row = [SIZE_LABELS.get(size, size), str(c)]
            if readme:
                row += ours_cells
                row += [f"{ratio(v, bv)} {LABELS[bt]}" if bt else "–"
                        for v, (bt, bv) in zip(ours, bests)]
            else:
                for cell, v, (bt, bv), d in zip(ours_cells, ours, bests, (0, 2, 1)):
                    shown = fmt_int(bv) if d == 0 else fmt(bv, d)
                    peer = f"{shown} ({LABELS[bt]})" if bt else "–"
                    row += [cell, peer, ratio(v, bv)]
            rows.append(row)
    return markdown(head, rows)


def full_tables(doc):
    """Every tool at every point, one table per response size."""
    pts = points(doc)
    sizes, concs, tools = grid(doc)
    parts = []
    head = ["c", "tool", "completed", "req/s", "CPU µs/req", "of which user", "peak RSS MB",
            "errors",
            "tool CPU %", "nginx CPU %", "runs ok"]
    for size in sizes:
        rows = []
        for c in concs:
            for t in tools:
                p = pts.get((t, size, c))
                if p is None:
                    continue
                name = f"**{LABELS[t]}**" if t == "ours" else LABELS[t]
                if p["ok"] == 0:
                    why = "; ".join(p["reasons"])[:120]
                    rows.append([str(c), name, f"failed: {why}"] + [""] * 7 + [f"0/{p['n']}"])
                    continue
                rows.append([str(c), name, fmt_int(p["completed"]), fmt_int(p["rps"]),
                             fmt(p["cpu_us_per_req"]), fmt(p["user_us_per_req"]),
                             fmt(p["rss_mb"], 1),
                             fmt_int(p["errors"]), fmt(p["gen_pct"], 0), fmt(p["target_pct"], 0),
                             f"{p['ok']}/{p['n']}"])
        parts.append(f"#### {SIZE_LABELS.get(size, size)} responses\n\n" + markdown(head, rows))
    return "\n\n".join(parts)


def machine_section(doc):
    m, p = doc["machine"], doc["params"]
    loads = [r["loadavg1"] for r in doc["runs"]]
    lines = [
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}"
        + (f", {m['hypervisor']} guest" if m.get("hypervisor") else "")
        + f"), {m['mem_gib']} GiB RAM, Linux {m['kernel']}",
        f"- Target: {m['nginx']}, one worker pinned to CPU 0 ({doc['target']})",
        f"- Generators pinned to CPU {p['gen_cpu']}; open-file limit {doc['nofile']}",
        f"- Run: {doc['started']} to {doc.get('finished', '(unfinished)')}, "
        f"{p['dur']:g} s per run, {p['repeats']} repeats, {p['pause']:g} s pause between runs,"
        f" {len(doc['runs'])} runs",
        f"- Command: `{doc['command']}`",
    ]
    if loads:
        lines.append(
            f"- Load average (1 min) when runs started: min {min(loads):.2f}, median "
            f"{statistics.median(loads):.2f}, max {max(loads):.2f} (2 CPUs; the machine is "
            f"shared, so anything above ~2 means other work competed with the benchmark)")
    lines.append("- Tools:")
    for t, info in doc["tools"].items():
        lines.append(f"  - {LABELS[t]}: `{info['version']}` (`{info['path']}`)")
    for t, why in doc.get("skipped", {}).items():
        lines.append(f"  - {LABELS[t]}: skipped, {why}")
    return "\n".join(lines)


def readme_caption(doc):
    p = doc["params"]
    loads = [r["loadavg1"] for r in doc["runs"]] or [0]
    peers = ", ".join(LABELS[t] for t in doc["tools"] if t != "ours")
    return (f"vastar against the best of {peers} at each point: medians of {p['repeats']} "
            f"interleaved {p['dur']:g} s runs per tool on {doc['machine']['nproc']} CPUs "
            f"(generator on CPU {p['gen_cpu']}, nginx on the other; median load average "
            f"{statistics.median(loads):.1f}), run {doc['started'][:10]}. Ratios are "
            f"vastar / best peer: above 1× is better for req/s, below 1× for CPU and RSS.")


def markdown(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" if i < 2 else "--:" for i in range(len(head))) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def replace_region(text, name, body):
    """Replaces what lies between the begin/end markers of `name` (None: the unnamed pair)."""
    tag = f"peers:{name}" if name else "peers"
    begin, end = f"<!-- {tag}:begin -->", f"<!-- {tag}:end -->"
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        raise SystemExit(f"table.py: markers {begin} ... {end} not found")
    return text[:i + len(begin)] + "\n" + body + "\n" + text[j:]


def update(path, regions):
    with open(path) as f:
        text = f.read()
    for name, body in regions:
        text = replace_region(text, name, body)
    with open(path, "w") as f:
        f.write(text)
    print(f"updated {path}", file=sys.stderr)


def publish(doc, print_all, benchmark, readme):
    """Prints and/or writes the tables of `doc` (a parsed results file)."""
    if print_all or not (benchmark or readme):
        print(machine_section(doc), ratios_table(doc), full_tables(doc), sep="\n\n")
    if benchmark:
        update(benchmark, [("machine", machine_section(doc)), ("ratios", ratios_table(doc)),
                           ("full", full_tables(doc))])
    if readme:
        update(readme, [(None, readme_caption(doc) + "\n\n" + ratios_table(doc, readme=True))])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", help="JSON written by peers.py")
    ap.add_argument("--update-benchmark", metavar="FILE")
    ap.add_argument("--update-readme", metavar="FILE")
    a = ap.parse_args()
    with open(a.results) as f:
        doc = json.load(f)
    publish(doc, False, a.update_benchmark, a.update_readme)


if __name__ == "__main__":
    main()
