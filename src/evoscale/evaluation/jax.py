"""Population evaluation compiled together with the simulator: one XLA program per generation.

``JaxEvaluator.evaluate(population, seeds)`` keeps the contract of ``evaluation.py``: episode
(individual p, episode e) starts where the task's Gymnasium environment starts after
``reset(seed=seeds[p, e])`` and runs to termination or the task's cap. What moves is the loop: the
environment is gymnax's JAX port of the task (Lange 2022), and its step, the policy's
forward and every episode's bookkeeping are one ``jax.jit``-compiled program -- a
``lax.while_loop`` over time of a ``vmap`` over all episodes -- so Python runs once per generation,
not once per step.

Masking: an episode that has ended keeps its last state, earns no reward and no length; the loop
stops when the last episode ends (or at the cap). A generation therefore computes
``episodes x longest episode`` env steps, of which ``sum(lengths)`` are useful
(``last_computed_steps`` counts the former).

Semantics. ``dtype="float64"`` (default): the physics in float64 like Gymnasium's, the observation
rounded to float32 as Gymnasium returns it, the forward in float64 like ``MLPPolicy``; the same
episodes as the lockstep evaluator's up to rounding -- XLA's ``tanh`` differs from glibc's by an ulp
in about half the values and XLA fuses ``a * b + c`` into one FMA, which can tip the last steps of a
long episode hovering at a termination boundary (1 of 48 in ``tests/test_evaluation_jax.py``).
``dtype="float32"``: the usual accelerator setting, the same task but not the same episodes.

Start states. ``resets="gymnasium"`` (default): each episode's start state is what Gymnasium's own
``reset(seed)`` sets, computed on the host, so the episodes are the lockstep evaluator's.
``resets="jax"``: gymnax's ``reset_env`` from ``jax.random.key(seed)`` on the device (the same
distribution, no host loop: what 65,536 episodes on a GPU need).

``auto_reset_rollout`` is the bare gymnax loop the backend is compared with: ``env.step`` with
gymnax's automatic resets, every computed step counted, no masking.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from ..envs import get_spec, make_env
from .seeds import EvalResult, reset
from ..policies import layer_sizes, param_count


@dataclass(frozen=True)
class JaxTask:
    gymnax_id: str
    state_fields: tuple[str, ...]
    """gymnax ``EnvState`` fields, in the order of the Gymnasium env's ``state`` vector."""


JAX_TASKS = {"CartPole-v1": JaxTask("CartPole-v1", ("x", "x_dot", "theta", "theta_dot"))}
"""Tasks of ``envs.REGISTRY`` that gymnax ports. Its other classic tasks (Acrobot, MountainCar,
Pendulum) are not tasks of this book; LunarLander, BipedalWalker, MuJoCo and Atari have no gymnax port."""

DTYPES = ("float64", "float32")
RESETS = ("gymnasium", "jax")


def jax_device(device: str):
    """The JAX device for ``"cpu"`` or ``"cuda[:i]"``; no silent fallback to the CPU."""
    import jax

    if device == "cpu":
        return jax.devices("cpu")[0]
    if not (isinstance(device, str) and device.startswith("cuda")):
        raise ValueError(f"device must be 'cpu' or 'cuda[:i]', got {device!r}")
    index = int(device.split(":")[1]) if ":" in device else 0
    try:
        gpus = jax.devices("gpu")
    except RuntimeError:
        gpus = []
    if index >= len(gpus):
        raise ValueError(f"device={device!r} requested but JAX sees {len(gpus)} GPU(s) (a CUDA build of "
                         f"jax, e.g. 'jax[cuda12]', and a GPU are needed)")
    return gpus[index]


def _forward(sizes, discrete: bool, dtype, theta, obs):
    """One individual's MLP (``policies.MLPPolicy`` layout and maths) on one observation."""
    import jax.numpy as jnp

    h, k = obs.astype(jnp.float32).astype(dtype), 0  # Gymnasium hands the policy float32 observations
    for j, (i, o) in enumerate(sizes):
        W, b = theta[k : k + i * o].reshape(i, o), theta[k + i * o : k + i * o + o]
        h, k = h @ W + b, k + i * o + o
        if j < len(sizes) - 1:
            h = jnp.tanh(h)
    if not discrete:
        raise ValueError("the JAX backend supports discrete actions only")
    return jnp.argmax(h)


def masked_rollout(env, env_params, forward, cap: int):
    """``run(thetas[B, n], state[B], seeds[B]) -> (returns[B], lengths[B], iterations)``: one episode
    per row (its env's random key from its seed), finished rows masked, stops when every row has
    ended or after ``cap`` steps."""
    import jax
    import jax.numpy as jnp

    def one_step(theta, state, key, alive):
        action = forward(theta, env.get_obs(state))
        _, new, reward, terminated, _ = env.step_env(key, state, action, env_params)
        new = jax.tree.map(lambda a, b: jnp.where(alive, a, b), new, state)  # a finished episode stays put
        return new, jnp.where(alive, reward, 0.0), terminated

    step = jax.vmap(one_step)

    def run(thetas, state, seeds):
        keys = jax.vmap(jax.random.key)(seeds)

        def body(carry):
            t, state, alive, ret, length = carry
            state, reward, terminated = step(thetas, state, jax.vmap(jax.random.fold_in, (0, None))(keys, t), alive)
            length = length + alive
            return t + 1, state, alive & ~terminated & (length < cap), ret + reward, length

        B = thetas.shape[0]
        carry = (0, state, jnp.ones(B, bool), jnp.zeros(B, thetas.dtype), jnp.zeros(B, jnp.int32))
        t, _, _, ret, length = jax.lax.while_loop(lambda c: (c[0] < cap) & c[2].any(), body, carry)
        return ret, length, t

    return jax.jit(run)


