"""Duration histograms: mergeable by addition, so medians and 90th percentiles can be read from
rollups summed over any range without keeping every value.

Bins: one per second below 10 s (exact), then 10 % wide (bin b >= 10 holds
[10 * 1.1^(b-10), 10 * 1.1^(b-9)) seconds). A percentile is the value at nearest rank
(the ⌈p·n⌉-th smallest), reported as its bin's geometric middle: exact below 10 s, within 5 %
above. A histogram is stored as compact JSON text, {"bin": count} (docs/reports.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import orjson

EXACT_BELOW = 10
RATIO = 1.1
_LOG_RATIO = math.log(RATIO)

Histogram = dict[int, int]


def bin_of(seconds: float) -> int:
    if seconds < EXACT_BELOW:
        return max(0, int(seconds))
    return EXACT_BELOW + int(math.log(seconds / EXACT_BELOW) / _LOG_RATIO + 1e-9)


def bin_value(index: int) -> float:
    """The value a bin stands for."""
    if index < EXACT_BELOW:
        return float(index)
    low = EXACT_BELOW * RATIO ** (index - EXACT_BELOW)
    return round(low * math.sqrt(RATIO), 1)


def add(into: Histogram, other: Mapping[int, int], sign: int = 1) -> None:
    for index, count in other.items():
        total = into.get(index, 0) + sign * count
        if total:
            into[index] = total
        else:
            into.pop(index, None)


def percentile(histogram: Mapping[int, int], fraction: float) -> float | None:
    """Nearest rank: the ⌈fraction·n⌉-th smallest value (the lower median for 0.5)."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    rank = max(1, math.ceil(fraction * total - 1e-9))
    seen = 0
    for index in sorted(histogram):
        seen += histogram[index]
        if seen >= rank:
            return bin_value(index)
    return bin_value(max(histogram))


def of_values(values: Iterable[float]) -> Histogram:
    result: Histogram = {}
    for value in values:
        index = bin_of(value)
        result[index] = result.get(index, 0) + 1
    return result


def dumps(histogram: Mapping[int, int]) -> str:
    if not histogram:
        return ""
    return orjson.dumps({str(k): v for k, v in sorted(histogram.items())}).decode()


def loads(text: str) -> Histogram:
    if not text:
        return {}
    return {int(k): int(v) for k, v in orjson.loads(text).items()}
