"""The book's one palette and its readable text (issue 38): every method a figure draws has one colour
of its own in ``plots.METHOD_COLORS`` and a readers' name; a figure's text renders at ``plots.MIN_PT``
or more in the content column."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from evoscale import plots  # noqa: E402
from evoscale.experiments import backprop, plasticity, synthesis, tuning  # noqa: E402

SAME_METHOD = {"torch_cmaes": "cmaes", "cma": "cmaes"}
"""Code names of one method (two implementations of CMA-ES): one colour."""


def test_every_plotted_method_has_its_own_colour_and_name():
    methods = {*backprop.LABELS, *plasticity.LABELS, *tuning.LABELS}
    assert methods <= set(plots.METHOD_COLORS), methods - set(plots.METHOD_COLORS)
    assert set(plots.METHOD_COLORS) <= set(plots.METHOD_LABELS)  # every coloured method has its readers' name
    by_colour = {}
    for m, c in plots.METHOD_COLORS.items():
        by_colour.setdefault(matplotlib.colors.to_hex(c), set()).add(SAME_METHOD.get(m, m))
    assert all(len(ms) == 1 for ms in by_colour.values()), by_colour
    for c in by_colour:  # grey and black are the reference lines'
        r, g, b = matplotlib.colors.to_rgb(c)
        assert max(r, g, b) - min(r, g, b) > 0.1, f"{c} is a grey"
    with pytest.raises(KeyError):
        plots.color("a_method_without_a_colour")
    styles = [plots.series(i) for i in range(4)]  # tasks, backends, models: no method's colour, told apart
    assert not {matplotlib.colors.to_hex(s["color"]) for s in styles} & set(by_colour)
    assert len({(s["color"], s["marker"], s["linestyle"]) for s in styles}) == 4


def test_readable_raises_small_text_to_the_minimum_as_rendered():
    plots.style()
    fig, ax = plt.subplots(figsize=(14, 4))  # shown at the column's width: scaled down about 2.1 times
    ax.plot([1, 2], [1, 2], label="a")
    ax.legend(fontsize=7)
    ax.set_xlabel("x (s)")
    assert plots.smallest_text(fig)[0] < plots.MIN_PT
    plots.finish(fig, ["a machine"])
    size, text = plots.smallest_text(fig)
    assert size >= plots.MIN_PT - 1e-6, (size, text)
    assert any(t.get_text() == "ran on: a machine" for t in fig.texts)
    plt.close(fig)


def test_style_at_page_width_needs_no_raising():
    plots.style()
    fig, (ax, ax2) = plt.subplots(1, 2)
    for a in (ax, ax2):
        a.plot([1, 10], [0, 1], label="CMA-ES")
        a.set(xlabel="parameters n", ylabel="return", title="t")
        plots.legend_below(a, ncol=1)
    assert fig.get_figwidth() == plots.WIDTH
    assert plots.smallest_text(fig)[0] >= plots.MIN_PT - 0.5  # 10 pt ticks render at about 9.5 pt
    plt.close(fig)


def test_the_conclusions_map_in_each_es_colour_and_readable():
    m = pd.DataFrame([dict(n=n, W=w, outcome=o) for n in (1000, 20000) for w, o in
                      zip((1, 2, 8), synthesis.OUTCOMES)])
    fig = synthesis.figure({"CMA-ES": m, "OpenAI-ES": m}, ["a machine"])
    assert len(fig.axes) == 2 and plots.smallest_text(fig)[0] >= plots.MIN_PT - 1e-6
    faces = {t.get_text(): matplotlib.colors.to_hex(h.get_facecolor())
             for h, t in zip(fig.legends[0].legend_handles, fig.legends[0].get_texts())}
    assert faces["CMA-ES sooner"] == plots.color("cmaes") and faces["PPO sooner"] == plots.color("ppo")
    assert faces["OpenAI-ES sooner"] == plots.color("openai_es")
    plt.close(fig)


def test_the_sensitivity_figure_draws_each_method_in_its_colour():
    rows = [dict(row=row, band=band, setting=i, sigma0=s["sigma0"], second=tuning._second(row, s), seed=0,
                 final=float(i), cpu_s=1.0, stored=True, machine="a machine")
            for row in tuning.ROWS for band in ("small", "medium") for i, s in enumerate(tuning.GRIDS[row])]
    fig = tuning.sensitivity(pd.DataFrame(rows))
    assert np.shape(fig.axes[:10]) == (10,) and plots.smallest_text(fig)[0] >= plots.MIN_PT - 1e-6
    for ax, row in zip(fig.axes[::2], tuning.ROWS):  # two bands: each row's two panels
        assert {matplotlib.colors.to_hex(line.get_color()) for line in ax.get_lines()} == {plots.color(row)}
    plt.close(fig)
