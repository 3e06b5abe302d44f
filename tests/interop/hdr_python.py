"""The JSON's histograms are standard HdrHistograms: HdrHistogram's own Python port decodes
them, and its percentiles are the report's. Reads one `vastar -o json` document on stdin;
exits non-zero (with the mismatch) otherwise. Run by .ci/run."""

import json
import math
import sys

from hdrh.histogram import HdrHistogram

KEYS = {"p10": 10, "p25": 25, "p50": 50, "p75": 75, "p90": 90, "p95": 95, "p99": 99,
        "p99_9": 99.9, "p99_99": 99.99}


def at_rank(hist, rank):
    """The value of the rank-th smallest recorded latency (vastar's rule: rank ceil(q*n);
    hdrh's own get_value_at_percentile rounds the rank instead)."""
    seen = 0
    for item in hist.get_recorded_iterator():
        seen += item.count_at_value_iterated_to
        if seen >= rank:
            return hist.get_highest_equivalent_value(item.value_iterated_to)
    return hist.get_max_value()


def main():
    report = json.load(sys.stdin)
    hist = HdrHistogram.decode(report["result"]["histograms"]["latency"])
    responses = report["summary"]["successful"]
    if hist.get_total_count() != responses or responses == 0:
        sys.exit(f"decoded {hist.get_total_count()} values, the report has {responses} responses")
    for key, percentile in KEYS.items():
        decoded_ms = at_rank(hist, math.ceil(percentile / 100 * responses)) / 1e6
        reported_ms = report["latency_ms"][key]
        # Same histogram, same rank: equal but for the report's float formatting.
        if abs(decoded_ms - reported_ms) > 1e-6 * max(1.0, reported_ms):
            sys.exit(f"{key}: decoded {decoded_ms} ms, reported {reported_ms} ms")
    print(f"hdrh decoded {responses} latencies; p10..p99.99 equal the report's")


main()