def auto_reset_rollout(env, env_params, forward, steps: int):
    """``run(thetas[B, n], seeds[B]) -> total reward``: gymnax's own loop, ``steps`` steps of every
    row with its automatic resets (every computed step counts) -- the reference for the masked one."""
    import jax

    def one_step(carry, _):
        theta, state, key = carry
        key, k = jax.random.split(key)
        _, state, reward, _, _, _ = env.step(k, state, forward(theta, env.get_obs(state)), env_params)
        return (theta, state, key), reward

    def run(thetas, seeds):
        keys = jax.vmap(jax.random.key)(seeds)
        state = jax.vmap(env.reset_env, (0, None))(keys, env_params)[1]
        _, rewards = jax.lax.scan(jax.vmap(one_step), (thetas, state, keys), None, length=steps)
        return rewards.sum()

    return jax.jit(run)


class JaxEvaluator:
    """gymnax task + MLP policy in one jit-compiled, vmap-ed loop (module docstring)."""

    def __init__(self, env_id: str, hidden: tuple[int, ...], device: str = "cpu", policy: str = "mlp",
                 dtype: str = "float64", resets: str = "gymnasium", **policy_kw):
        import gymnax
        import jax

        if env_id not in JAX_TASKS:
            get_spec(env_id)  # an unknown id gets the registry's error
            raise ValueError(f"the JAX backend has no port of {env_id!r}; it runs: {', '.join(JAX_TASKS)}")
        if policy != "mlp" or policy_kw:
            raise ValueError(f"the JAX backend runs the 'mlp' policy only, got {policy!r} {policy_kw or ''}")
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
        if resets not in RESETS:
            raise ValueError(f"resets must be one of {', '.join(RESETS)}, got {resets!r}")
        self.spec, self.task, self.dtype, self.resets = get_spec(env_id), JAX_TASKS[env_id], dtype, resets
        self.hidden = tuple(hidden)
        self.n_params = param_count(self.spec.obs_dim, self.hidden, self.spec.act_dim)
        self.device = jax_device(device)
        self.env, self.env_params = gymnax.make(self.task.gymnax_id)
        if self.env_params.max_steps_in_episode != self.spec.max_steps:
            raise ValueError(f"gymnax caps {env_id} at {self.env_params.max_steps_in_episode} steps, "
                             f"the registry at {self.spec.max_steps}")
        self.forward = partial(_forward, layer_sizes(self.spec.obs_dim, self.hidden, self.spec.act_dim),
                               self.spec.discrete, np.dtype(dtype))
        with self._x64():
            self._run = masked_rollout(self.env, self.env_params, self.forward, self.spec.max_steps)
            self._device_reset = jax.jit(lambda seeds: jax.vmap(self.env.reset_env, (0, None))(
                jax.vmap(jax.random.key)(seeds), self.env_params)[1])
        self._gym_env = None
        self.last_computed_steps = 0

    def _x64(self):
        import jax

        return jax.enable_x64(self.dtype == "float64")

    def start_states(self, seeds: np.ndarray):
        """gymnax ``EnvState`` of every job (``resets`` in the module docstring)."""
        import jax
        import jax.numpy as jnp

        if self.resets == "jax":
            return self._device_reset(jax.device_put(np.asarray(seeds, np.uint32), self.device))
        env = self._gym_env = self._gym_env or make_env(self.spec.env_id)
        start = np.empty((len(seeds), len(self.task.state_fields)))
        for j, seed in enumerate(seeds):
            reset(env, seed)  # evaluation.reset: the lockstep evaluator's episode start
            start[j] = env.state
        fields = {f: jnp.asarray(start[:, i], self.dtype) for i, f in enumerate(self.task.state_fields)}
        state = _state_class(self.env)(**fields, time=jnp.zeros(len(seeds), jnp.int32))
        return jax.device_put(state, self.device)

    def evaluate(self, population: np.ndarray, seeds: np.ndarray) -> EvalResult:
        import jax
        import jax.numpy as jnp

        population = np.atleast_2d(np.asarray(population, dtype=np.float64))
        seeds = np.asarray(seeds)
        if population.ndim != 2 or population.shape[1] != self.n_params:
            raise ValueError(f"expected population [P, {self.n_params}], got shape {population.shape}")
        if seeds.ndim != 2 or seeds.shape[0] != population.shape[0]:
            raise ValueError(f"seeds must have shape [{population.shape[0]}, episodes], got {seeds.shape}")
        P, E = seeds.shape
        jobs = seeds.ravel()
        with self._x64():
            thetas = jax.device_put(jnp.asarray(np.repeat(population, E, axis=0), self.dtype), self.device)
            seeds_ = jax.device_put(np.asarray(jobs, np.uint32), self.device)
            returns, lengths, t = self._run(thetas, self.start_states(jobs), seeds_)
            returns, lengths = np.asarray(returns, np.float64), np.asarray(lengths, np.int64)
        self.last_computed_steps = int(t) * len(jobs)
        return EvalResult(returns.reshape(P, E), lengths.reshape(P, E))


def _state_class(env):
    """The ``EnvState`` dataclass of a gymnax env (the type its ``reset_env`` returns)."""
    import importlib

    return importlib.import_module(type(env).__module__).EnvState
