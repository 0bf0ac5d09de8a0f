"""Small summaries of latency samples."""

from __future__ import annotations


def percentiles(samples: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/max in ms (nearest rank), or None for an empty sample."""
    if not samples:
        return {"p50": None, "p95": None, "p99": None, "max": None, "n": 0}
    ordered = sorted(samples)

    def rank(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {
        "p50": rank(0.50),
        "p95": rank(0.95),
        "p99": rank(0.99),
        "max": round(ordered[-1], 2),
        "n": len(ordered),
    }


def per_second(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0
