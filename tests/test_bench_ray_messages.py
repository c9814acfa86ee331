"""``bench ray-messages``' arithmetic and its one-line refusals (the timing itself runs on an idle machine)."""

import pytest

from evoscale.bench.ray_messages import bench_ray_messages, fit_line


def test_the_line_halves_a_round_trip_into_two_messages():
    rows = [{"bytes": b, "round_trip_s": 2 * (1e-4 + 2e-9 * b)} for b in (16, 4096, 1_427_456)]
    fit = fit_line(rows)
    assert fit["per_call_s"] == pytest.approx(1e-4) and fit["per_byte_s"] == pytest.approx(2e-9)


@pytest.mark.parametrize("kw, match", [(dict(payloads=[16]), "two distinct sizes"), (dict(payloads=[0, 16]), "two"),
                                       (dict(rounds=0), "rounds"), (dict(island_rounds=0), "island_rounds")])
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        bench_ray_messages(**kw)
