# evoscale: `make book` and `make test` do all set-up on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PROFILE ?= book
EDITION ?= full
CH ?=
PARAMS ?=
export EVOSCALE_RESULTS ?= $(CURDIR)/results
export FRESH ?= 0
export PYTHONHASHSEED := 0

.PHONY: book test test-fast chapter bench bench-compiled bench-mjx bench-ray-messages bench-messages bench-ask-tell campaign clean install gpu-check

# the venv is (re)built when requirements or the package metadata change
$(VENV)/.installed: requirements.txt requirements-nodeps.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed

# EDITION=student: the same book without solutions in _build/student/html (README: "For teachers")
book: $(VENV)/.installed
	$(PY) -m evoscale.bookbuild --profile $(PROFILE) --edition $(EDITION)

# EVOSCALE_LINTED=1: the pytest after lint-imports skips its own run of it (tests/test_layout.py)
test: $(VENV)/.installed
	PYTHONPATH=src $(VENV)/bin/lint-imports --no-logo
	EVOSCALE_LINTED=1 $(PY) -m pytest

# daily work: the same without the tests marked slow (chapters executed, the book built, the longest
# measurements) or ray (a local Ray cluster each), in two pytest processes (pytest-xdist; a file's
# tests stay in one process, beside its module fixtures). Aimed at about 4 min on 2 idle cores; measured
# 5.1 min on the idle 2-core machine (1,055 tests; 6.3 min beside the campaign's two runs)
test-fast: $(VENV)/.installed
	PYTHONPATH=src $(VENV)/bin/lint-imports --no-logo
	EVOSCALE_LINTED=1 $(PY) -m pytest -m "not slow and not ray" -n 2 --dist loadfile

chapter: $(VENV)/.installed
	@test -n "$(CH)" || { echo "usage: make chapter CH=03_compute [PARAMS='-p popsize 32'] [PROFILE=book]"; exit 2; }
	$(PY) -m evoscale.bookbuild --profile $(PROFILE) --chapters $(CH) --no-html $(PARAMS)

# train the book profile's missing runs by priority; no new run starts after HOURS, and with END_HOURS
# (the machine stops then) none that is estimated to outlast it; CHAPTERS="03 01" selects chapters
# (commit results/ after)
HOURS ?= 1
END_HOURS ?=
CHAPTERS ?=
campaign: $(VENV)/.installed
	$(PY) -m evoscale campaign run --hours $(HOURS) --profile $(PROFILE) \
	  $(if $(END_HOURS),--end-hours $(END_HOURS)) $(if $(CHAPTERS),--chapters $(CHAPTERS))

# every task's evaluator benchmark -> results/bench/evaluator-<task>.json (run on an idle machine)
BENCH_TASKS = CartPole-v1 LunarLander-v3 BipedalWalker-v3 Humanoid-v5 ALE/Pong-v5 ALE/Pong-ram-v5
bench: $(VENV)/.installed
	for t in $(BENCH_TASKS); do \
	  case $$t in ALE/*) pop=16;; *) pop=64;; esac; \
	  $(PY) -m evoscale bench evaluator --env $$t --popsize $$pop --seconds 10 \
	    --out results/bench/evaluator-$$(echo $$t | tr / _).json || exit 1; \
	done

# the compiled-simulator reference (chapter 8): EnvPool (optional, ~0.7 GB) vs gymnasium, one thread,
# and EnvPool as an evaluator backend: its returns against Gymnasium's, its speed against the lockstep
bench-compiled: $(VENV)/.installed
	$(VENV)/bin/python -m pip install --quiet -r requirements-compiled.txt
	$(PY) -m evoscale bench compiled --out results/bench/compiled.json
	$(PY) -m evoscale bench envpool --out results/bench/envpool.json

# one Ray message's cost (per call, per byte) and the island model on 2 Ray workers in its paced, sync
# and async modes (chapter 4, open question 3; ~5 min, idle machine)
bench-ray-messages: $(VENV)/.installed
	$(PY) -m evoscale bench ray-messages --out results/bench/ray-messages.json

bench-messages: $(VENV)/.installed  # idle machine, ~5 min: seed-only messages vs vectors on 2 Ray workers (issue 39)
	$(PY) -m evoscale bench messages --out results/bench/messages.json

bench-ask-tell: $(VENV)/.installed  # idle machine, ~5 min: pycma's ask + tell as chapters 1 and 4 time it, one core (issue 42)
	$(PY) -m evoscale bench ask-tell --out results/bench/ask-tell.json

# MJX (MuJoCo in JAX, optional) against MuJoCo's C on Gymnasium's humanoid, one core (~25 min: each
# batch size compiles for minutes)
bench-mjx: $(VENV)/.installed
	$(VENV)/bin/python -m pip install --quiet -r requirements-mjx.txt
	$(PY) -m evoscale bench mjx --out results/bench/mjx.json

# on a CUDA machine: the one-shot GPU measurements -> results/gpu/ (src/evoscale/gpu_check.py)
gpu-check: $(VENV)/.installed
	$(PY) -m evoscale.gpu_check --minutes 9

clean:
	rm -rf _build results/smoke .pytest_cache
