"""Reads an interval log with the independent Python HdrHistogram (PyPI `hdrhistogram`) and prints,
per tag, the total count and a few percentiles as one JSON line."""
import json
import sys

from hdrh.log import HistogramLogReader
from hdrh.histogram import HdrHistogram

reader = HistogramLogReader(sys.argv[1], HdrHistogram(1, 3_600_000_000, 3))
totals = {}
while True:
    histogram = reader.get_next_interval_histogram()
    if histogram is None:
        break
    tag = histogram.get_tag() or ""
    if tag not in totals:
        totals[tag] = HdrHistogram(1, 3_600_000_000, 3)
    totals[tag].add(histogram)

print(json.dumps({tag: {
    "count": h.get_total_count(),
    "p50": h.get_value_at_percentile(50),
    "p99": h.get_value_at_percentile(99),
    "max": h.get_max_value(),
} for tag, h in totals.items()}))
