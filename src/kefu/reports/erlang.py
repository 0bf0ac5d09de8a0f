"""Erlang C: how many agents a queue needs for a service level (staffing advice, issue 8).

The classic model (M/M/N): customers arrive at random (Poisson) at rate λ, are served in
order by N identical servers, and each service takes an exponentially distributed time with
mean AHT. Traffic A = λ × AHT (in Erlangs). Then
  P(wait)        = Erlang C(A, N)
  service level  = P(answered within t) = 1 − P(wait) × e^(−(N − A) × t / AHT)
  ASA            = P(wait) × AHT / (N − A)   (average wait of all customers)

Chat agents handle several conversations at once. kefu models an agent with capacity c as c
servers, and AHT as the handling time measured per conversation *while sharing the agent*
(assignment to resolution, which already includes the slowdown of juggling). This is the usual
adaptation for chat (each slot behaves like a server); its limits are written in docs/reports.md.

Erlang C is computed through Erlang B's recursion (B(0) = 1, B(k) = A·B(k−1) / (k + A·B(k−1)),
C = N·B / (N − A·(1 − B))), which never forms A^N or N!: stable for hundreds of servers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_SERVERS = 10_000


@dataclass(frozen=True, slots=True)
class Forecast:
    agents: int
    servers: int  # agents × conversations per agent
    traffic: float  # Erlangs
    wait_probability: float  # 0..1
    service_level: float  # share answered within the target, 0..1
    average_wait_seconds: float  # ASA; inf when the queue grows without bound
    occupancy: float  # traffic / servers (may exceed 1: understaffed)


def erlang_c(traffic: float, servers: int) -> float:
    """Probability that an arriving customer waits; 1.0 when the servers cannot keep up."""
    if traffic < 0 or servers < 0:
        raise ValueError("traffic and servers must not be negative")
    if traffic == 0:
        return 0.0
    if servers <= traffic:
        return 1.0
    b = 1.0
    for k in range(1, servers + 1):
        b = traffic * b / (k + traffic * b)
    return servers * b / (servers - traffic * (1 - b))


def forecast(
    *,
    arrivals_per_hour: float,
    handle_seconds: float,
    agents: int,
    per_agent: int = 1,
    target_seconds: float,
) -> Forecast:
    """Expected service level, wait and occupancy for a roster of `agents`."""
    if arrivals_per_hour < 0 or handle_seconds <= 0 or agents < 0 or per_agent < 1:
        raise ValueError("arrivals ≥ 0, handling time > 0, agents ≥ 0, per_agent ≥ 1")
    servers = agents * per_agent
    traffic = arrivals_per_hour * handle_seconds / 3600
    p_wait = erlang_c(traffic, servers)
    if traffic == 0:
        return Forecast(agents, servers, 0.0, 0.0, 1.0, 0.0, 0.0)
    if servers <= traffic:
        return Forecast(agents, servers, traffic, 1.0, 0.0, math.inf, traffic / max(servers, 1))
    spare = servers - traffic
    level = 1 - p_wait * math.exp(-spare * target_seconds / handle_seconds)
    return Forecast(
        agents=agents,
        servers=servers,
        traffic=traffic,
        wait_probability=p_wait,
        service_level=level,
        average_wait_seconds=p_wait * handle_seconds / spare,
        occupancy=traffic / servers,
    )


def agents_needed(
    *,
    arrivals_per_hour: float,
    handle_seconds: float,
    per_agent: int = 1,
    target_seconds: float,
    service_level: float,
) -> Forecast:
    """The smallest roster whose expected service level reaches `service_level` (0..1)."""
    if not 0 < service_level < 1:
        raise ValueError("service level must be between 0 and 1 (exclusive)")
    traffic = arrivals_per_hour * handle_seconds / 3600
    agents = max(0, math.floor(traffic / per_agent))  # fewer can never keep up
    while True:
        result = forecast(
            arrivals_per_hour=arrivals_per_hour,
            handle_seconds=handle_seconds,
            agents=agents,
            per_agent=per_agent,
            target_seconds=target_seconds,
        )
        if result.service_level >= service_level:
            return result
        agents += 1
        if agents * per_agent > MAX_SERVERS:
            raise ValueError("more than 10,000 servers needed: check the inputs")
