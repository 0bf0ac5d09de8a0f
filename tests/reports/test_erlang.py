"""Erlang C against a published worked example, plus properties of the model."""

from __future__ import annotations

import math

import pytest

from kefu.reports.erlang import agents_needed, erlang_c, forecast


@pytest.mark.parametrize(
    ("servers", "published"),
    # 100 calls per half hour, 3-minute handling (10 Erlangs): the probability that a call
    # waits, as the widely cited "Erlang C made simple" worked example tabulates it.
    [(11, 0.6821), (12, 0.4494), (13, 0.2853), (14, 0.1741)],
)
def test_wait_probability_matches_the_worked_example(servers: int, published: float) -> None:
    assert erlang_c(10.0, servers) == pytest.approx(published, abs=5e-5)


def test_the_worked_example_needs_14_agents_for_80_percent_in_20_seconds() -> None:
    result = agents_needed(
        arrivals_per_hour=200, handle_seconds=180, target_seconds=20, service_level=0.8
    )
    assert result.agents == 14
    assert result.service_level == pytest.approx(0.888, abs=5e-4)
    assert result.average_wait_seconds == pytest.approx(7.8, abs=0.05)
    # One fewer misses the target.
    thirteen = forecast(arrivals_per_hour=200, handle_seconds=180, agents=13, target_seconds=20)
    assert thirteen.service_level == pytest.approx(0.796, abs=5e-4)


def test_large_example_is_stable() -> None:
    # The other widely used worked example's inputs (360 calls per half hour of 4 minutes =
    # 48 Erlangs, 55 agents, 15-second target); the figures follow from the formulas above.
    result = forecast(arrivals_per_hour=720, handle_seconds=240, agents=55, target_seconds=15)
    assert result.traffic == pytest.approx(48.0)
    assert result.wait_probability == pytest.approx(0.2387, abs=5e-5)
    assert result.average_wait_seconds == pytest.approx(8.18, abs=0.01)
    assert result.service_level == pytest.approx(0.8459, abs=5e-5)
    assert result.occupancy == pytest.approx(48 / 55)
    # Hundreds of servers: no overflow (A^N / N! would overflow a float long before this).
    big = erlang_c(900.0, 950)
    assert 0.0 < big < 0.1


def test_multi_chat_agents_count_as_several_servers() -> None:
    # 60 chats an hour of 10 minutes = 10 Erlangs; agents take 3 chats at once.
    chats = forecast(
        arrivals_per_hour=60, handle_seconds=600, agents=4, per_agent=3, target_seconds=60
    )
    single = forecast(arrivals_per_hour=60, handle_seconds=600, agents=12, target_seconds=60)
    assert chats.servers == 12
    assert chats.service_level == pytest.approx(single.service_level)
    needed = agents_needed(
        arrivals_per_hour=60,
        handle_seconds=600,
        per_agent=3,
        target_seconds=60,
        service_level=0.8,
    )
    assert needed.agents * 3 >= 11  # more than the 10 Erlangs, in whole agents
    assert needed.service_level >= 0.8
    fewer = forecast(
        arrivals_per_hour=60,
        handle_seconds=600,
        agents=needed.agents - 1,
        per_agent=3,
        target_seconds=60,
    )
    assert fewer.service_level < 0.8


def test_edges() -> None:
    assert erlang_c(0.0, 3) == 0.0
    assert erlang_c(5.0, 5) == 1.0  # no spare capacity: everyone waits, queue unbounded
    idle = forecast(arrivals_per_hour=0, handle_seconds=300, agents=2, target_seconds=60)
    assert (idle.service_level, idle.wait_probability) == (1.0, 0.0)
    overloaded = forecast(arrivals_per_hour=100, handle_seconds=360, agents=5, target_seconds=60)
    assert overloaded.service_level == 0.0 and math.isinf(overloaded.average_wait_seconds)
    with pytest.raises(ValueError):
        forecast(arrivals_per_hour=1, handle_seconds=0, agents=1, target_seconds=20)
    with pytest.raises(ValueError):
        agents_needed(arrivals_per_hour=1, handle_seconds=60, target_seconds=20, service_level=1)
