"""``python -m evoscale bench ...``: the benchmarks' command line (their parsers and what each runs),
beside ``cli``, which keeps ``train``, ``runs`` and ``campaign``. Each bench returns the JSON summary
``cli`` prints (and writes to ``--out``); bad input raises ValueError, which ``cli`` turns into its one line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def add_bench_parser(sub, parser_class) -> None:
    """The ``bench`` subcommand and its benchmarks, on ``cli``'s subparsers."""
    from .config import RunConfig

    d = RunConfig()
    b = sub.add_parser("bench", help="benchmarks; last line is JSON")
    bsub = b.add_subparsers(dest="what", required=True, parser_class=parser_class)
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
    pw = bsub.add_parser("ppo-widths", help="PPO's seconds per env step with wider networks (net_arch) relative to "
                                            "the zoo's network on the task, in one run (issue 39; the frontier's "
                                            "cost prior)")
    pw.add_argument("--env", default="LunarLander-v3")
    pw.add_argument("--net-archs", default="541,541/993,993",
                    help="'/'-separated networks, each comma-separated hidden widths (actor and critic alike)")
    pw.add_argument("--steps", type=int, default=None, help="env steps per timing (default: one rollout)")
    pw.add_argument("--rounds", type=int, default=2, help="interleaved rounds; medians reported")
    pw.add_argument("--out", type=Path, default=None, help="also write the JSON to this file (atomically)")
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


def run_bench(args, log) -> dict:
    """Run the benchmark ``args.what`` names; its JSON summary."""
    if args.what == "evaluator":
        from .bench.evaluator import bench_evaluator

        return bench_evaluator(args.env, args.hidden, args.popsize, args.seconds, args.backend, args.warmup_evals,
                               args.rounds, log=log)
    if args.what == "throughput":
        from .bench.throughput import bench_throughput
        from .config import parse_hidden

        methods = args.methods.split(",") if args.methods else None
        return bench_throughput(args.env, parse_hidden(args.hidden), args.popsize, args.budget_evals, methods,
                                args.raw_seconds, args.rounds, log=log)
    if args.what == "compiled":
        from .bench.compiled import bench_compiled

        return bench_compiled(args.tasks.split(","), args.num_envs, args.seconds, args.rounds, log=log)
    if args.what == "envpool":
        from .bench.compiled import bench_envpool_backend

        return bench_envpool_backend(episodes=args.episodes, speed_tasks=args.speed_tasks.split(","),
                                     popsize=args.popsize, seconds=args.seconds, rounds=args.rounds, log=log)
    if args.what == "mjx":
        if "jax" not in sys.modules:  # XLA reads its flags when JAX first loads: one thread
            from .bench.mjx import ONE_THREAD_XLA

            os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {ONE_THREAD_XLA}".strip()
        from .bench.mjx import bench_mjx

        return bench_mjx(tuple(int(b) for b in args.batches.split(",")), args.seconds, log=log)
    if args.what == "jax":
        from .bench.gpu import bench_jax, jax_summary

        popsizes = tuple(int(x) for x in args.popsizes.split(","))
        df = bench_jax(args.env, popsizes, args.seconds, args.rounds, args.warmup_evals, args.dtype, log=log)
        return {"machine": df["machine"].iloc[0], "env": args.env, "dtype": args.dtype, "rounds": args.rounds,
                "per_popsize": jax_summary(df).to_dict("records")}
    if args.what == "costs":
        from .experiments.backprop_measure import measure_and_store

        return measure_and_store(args.profile, args.tasks.split(","), log=log, generations=args.generations,
                                 ppo_rollouts=args.ppo_rollouts, es_speedup_only=args.es_speedup_only)
    if args.what == "ppo-widths":
        from .bench.ppo_widths import bench_ppo_widths
        from .config import parse_hidden

        archs = [parse_hidden(a) for a in args.net_archs.split("/") if a]
        return bench_ppo_widths(args.env, archs, args.steps, args.rounds, log=log)
    if args.what == "ppo-costs":
        from .experiments.backprop_measure import measure_ppo_timings

        return measure_ppo_timings(args.profile, args.tasks.split(","), args.steps, args.repeats, log=log)
    if args.what == "overhead":
        from .bench.overhead import bench_overhead

        sizes = [int(x) for x in args.sizes.split(",")]
        methods = args.methods.split(",") if args.methods else None
        return bench_overhead(sizes, args.popsize, args.generations, methods, log=log)
    if args.what == "lowrank":
        from .bench.lowrank import bench_lowrank

        return bench_lowrank(_ints(args.sizes, "--sizes"), args.popsize, args.rank, args.repeats,
                             args.obs_dim, args.act_dim, log=log)
    if args.what == "ray-messages":
        from .bench.ray_messages import bench_ray_messages

        return bench_ray_messages(_ints(args.payloads, "--payloads"), args.rounds, args.calls, args.env,
                                  args.popsize, args.budget_evals, args.migrate_every, args.island_rounds,
                                  log=log)
    if args.what == "messages":
        from .bench.messages import bench_messages

        return bench_messages(_ints(args.sizes, "--sizes"), args.methods.split(","), args.popsize, args.workers,
                              args.rank, args.rounds, args.bytes_only, log=log)
    if args.what == "ask-tell":
        from .bench.ask_tell import bench_ask_tell

        given = {k: getattr(args, k) for k in ("rounds", "warmup", "generations", "popsize", "env", "core")}
        return bench_ask_tell(**{k: v for k, v in given.items() if v is not None}, log=log)
    if args.what == "active":
        from .bench.active import bench_active

        return bench_active(_ints(args.dims, "--dims"), args.seeds, log=log)
    from .bench.methods import bench_methods  # "methods", the last choice the parser allows

    methods = args.methods.split(",") if args.methods else None
    return bench_methods(args.env, args.seeds, args.budget_evals, args.popsize, methods, args.processes, log=log)


def _ints(text: str, name: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",")]
    except ValueError:
        raise ValueError(f"{name} must be comma-separated integers like '10,40', got {text!r}") from None
