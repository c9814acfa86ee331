"""The exercises' solutions run (issue 38, item 10). Every command or code a solution gives sits in a
fenced ``bash`` or ``python`` block, states how long it takes on 2 cores, and names only parameters
its chapter declares; and CI runs each block at the smoke profile: ``make chapter`` commands are
executed with ``-p profile smoke`` (sizes of the run -- seeds, budgets -- left at smoke's), the
``evoscale train`` and ``bench`` commands on tiny budgets, and the python blocks with their
``profile = "book"`` line set to ``"smoke"``, all against a copy of the smoke book's results."""

import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from evoscale.bookbuild import ROOT, chapters

SMOKE_DROPS = {"seeds", "seeds_large", "budget_evals", "test_every", "island_budget", "island_seeds", "ppo_steps",
               "ppo_test_every", "check_seeds", "check_budget_evals"}
"""`make chapter` parameters that size the run at the book profile; at smoke the profile's own apply."""
TIME = re.compile(r"\(about (\d+|a|one) (minutes?|seconds?|hours?)\b[^)]*\)|about (\d+|a|one) (minutes?|seconds?) each")


def _markdown(name: str) -> str:
    """Chapter ``name``'s Exercises section as markdown (its py:percent comment prefix removed)."""
    text = (ROOT / "book" / f"{name}.py").read_text()
    section = text[text.index("# ## Exercises\n"):]
    return "\n".join(line[2:] if line.startswith("# ") else "" if line == "#" else line
                     for line in section.splitlines())


def solutions() -> list[tuple[str, str, str]]:
    """(chapter, exercise label, solution body) for every exercise of the book."""
    out = []
    for name in chapters(ROOT / "book"):
        md = _markdown(name)
        for label, body in re.findall(r"^```\{solution-start\} (\S+)\n.*?\n```\n(.*?)^```\{solution-end\}", md, re.M | re.S):
            out.append((name, label, body))
    return out


def blocks(body: str) -> list[tuple[str, str]]:
    """The fenced ``bash`` and ``python`` blocks of a solution: (language, code)."""
    return re.findall(r"^```(bash|python)\n(.*?)^```$", body, re.M | re.S)


def commands(code: str) -> list[str]:
    """The commands of a bash block, one a line once a backslash-newline (which bash reads as a space,
    also inside double quotes: the book breaks long commands so) joins a command's lines."""
    code = code.replace("\\\n", " ")
    return [line.split("  #")[0].strip() for line in code.splitlines() if line.strip() and not line.startswith("#")]


def declared(name: str) -> set[str]:
    """The parameters chapter ``name`` declares (its papermill ``parameters`` cell)."""
    text = (ROOT / "book" / f"{name}.py").read_text()
    cell = text.split('# %% tags=["parameters"]\n', 1)[1].split("\n# %%", 1)[0]
    return set(re.findall(r"^(\w+) = ", cell, re.M))


