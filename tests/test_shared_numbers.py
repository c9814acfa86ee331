"""One number, one source: a quantity two chapters show has one value in the executed book.

The checks read the executed notebooks of a build (``glue_helpers.disagreements``): every name glued
in two chapters (besides each chapter's own verdict and provenance), the numbers listed as shown in
two chapters under one name, and those shown under two names. On the book profile they run where
``make book`` (or ``bookbuild --profile book``) has executed the chapters into ``_build/src/book``;
a clone without that build skips them, saying so (CI builds the smoke profile, whose notebooks
``test_book`` checks the same way). A check whose chapters were not executed is listed in the skip
reason when no check could run. The same function behind both chapters' figure is checked on the
stored results below, without a build."""

import pytest
from glue_helpers import disagreements, glued

from evoscale.bookbuild import ROOT

EXECUTED = ROOT / "_build" / "src" / "book"


def test_the_built_book_profile_shows_each_shared_number_with_one_value():
    glues = glued(EXECUTED)
    if not glues:
        pytest.skip("the book profile has not been executed here (make book); nothing to compare")
    problems, skipped = disagreements(glues)
    assert not problems, "one quantity, several values across chapters:\n" + "\n".join(problems)
    if len(glues) < 2:
        pytest.skip(f"only {sorted(glues)} executed; checks not run: {skipped}")


def test_the_check_fails_on_a_number_that_differs_or_is_missing():
    agree = {"02_environments": {"ppo_cartpole_steps": "'1 [0, 2]'", "env_cp_ppo_steps": "'1 [0, 2]'",
                                 "env_bw_us_step": "'256'", "env_ll_ppo_final": "'280 [277, 282] (n = 10)'",
                                 "provenance": "'a'"},
             "05_methods": {"ppo_line": "'280 [277, 282] (n = 10)'", "provenance": "'Results: profile book; ran on x.'"},
             "06_backprop_vs_evolution": {"ppo_cartpole_steps": "'1 [0, 2]'", "provenance": "'b'",
                                          "cost_state": "'measured on an idle core'",
                                          "us_per_step": "'CartPole-v1: GA 9; BipedalWalker-v3: OpenAI-ES 256, PPO 346'"},
             "01_parameters": {"pycma_update_2788": "'0.45 s'", "claimed_row_sentence":
                               "'At the design note\\'s \"works\" row (2,788 parameters) pycma\\'s update costs 0.8× the'"},
             "04_workers": {"upd_n": "'2,788'", "upd_ch1_amortised": "'0.45 s'", "upd_ch1_vs_eval": "'0.8×'"}}
    assert disagreements(agree) == ([], [])
    for chapter, name, value in (("06_backprop_vs_evolution", "ppo_cartpole_steps", "'1 [0, 3]'"),
                                 ("02_environments", "env_cp_ppo_steps", "'2 [0, 2]'"),
                                 ("04_workers", "upd_ch1_amortised", "'0.84 s'"),
                                 ("02_environments", "env_bw_us_step", "'25'"),
                                 ("05_methods", "ppo_line", "'279.7 [277.4, 282.0] (n = 10)'"),
                                 ("04_workers", "upd_ch1_vs_eval", "'0.9×'"),
                                 ("06_backprop_vs_evolution", "us_per_step", "'BipedalWalker-v3: OpenAI-ES 2560'")):
        changed = {c: dict(n) for c, n in agree.items()}
        changed[chapter][name] = value
        assert disagreements(changed)[0], (chapter, name, value)
    dropped = {c: dict(n) for c, n in agree.items()}
    del dropped["06_backprop_vs_evolution"]["ppo_cartpole_steps"]
    assert any("not glued" in p for p in disagreements(dropped)[0])
    partial = {c: n for c, n in agree.items() if c != "04_workers"}
    assert any("04_workers" in s for s in disagreements(partial)[1])  # named, never silently passed


def test_chapter_2s_ppo_rows_are_chapter_6s_texts_from_the_stored_runs():
    """Chapter 2 shows PPO's rows on CartPole, LunarLander and BipedalWalker from chapter 6's runs: the
    seeds solved, the env steps to the solved line (``report.to_threshold``, censored) and the final
    return read the same in both chapters' tables."""
    from evoscale.experiments import backprop, environments, unit_costs
    from evoscale.runs import available

    p6 = backprop.params({"profile": "book"})
    df6 = backprop.run(p6, log=lambda *a: None)
    if df6 is None or not (df6["method"] == "ppo").any():
        pytest.skip("no PPO runs stored for the book profile")
    df6 = df6[df6["method"] == "ppo"]
    p2 = environments.params({"profile": "book", "tasks": ",".join(p6.tasks)})
    ppo = [c for c in p2.configs() if c.method == "ppo"]
    df2, missing = available(ppo, environments.results_root() / "book" / "runs")  # never trains
    if df2 is None or missing:
        pytest.skip(f"{len(missing)} of chapter 2's PPO runs not stored for the book profile")
    ch2 = environments.results_table(environments.evals_to_threshold(df2)).set_index("task")
    costs, _ = unit_costs.load_costs("book")
    for env, t in p6.tasks.items():
        ch6 = backprop.table(backprop.summarise(df6, env, len(backprop.seed_list(t["seeds"])), costs)).loc["PPO"]
        mine = ch2.loc[env]
        assert mine["env steps to solve"] == ch6["env steps to threshold"], env
        assert mine["final solved-test return"] == ch6["final return (deterministic)"], env
        assert ch6["seeds solved"].startswith(mine["seeds solved"].split(" of ")[0] + " ("), env
