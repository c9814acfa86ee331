import math

import numpy as np
import pandas as pd
import pytest

from evoscale.experiments.cma_scaling import CostParams, PROFILES, crossover, eval_ms, hidden_for, power_law
from evoscale.policies import param_count


@pytest.mark.parametrize("n", [2_788, 10_000, 100_000])
def test_hidden_for_hits_the_parameter_count_closely(n):
    h = hidden_for(n)
    assert h[1] == h[0] // 2 and abs(param_count(8, h, 4) - n) / n < 0.02


def _frame():
    n = np.array([1e3, 2e3, 4e3, 8e3])
    return pd.concat([
        pd.DataFrame({"method": "cmaes", "n": n, "amortised_ms_per_gen": 1e-4 * n**2}),  # 2 exponent
        pd.DataFrame({"method": "evaluation", "n": n, "amortised_ms_per_gen": 500.0 + 0 * n}),
    ])


def test_power_law_recovers_exponent_and_prefactor():
    a, c = power_law(_frame(), "cmaes")
    assert a == pytest.approx(2.0) and c == pytest.approx(1e-4)


def test_crossover_is_where_the_update_outgrows_the_evaluation():
    assert crossover(_frame()) == pytest.approx(math.sqrt(500 / 1e-4), rel=0.01)  # 1e-4 n^2 = 500


def test_eval_ms_interpolates_between_measured_sizes_and_is_flat_outside():
    df = pd.DataFrame({"method": "evaluation", "n": [1e3, 1e5], "amortised_ms_per_gen": [100.0, 1000.0]})
    assert eval_ms(df, 1e4) == pytest.approx(10 ** 2.5)
    assert eval_ms(df, 10.0) == pytest.approx(100.0) and eval_ms(df, 1e7) == pytest.approx(1000.0)


def test_key_depends_on_the_measurement_not_the_profile_name():
    a = CostParams(profile="book", **PROFILES["book"])
    assert a.key() == CostParams(profile="full", **PROFILES["book"]).key()
    assert a.key() != CostParams(profile="book", **{**PROFILES["book"], "popsize": 32}).key()


def test_bytes_per_entry_and_predicted_cma_run():
    from evoscale.experiments.cma_cost import bytes_per_entry, predict_cma

    df = _frame()
    df["peak_mib"] = np.where(df["method"] == "cmaes", [1.0, 4.0, 16.0, 96.0] * 2, np.nan)
    # largest measured n = 8000: 96 MiB / 8000^2
    assert bytes_per_entry(df, "cmaes") == pytest.approx(96 * 2**20 / 8000**2)
    p = predict_cma(df, "cmaes", 10_000, generations=10)
    assert p["s_per_gen"] == pytest.approx((1e-4 * 1e8 + 500.0) / 1e3)   # update + evaluation
    assert p["run_s"] == pytest.approx(10 * p["s_per_gen"])
    assert p["peak_gib"] == pytest.approx(bytes_per_entry(df, "cmaes") * 1e8 / 2**30)


def _cost_table():
    """A cost measurement as ``cma_scaling.measure`` writes it: full CMA-ES measured up to 8,000 parameters."""
    n = np.array([1e3, 2e3, 4e3, 8e3])
    rows = [pd.DataFrame({"method": m, "n": n.astype(int), "amortised_ms_per_gen": k * n**e, "peak_mib": p * n**2 / 2**20})
            for m, k, e, p in (("cmaes", 1e-4, 2, 48), ("torch_cmaes", 2e-5, 2, 16), ("openai_es", 1e-3, 1, 0))]
    rows.append(pd.DataFrame({"method": "evaluation", "n": n.astype(int), "amortised_ms_per_gen": 500.0 + 0 * n,
                              "peak_mib": np.nan}))
    return pd.concat(rows, ignore_index=True)


def test_claimed_table_measures_the_documents_rows_and_marks_extrapolations():
    from evoscale.experiments.cma_scaling import CLAIMED_ROWS, claimed_table, fitted_ms, peak_gib

    df = _cost_table()
    t = claimed_table(df)
    assert list(t.index) == [f"{n:,}" for n, _ in CLAIMED_ROWS] and list(t["design note says"]) == [v for _, v in CLAIMED_ROWS]
    assert fitted_ms(df, "cmaes", 10_000) == pytest.approx(1e4)  # 1e-4 n^2 ms
    assert t.loc["2,788", "pycma s/gen"] == f"{1e-4 * 2788**2 / 1e3:,.2f}"  # measured range: no tag
    assert t.loc["10,000", "pycma ÷ evaluation"] == "20.0×" and t.loc["10,000", "torch ÷ evaluation"] == "4.0×"
    assert t.loc["100,000", "pycma GiB"] == f"{48 * 1e10 / 2**30:,.1f} (extrapolated)"
    assert peak_gib(df, "torch_cmaes", 100_000) == pytest.approx(16 * 1e10 / 2**30)
    assert t.loc["100,000", "OpenAI-ES ÷ evaluation"] == "0.200×"


def test_fits_where_reads_the_machines_ram_and_one_gpu():
    from evoscale.experiments.cma_scaling import fits_where
    from evoscale.machine import ram_gib

    assert 0 < ram_gib() < 1e5
    assert fits_where(10, ram_gib=24) == "fits this machine"
    assert fits_where(40, ram_gib=24) == "fits one 80 GB GPU but not this machine"
    assert fits_where(100, ram_gib=24) == "fits neither this machine nor one 80 GB GPU"


def _width_summary(cma, oes):
    """A ``methods.summarise`` frame for CMA-ES and OpenAI-ES: (best, lo, hi) per width 1,000 and 10,000."""
    rows = [dict(row=r, n=n, best=b, best_lo=lo, best_hi=hi, reached=0, seeds=3)
            for r, cells in (("cmaes", cma), ("openai_es", oes)) for n, (b, lo, hi) in zip((1_000, 10_000), cells)]
    return pd.DataFrame(rows)