def make_chapter(command: str) -> tuple[str, dict, str]:
    """``make chapter CH=X PARAMS="-p a 1 ..." [PROFILE=p]`` -> (chapter, parameters, profile)."""
    words = shlex.split(command)
    assert words[:2] == ["make", "chapter"], command
    args = dict(w.split("=", 1) for w in words[2:])
    params = shlex.split(args.get("PARAMS", ""))
    assert len(params) % 3 == 0 and params[::3] == ["-p"] * (len(params) // 3), f"only -p NAME VALUE: {command}"
    from evoscale.bookbuild import _parse_value

    return args["CH"], {k: _parse_value(v) for k, v in zip(params[1::3], params[2::3])}, args.get("PROFILE", "book")


ALL = solutions()
RUNNABLE = [(name, label, i, lang, code) for name, label, body in ALL for i, (lang, code) in enumerate(blocks(body))]


def test_every_chapter_has_exercises_and_every_solution_command_is_in_a_block_with_its_time():
    assert {name for name, _, _ in ALL} == set(chapters(ROOT / "book"))
    for name, label, body in ALL:
        outside = re.sub(r"^```(bash|python)\n.*?^```$", "", body, flags=re.M | re.S)
        assert not re.search(r"make chapter|python -m evoscale|evoscale train", outside), \
            f"{label}: a command outside a fenced bash block (the smoke test would not run it)"
        if blocks(body):
            assert TIME.search(body), f"{label}: its commands state no time (about N minutes on 2 cores)"


def test_every_make_chapter_command_names_a_chapter_and_its_declared_parameters():
    seen = 0
    for name, label, i, lang, code in RUNNABLE:
        for command in commands(code) if lang == "bash" else []:
            if command.startswith("make chapter"):
                ch, params, profile = make_chapter(command)
                assert ch == name, f"{label}: runs {ch}, not its own chapter"
                assert not set(params) - declared(ch), f"{label}: {set(params) - declared(ch)} not declared in {ch}"
                assert profile == "book", f"{label}: {profile} (an exercise runs at the book profile in 15 minutes)"
                seen += 1
    assert seen >= 5


def test_the_python_solutions_compile_and_define_what_they_use():
    """A python block runs as a file: it compiles, and every name it loads is assigned, imported or a
    builtin (the bandit solution once used an undefined ``k``)."""
    import ast
    import builtins

    for name, label, i, lang, code in RUNNABLE:
        if lang != "python":
            continue
        tree = ast.parse(code)
        bound = set(dir(builtins))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                bound.add(node.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
        loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        assert not loads - bound, f"{label}: {loads - bound} used but never defined"


# ---------------------------------------------------------------- at the smoke profile

def _smoke_cli(words: list[str]) -> list[str]:
    """An ``evoscale train``/``bench evaluator`` command on a tiny budget (the smoke profile's idea)."""
    words = [sys.executable if w == ".venv/bin/python" else w for w in words]
    opts = {w: i for i, w in enumerate(words) if w.startswith("--")}
    if "train" in words:
        pop = int(words[opts["--popsize"] + 1]) if "--popsize" in opts else 8
        if "--popsize" not in opts:
            words += ["--popsize", str(pop)]
        episodes = int(words[opts["--episodes-per-fitness"] + 1]) if "--episodes-per-fitness" in opts else 1
        small = {"--budget-evals": str(2 * pop * episodes), "--test-every": str(2 * pop * episodes), "--test-episodes": "2"}
        for flag, value in small.items():
            if flag in opts:
                words[opts[flag] + 1] = value
            else:
                words += [flag, value]
    elif "bench" in words:
        words += ["--seconds", "0.5"]
    return words


@pytest.fixture(scope="module")
def exercise_results(smoke_book, tmp_path_factory):
    """A copy of the smoke book's results: the exercises' own runs land there, not in the smoke book's."""
    out = tmp_path_factory.mktemp("exercise-results") / "results"
    shutil.copytree(smoke_book["results"], out)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name,label,i,lang,code", RUNNABLE, ids=[f"{r[1]}-{r[2]}" for r in RUNNABLE])
def test_the_solution_runs_at_the_smoke_profile(name, label, i, lang, code, exercise_results, tmp_path, monkeypatch):
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(EVOSCALE_RESULTS=str(exercise_results), TQDM_DISABLE="1", PYTHONPATH=str(ROOT / "src"))
    if lang == "python":
        smoke = re.sub(r'^profile = "book"', 'profile = "smoke"', code, flags=re.M)
        r = subprocess.run([sys.executable, "-c", smoke], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=1200)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
        assert r.stdout.strip(), f"{label}: prints nothing"
        return
    for command in commands(code):
        if command.startswith("make chapter"):
            from evoscale.bookbuild import execute_chapter

            ch, params, _ = make_chapter(command)
            params = {k: v for k, v in params.items() if k not in SMOKE_DROPS}
            for k, v in env.items():
                monkeypatch.setenv(k, v)
            monkeypatch.delenv("MPLBACKEND", raising=False)
            execute_chapter(ch, tmp_path / "executed", {"profile": "smoke", **params})
        else:
            words = _smoke_cli(shlex.split(command))
            r = subprocess.run(words, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
            assert r.returncode == 0, f"{command}\n" + r.stdout[-2000:] + r.stderr[-3000:]
