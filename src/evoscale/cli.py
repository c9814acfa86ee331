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
import os
import sys
from pathlib import Path


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

    b = sub.add_parser("bench", help="benchmarks; last line is JSON")
    bsub = b.add_subparsers(dest="what", required=True, parser_class=_Parser)
    e = bsub.add_parser("evaluator", help="useful env steps/s of the evaluator vs one raw env")
    e.add_argument("--env", default=d.env, help="a task of evoscale.envs.REGISTRY (Atari: ALE/Pong-v5, ALE/Pong-ram-v5)")
    e.add_argument("--hidden", default=None, help="hidden widths (default: the task's default network)")
    e.add_argument("--popsize", type=int, default=d.popsize)
    e.add_argument("--seconds", type=float, default=10.0,
                   help="measuring time for each side (raw, unwrapped, evaluator, serial, replay), split over --rounds")
    e.add_argument("--rounds", type=int, default=3,
                   help="interleaved rounds; the JSON reports medians over them")
    e.add_argument("--backend", default=d.backend)
    e.add_argument("--warmup-evals", type=int, default=None,
                   help="episodes of the task's default method trained first so episode lengths are as "
                        "uneven as in training (default 3000; 0 for Atari: a random population)")
    e.add_argument("--out", type=Path, default=None, help="also write the JSON to this file (atomically)")
    jx = bsub.add_parser("jax", help="the JAX backend (simulator compiled with the policy) vs the lockstep "
                                     "evaluator: useful env steps/s on one core, interleaved rounds")
    jx.add_argument("--env", default="CartPole-v1", help="a task the JAX backend ports (CartPole-v1)")
    jx.add_argument("--popsizes", default="16,64,256,1024,4096", help="comma-separated population sizes")
    jx.add_argument("--seconds", type=float, default=1.0, help="measuring time per side, size and round")
    jx.add_argument("--rounds", type=int, default=3)
    jx.add_argument("--warmup-evals", type=int, default=3000, help="CMA-ES episodes before timing (0: random weights)")
    jx.add_argument("--dtype", default="float64", help="float64 (the lockstep's episodes) | float32")
    cs = bsub.add_parser("compiled", help="a compiled simulator (EnvPool, C++) vs one gymnasium env: steps/s on "
                                          "one thread, interleaved rounds (needs `make bench-compiled`'s EnvPool)")
    cs.add_argument("--tasks", default="CartPole-v1,LunarLander-v3,BipedalWalker-v3,Humanoid-v5")
    cs.add_argument("--num-envs", type=int, default=64, help="environments in the EnvPool pool")
    cs.add_argument("--seconds", type=float, default=3.0, help="measuring time per side, task and round")
    cs.add_argument("--rounds", type=int, default=3)
    cs.add_argument("--out", type=Path, default=None, help="also write the JSON to this file (atomically)")
    ep = bsub.add_parser("envpool", help="the EnvPool evaluator backend: its returns against Gymnasium's "
                                         "(equivalence checks) and its useful steps/s against the lockstep evaluator")
    ep.add_argument("--episodes", type=int, default=300, help="episodes a side per equivalence check")
    ep.add_argument("--speed-tasks", default="CartPole-v1,LunarLander-v3")
    ep.add_argument("--popsize", type=int, default=64)
    ep.add_argument("--seconds", type=float, default=3.0, help="measuring time per backend, task and round")
    ep.add_argument("--rounds", type=int, default=3)
    ep.add_argument("--out", type=Path, default=None, help="also write the JSON to this file (atomically)")
    mj = bsub.add_parser("mjx", help="MJX (MuJoCo in JAX) vs MuJoCo's C on Gymnasium's humanoid: env steps/s on "
                                     "one core per batch size (needs `make bench-mjx`'s mujoco-mjx)")
    mj.add_argument("--batches", default="1,16,256,1024", help="comma-separated batch sizes (each compiles anew)")
    mj.add_argument("--seconds", type=float, default=5.0, help="measuring time per side and batch size")
    mj.add_argument("--out", type=Path, default=None, help="also write the JSON to this file (atomically)")
    mth = bsub.add_parser("methods", help="episodes to the solved threshold per method (IQM over seeds)")
    mth.add_argument("--env", default="CartPole-v1")
    mth.add_argument("--seeds", type=int, default=5)
    mth.add_argument("--budget-evals", type=int, default=10_000)
    mth.add_argument("--popsize", type=int, default=16)
    mth.add_argument("--methods", default=None, help="comma-separated (default: all)")
    mth.add_argument("--processes", type=int, default=None, help="parallel runs (default: all cores)")
    tp = bsub.add_parser("throughput", help="training env steps/s per method / one raw env's steps/s (one run)")
    tp.add_argument("--env", default="LunarLander-v3")
    tp.add_argument("--hidden", default="64,32")
    tp.add_argument("--popsize", type=int, default=64)
    tp.add_argument("--budget-evals", type=int, default=6_400)
    tp.add_argument("--methods", default=None, help="comma-separated (default: cmaes,torch_cmaes,sepcmaes,openai_es,ga)")
    tp.add_argument("--raw-seconds", type=float, default=5.0, help="raw env measurement before each method")
    tp.add_argument("--rounds", type=int, default=1, help="interleaved rounds; medians reported")
    tp.add_argument("--out", type=Path, default=None, help="also write the JSON to this file (atomically)")
    co = bsub.add_parser("costs", help="chapter 6's idle-core unit costs (ES and PPO) and PPO's process speedup")
    co.add_argument("--profile", default="book", help="where the tables go: results/<profile>/backprop/")
    co.add_argument("--tasks", default="CartPole-v1,LunarLander-v3", help="comma-separated tasks of chapter 6's profile")
    co.add_argument("--generations", type=int, default=20, help="ES generations timed per method")
    co.add_argument("--ppo-rollouts", type=int, default=5, help="PPO rollouts + updates timed")
    co.add_argument("--es-speedup-only", action="store_true",
                    help="only the Ray speedups of the tasks' ES methods not measured yet (keeps the cost tables)")
    pc = bsub.add_parser("ppo-costs", help="chapter 6's PPO cost model: forward, one-process and worker-process "
                                           "steps on 1 and 2 cores, the update on 1 and 2 threads (idle machine)")
    pc.add_argument("--profile", default="book", help="where the table goes: results/<profile>/backprop/ppo-costs.csv")
    pc.add_argument("--tasks", default="CartPole-v1,LunarLander-v3", help="comma-separated tasks")
    pc.add_argument("--steps", type=int, default=256, help="vectorised steps per rollout timing")
    pc.add_argument("--repeats", type=int, default=5, help="timings per rollout part (updates: 3)")
    ov = bsub.add_parser("overhead", help="optimizer time per generation / LunarLander evaluation time")
    ov.add_argument("--sizes", default="2788,9668", help="parameter counts (2788, 9668)")
    ov.add_argument("--popsize", type=int, default=64)
    ov.add_argument("--generations", type=int, default=5)
    ov.add_argument("--methods", default=None, help="comma-separated (default: all)")

    ac = bsub.add_parser("active", help="torch CMA-ES with and without active CMA vs pycma: evaluations to "
                                        "f < 1e-8 on elli and tablet (median over seeds; counts, not seconds)")
    ac.add_argument("--dims", default="10,40", help="comma-separated dimensions")
    ac.add_argument("--seeds", type=int, default=10)
    ac.add_argument("--out", type=Path, default=None, help="also write the JSON to this file (atomically)")

    lr = bsub.add_parser("lowrank", help="one forward step of a population: full-rank perturbations, low-rank "
                                         "(lowrank_es) and batch inference of the centre, MLPs of ~100K-10M "
                                         "parameters, one thread (issue 39)")
    lr.add_argument("--sizes", default="100000,1000000,3000000,10000000",
                    help="comma-separated target parameter counts (two equal hidden layers sized to each)")
    lr.add_argument("--popsize", type=int, default=64)
    lr.add_argument("--rank", type=int, default=1, help="the low-rank perturbations' rank r")
    lr.add_argument("--repeats", type=int, default=5, help="interleaved rounds; medians reported")
    lr.add_argument("--obs-dim", type=int, default=24, help="the MLP's input size")
    lr.add_argument("--act-dim", type=int, default=4, help="the MLP's output size")
    lr.add_argument("--out", type=Path, default=None, help="also write the JSON to this file (atomically)")

    rm = bsub.add_parser("ray-messages", help="a no-op Ray actor's round trip at payloads of 16 B to a population's "
                                              "parameters, and the island model on 2 Ray workers in its paced, "
                                              "sync and async modes (issue 41; idle machine)")
    rm.add_argument("--payloads", default=",".join(str(b) for b in (16, 256, 4096, 65536, 64 * 2788 * 8)),
                    help="comma-separated payload sizes in bytes")
    rm.add_argument("--rounds", type=int, default=5, help="interleaved rounds; medians reported")
    rm.add_argument("--calls", type=int, default=200, help="round trips per size and round")
    rm.add_argument("--env", default="LunarLander-v3", help="the islands' task")
    rm.add_argument("--popsize", type=int, default=32, help="each island's population")
    rm.add_argument("--budget-evals", type=int, default=2560, help="evaluations per island run, both islands")
    rm.add_argument("--migrate-every", type=int, default=10)
    rm.add_argument("--island-rounds", type=int, default=3, help="interleaved island runs per mode; medians reported")
    rm.add_argument("--out", type=Path, default=None, help="also write the JSON to this file (atomically)")

    ms = bsub.add_parser("messages", help="seed-only messages vs parameter vectors on Ray: bytes per generation "
                                          "and 2-worker efficiency at ~100K and 1M parameters (issue 39; idle machine)")
    ms.add_argument("--sizes", default="100000,1000000", help="comma-separated target parameter counts")
    ms.add_argument("--methods", default="openai_es,lowrank_es", help="comma-separated: openai_es, lowrank_es")
    ms.add_argument("--popsize", type=int, default=64)
    ms.add_argument("--workers", type=int, default=2)
    ms.add_argument("--rank", type=int, default=1, help="the low-rank ES's rank")
    ms.add_argument("--rounds", type=int, default=3, help="interleaved timed generations; medians reported")
    ms.add_argument("--bytes-only", action="store_true", help="count the bytes, time nothing")
    ms.add_argument("--out", type=Path, default=None, help="also write the JSON to this file (atomically)")

    at = bsub.add_parser("ask-tell", help="pycma's ask + tell at LunarLander's 2,788 parameters: chapter 1's and "
                                          "chapter 4's procedures and two variants between them, alternately on "
                                          "one pinned core (issue 42; idle machine, ~5 min)")
    at.add_argument("--rounds", type=int, default=None, help="interleaved rounds, the variants' order rotating "
                                                             "(default 6)")
    at.add_argument("--warmup", type=int, default=None, help="training generations before chapter 4's window "
                                                             "(default: chapter 4's)")
    at.add_argument("--generations", type=int, default=None, help="chapter 1's timed generations per measurement "
                                                                  "(default: chapter 1's)")
    at.add_argument("--popsize", type=int, default=None, help="(default: the chapters' 64)")
    at.add_argument("--env", default=None, help="the task, its registry network setting n (default: LunarLander-v3)")
    at.add_argument("--core", type=int, default=None, help="the core to pin to (default: the last allowed)")
    at.add_argument("--out", type=Path, default=None, help="also write the JSON to this file (atomically)")

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
        elif args.what == "evaluator":
            from .bench.evaluator import bench_evaluator

            summary = bench_evaluator(
                args.env, args.hidden, args.popsize, args.seconds, args.backend, args.warmup_evals, args.rounds,
                log=_log,
            )
        elif args.what == "throughput":
            from .bench.throughput import bench_throughput
            from .config import parse_hidden

            methods = args.methods.split(",") if args.methods else None
            summary = bench_throughput(args.env, parse_hidden(args.hidden), args.popsize, args.budget_evals, methods,
                                       args.raw_seconds, args.rounds, log=_log)
        elif args.what == "compiled":
            from .bench.compiled import bench_compiled

            summary = bench_compiled(args.tasks.split(","), args.num_envs, args.seconds, args.rounds, log=_log)
        elif args.what == "envpool":
            from .bench.compiled import bench_envpool_backend

            summary = bench_envpool_backend(episodes=args.episodes, speed_tasks=args.speed_tasks.split(","),
                                            popsize=args.popsize, seconds=args.seconds, rounds=args.rounds, log=_log)
        elif args.what == "mjx":
            if "jax" not in sys.modules:  # XLA reads its flags when JAX first loads: one thread
                from .bench.mjx import ONE_THREAD_XLA

                os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {ONE_THREAD_XLA}".strip()
            from .bench.mjx import bench_mjx

            summary = bench_mjx(tuple(int(b) for b in args.batches.split(",")), args.seconds, log=_log)
        elif args.what == "jax":
            from .bench.gpu import bench_jax, jax_summary

            popsizes = tuple(int(x) for x in args.popsizes.split(","))
            df = bench_jax(args.env, popsizes, args.seconds, args.rounds, args.warmup_evals, args.dtype, log=_log)
            summary = {"machine": df["machine"].iloc[0], "env": args.env, "dtype": args.dtype, "rounds": args.rounds,
                       "per_popsize": jax_summary(df).to_dict("records")}
        elif args.what == "costs":
            from .experiments.backprop_measure import measure_and_store

            summary = measure_and_store(args.profile, args.tasks.split(","), log=_log, generations=args.generations,
                                        ppo_rollouts=args.ppo_rollouts, es_speedup_only=args.es_speedup_only)
        elif args.what == "ppo-costs":
            from .experiments.backprop_measure import measure_ppo_timings

            summary = measure_ppo_timings(args.profile, args.tasks.split(","), args.steps, args.repeats, log=_log)
        elif args.what == "overhead":
            from .bench.overhead import bench_overhead

            sizes = [int(x) for x in args.sizes.split(",")]
            methods = args.methods.split(",") if args.methods else None
            summary = bench_overhead(sizes, args.popsize, args.generations, methods, log=_log)
        elif args.what == "lowrank":
            from .bench.lowrank import bench_lowrank

            summary = bench_lowrank(_ints(args.sizes, "--sizes"), args.popsize, args.rank, args.repeats,
                                    args.obs_dim, args.act_dim, log=_log)
        elif args.what == "ray-messages":
            from .bench.ray_messages import bench_ray_messages

            summary = bench_ray_messages(_ints(args.payloads, "--payloads"), args.rounds, args.calls, args.env,
                                         args.popsize, args.budget_evals, args.migrate_every, args.island_rounds,
                                         log=_log)
        elif args.what == "messages":
            from .bench.messages import bench_messages

            summary = bench_messages(_ints(args.sizes, "--sizes"), args.methods.split(","), args.popsize, args.workers,
                                     args.rank, args.rounds, args.bytes_only, log=_log)
        elif args.what == "ask-tell":
            from .bench.ask_tell import bench_ask_tell

            given = {k: getattr(args, k) for k in ("rounds", "warmup", "generations", "popsize", "env", "core")}
            summary = bench_ask_tell(**{k: v for k, v in given.items() if v is not None}, log=_log)
        elif args.what == "active":
            from .bench.active import bench_active

            summary = bench_active(_ints(args.dims, "--dims"), args.seeds, log=_log)
        else:
            from .bench.methods import bench_methods

            methods = args.methods.split(",") if args.methods else None
            summary = bench_methods(args.env, args.seeds, args.budget_evals, args.popsize, methods,
                                    args.processes, log=_log)
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


def _ints(text: str, name: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",")]
    except ValueError:
        raise ValueError(f"{name} must be comma-separated integers like '10,40', got {text!r}") from None


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
