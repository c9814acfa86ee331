"""``python -m evoscale``: ``train`` one run, ``bench`` the evaluator. Last line of output: one JSON.

``runs same A B`` compares two runs' records, timing columns aside (exit 0: same; 1: the first
difference, one line). SIGINT (Ctrl-C, ``kill -INT``) stops at once, as SIGTERM does: one line, exit 130 --
also in a background job started with SIGINT ignored.

Bad input (unknown env or method, non-positive budget or popsize, malformed ``--hidden``, a budget
smaller than one generation, a non-finite ``--sigma0``, a ``--hyper`` value of the wrong type, CUDA
asked for where there is none, an ``--out`` or ``--checkpoint`` that cannot be written, an
unreadable or foreign checkpoint, a run that cannot fit in the memory available, a run that diverges to
NaN, a Ray address where no cluster answers) exits with
code 2 and one sentence on stderr -- no traceback -- and, where it can be known before any work, before
any work and without leaving a file. An ``--out`` that cannot be written after the training keeps
the records under a rescue name, which the error names.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .cli_bench import add_bench_parser, run_bench


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: same one-line format, exit 2
        _fail(f"{message} (see '{self.prog} --help')")


def _log(message: str) -> None:
    print(message, file=sys.stderr)


def _fail(message: str):
    print(f"evoscale: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    from .config import RunConfig

    d = RunConfig()
    p = _Parser(prog="evoscale", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train one run; last line is a JSON summary")
    t.add_argument("--method", default=d.method, help=f"optimiser (default {d.method})")
    t.add_argument("--env", default=d.env, help=f"task (default {d.env})")
    t.add_argument("--hidden", default=",".join(map(str, d.hidden)), help="hidden widths, e.g. 64,32")
    t.add_argument("--popsize", type=int, default=d.popsize)
    t.add_argument("--sigma0", type=float, default=d.sigma0)
    t.add_argument("--budget-evals", type=int, default=d.budget_evals, help="training episodes")
    t.add_argument("--budget-steps", type=int, default=None, help="env-step budget (required for ppo)")
    t.add_argument("--hyper", default=None, help='method hyper-parameters as JSON, e.g. \'{"lr": 0.05}\'')
    t.add_argument("--episodes-per-fitness", "--episodes-per-eval", type=int, default=d.episodes_per_fitness)
    t.add_argument("--test-every", "--eval-every", type=int, default=d.test_every, help="episodes between solved tests")
    t.add_argument("--test-episodes", "--eval-episodes", type=int, default=d.test_episodes, help="episodes per solved test")
    t.add_argument("--seed", type=int, default=d.seed)
    t.add_argument("--backend", default=d.backend, help="lockstep | serial | ray | jax (gymnax CartPole) | envpool (EnvPool, optional)")
    t.add_argument("--device", default=d.device, help="cpu | cuda")
    t.add_argument("--out", type=Path, help="write per-generation records to this CSV (atomically)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--checkpoint", type=Path, help="save the full run state here (atomically)")
    t.add_argument("--checkpoint-every", type=int, default=10, help="generations between checkpoints")
    t.add_argument("--resume", action="store_true", help="continue the run saved in --checkpoint")

    add_bench_parser(sub, _Parser)

    r = sub.add_parser("runs", help="compare stored runs")
    rsub = r.add_subparsers(dest="what", required=True, parser_class=_Parser)
    same = rsub.add_parser("same", help="exit 0 if two runs' records agree (timing columns aside), else 1 "
                                        "with the first difference")
    same.add_argument("a", type=Path, help="a run's CSV (a stored run or a --out file)")
    same.add_argument("b", type=Path)

    c = sub.add_parser("campaign", help="the runs the book needs: plan (what is missing) and run (train it)")
    csub = c.add_subparsers(dest="what", required=True, parser_class=_Parser)
    cp = csub.add_parser("plan", help="each cell's seeds done / planned and the CPU-minutes missing")
    cr = csub.add_parser("run", help="train the missing runs by priority within --hours")
    ch = csub.add_parser("harvest", help="write shorter runs out of the checkpoints of longer ones in progress")
    cc = csub.add_parser("clean-checkpoints", help="remove the checkpoints of runs already stored (plan lists them)")
    for q in (cp, cr, ch, cc):
        q.add_argument("--profile", default="book", help="smoke | quick | book | full")
        q.add_argument("--chapters", nargs="*", default=None, help="chapter name prefixes, e.g. 03 01 (default: all)")
        q.add_argument("--envs", nargs="*", default=None, help="only these tasks, e.g. CartPole-v1 (default: all)")
    cr.add_argument("--hours", type=float, required=True, help="no new run starts after this many hours")
    cr.add_argument("--end-hours", type=float, default=None,
                    help="the machine stops after this many hours: start only runs estimated to end by then")
    cr.add_argument("--processes", type=int, default=None, help="runs in parallel, one core each (default: all)")
    cr.add_argument("--ray-address", default=None, help="run as Ray tasks on this cluster ('local': start one)")
    cr.add_argument("--max-runs", type=int, default=None, help="train at most this many runs")
    return p


def _stop_on_sigint() -> None:
    """SIGINT raises KeyboardInterrupt even where it was ignored at start: a shell that is not
    interactive starts a background job (``cmd &``, ``nohup cmd &``) with SIGINT ignored, and Python
    then leaves it ignored, so ``kill -INT`` did nothing while ``kill -TERM`` stopped the process."""
    import signal

    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _stop_on_sigint()
    try:
        from .store import check_writable

        for flag in ("out", "checkpoint"):
            if getattr(args, flag, None) is not None:
                check_writable(getattr(args, flag), f"--{flag}")
        if args.command == "runs":
            return _same(args.a, args.b)
        if args.command == "train":
            summary = _train(args)
        elif args.command == "campaign":
            from .campaign import command

            summary = command(args, _log)
        else:
            summary = run_bench(args, _log)
    except (ValueError, ConnectionError) as err:  # ConnectionError: no Ray cluster at --ray-address
        _fail(str(err))
    except KeyboardInterrupt:  # SIGINT: as SIGTERM (workers stopped, checkpoints kept), in one line
        print("evoscale: interrupted (SIGINT): workers stopped, checkpoints kept, nothing half-written counts",
              file=sys.stderr)
        return 130
    if args.command == "bench" and getattr(args, "out", None):  # the benches with --out also write their JSON
        from .store import atomic_write

        atomic_write(args.out, lambda f: json.dump(_jsonable(summary), f, indent=1, allow_nan=False))
    print(json.dumps(_jsonable(summary), allow_nan=False))
    return 0


def _jsonable(obj):
    """NaN/inf -> null (strict JSON), recursively."""
    import math

    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj



def _hyper(text: str | None) -> dict | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"--hyper must be a JSON object like '{{\"lr\": 0.05}}': {err}") from None
    if not isinstance(value, dict):
        raise ValueError(f"--hyper must be a JSON object, got {text!r}")
    return value


def _train(args) -> dict:
    import math

    import pandas as pd

    from .config import RunConfig
    from .train import FinishedRunError, read_checkpoint, resolve, train

    config = RunConfig(
        method=args.method, env=args.env, hidden=args.hidden, popsize=args.popsize, sigma0=args.sigma0,
        budget_evals=args.budget_evals, budget_steps=args.budget_steps, hyper=_hyper(args.hyper),
        episodes_per_fitness=args.episodes_per_fitness,
        test_every=args.test_every, test_episodes=args.test_episodes, seed=args.seed,
        backend=args.backend, device=args.device, progress=not args.no_progress,
    )
    resolve(config)  # env, method, hyper-parameters and backend against the registries
    if args.resume and not (args.checkpoint and args.checkpoint.exists()):
        raise ValueError("--resume needs an existing --checkpoint file")
    if args.checkpoint and args.checkpoint.exists() and not args.resume:
        raise ValueError(f"checkpoint {args.checkpoint} exists; pass --resume to continue it or delete it")
    if args.checkpoint_every < 1:
        raise ValueError(f"--checkpoint-every must be a positive integer, got {args.checkpoint_every}")
    import numpy as np

    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # the loop reports NaN/inf itself
            records = train(config, checkpoint=args.checkpoint, checkpoint_every=args.checkpoint_every)
    except FinishedRunError as err:  # nothing to train: the finished checkpoint's records
        _log(f"evoscale: {err}; writing its records")
        records = read_checkpoint(args.checkpoint)["progress"].records
    if args.out:
        _write_out(args.out, pd.DataFrame(records).to_csv(index=False), args.checkpoint)
    last = records[-1]
    best = max(r["best_return"] for r in records)
    return {
        "method": config.method, "env": config.env, "n_params": last["n_params"], "seed": config.seed,
        "key": config.key(), "best_return": best,
        "test_return": None if math.isnan(last["test_return"]) else last["test_return"],
        "evals": last["evals"], "env_steps": last["env_steps"], "wall_s": round(last["wall_s"], 3),
    }


def _same(a: Path, b: Path) -> int:
    """``runs same``: 0 and "same" if the two CSVs' records agree (``runs.records_difference``), else
    1 and the first difference; an unreadable file is a ValueError."""
    import pandas as pd

    from .runs import records_difference
    from .store import current_names

    frames = []
    for path in (a, b):
        try:
            frames.append(current_names(pd.read_csv(path)))
        except (OSError, ValueError) as err:
            raise ValueError(f"run {path} cannot be read ({getattr(err, 'strerror', None) or err})") from None
    difference = records_difference(*frames)
    print(f"same: {a} and {b}" if difference is None else f"differ: {a} and {b}: {difference}")
    return 0 if difference is None else 1


def _write_out(out: Path, text: str, checkpoint: Path | None) -> None:
    """``text`` to ``out`` atomically; if that fails after the work (a full disk, a name too long),
    the records are kept beside the checkpoint or in the results folder and the error names them."""
    import tempfile

    from .runs import results_root
    from .store import atomic_write, rescue

    try:
        atomic_write(out, lambda f: f.write(text))
    except OSError as err:
        folders = [checkpoint.parent if checkpoint else None, results_root(), Path(tempfile.gettempdir())]
        kept = rescue(text.encode(), out.name, folders)
        raise ValueError(f"--out {out} could not be written ({err.strerror or err}); the trained records are "
                         + (f"kept in {kept}" if kept else "lost: no folder could take them")) from None


if __name__ == "__main__":
    sys.exit(main())
