"""rl-baselines3-zoo's PPO hyper-parameters for the book's tasks, and their translation to SB3.

``zoo_hyperparams(env_id, hyper)`` merges the zoo entry with overrides and checks every name;
``ppo_kwargs`` turns the merged entry into ``PPO(...)`` keyword arguments (``"lin_X"`` schedules
become ``LinearSchedule``). Used by ``evoscale.baselines.ppo``.
"""

from __future__ import annotations

import inspect

from stable_baselines3 import PPO
from torch import nn

from ..envs import get_spec

# Source: repository DLR-RM/rl-baselines3-zoo, file hyperparams/ppo.yml (checked against the copy at
# commit 208b6fdf3a9aa24de44b2e068c6e5f6a07d97fcc). "lin_X" means a learning rate / clip range that
# decays linearly from X to 0 over training (the zoo's ``linear_schedule``: X * progress_remaining).
# Values marked "SB3 default" are not in the zoo entry; they are the PPO defaults the zoo then gets,
# written out so the table is complete. n_timesteps is the zoo's budget (information only: the
# caller passes total_timesteps).
ZOO_HYPERPARAMS: dict[str, dict] = {
    # zoo entry "CartPole-v1" (marked "# Tuned" in the zoo)
    "CartPole-v1": dict(
        n_envs=8, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98, n_epochs=20, ent_coef=0.0,
        learning_rate="lin_0.001", clip_range="lin_0.2",
        policy_kwargs=None,  # SB3 default: 64-64 tanh, separate actor and critic
        normalize=False, n_timesteps=100_000,
    ),
    # zoo entry "LunarLander-v2" (the zoo has no LunarLander-v3 entry; v3 only fixed bugs in v2)
    "LunarLander-v3": dict(
        n_envs=16, n_steps=1024, batch_size=64, gae_lambda=0.98, gamma=0.999, n_epochs=4, ent_coef=0.01,
        learning_rate=3e-4,  # SB3 default
        clip_range=0.2,  # SB3 default
        policy_kwargs=None,  # SB3 default
        normalize=False, n_timesteps=1_000_000,
    ),
    # zoo entry "BipedalWalker-v3"
    "BipedalWalker-v3": dict(
        n_envs=32, n_steps=2048, batch_size=64, gae_lambda=0.95, gamma=0.999, n_epochs=10, ent_coef=0.0,
        learning_rate=3e-4, clip_range=0.18,
        policy_kwargs=None,  # SB3 default
        normalize=True, n_timesteps=5_000_000,
    ),
    # zoo entry "Humanoid-v4" (identical to the older "Humanoid-v3" entry; marked "# Tuned" there).
    # Unsure: tuned on v3/v4, whose observation has 376 entries; Humanoid-v5's has 348.
    "Humanoid-v5": dict(
        n_envs=1, n_steps=512, batch_size=256, gae_lambda=0.9, gamma=0.95, n_epochs=5,
        ent_coef=0.00238306, learning_rate=3.56987e-05, clip_range=0.3,
        max_grad_norm=2.0, vf_coef=0.431892,  # also in the zoo entry
        policy_kwargs=dict(
            log_std_init=-2, ortho_init=False, activation_fn=nn.ReLU,
            net_arch=dict(pi=[256, 256], vf=[256, 256]),
        ),
        normalize=True, n_timesteps=10_000_000,
    ),
    # zoo entry "atari" (used by the zoo for every Atari game; its benchmark: PongNoFrameskip-v4, 20.99
    # at 10M steps). The zoo's env_wrapper AtariWrapper + frame_stack 4 is replaced by the book's own
    # preprocessing, which is the same pipeline on v5 (``evoscale.envs``; ``evoscale.baselines.ppo._make_venv``
    # lists the differences): 84x84 grey, frame skip 4 with max-pooling, up to 30 no-ops, 4 stacked
    # frames, uint8[4, 84, 84] channel-first -- CnnPolicy (NatureCNN) scales by 1/255 itself.
    "ALE/Pong-v5": dict(
        policy="CnnPolicy", n_envs=8, n_steps=128, n_epochs=4, batch_size=256,
        learning_rate="lin_2.5e-4", clip_range="lin_0.1", vf_coef=0.5, ent_coef=0.01,
        policy_kwargs=None,  # SB3 default: NatureCNN (shared by actor and critic), 512 features
        normalize=False, n_timesteps=10_000_000,
    ),
    # Not a zoo entry: the zoo has no Pong-from-RAM setting. The "atari" entry above with MlpPolicy
    # (SB3 default 64-64 tanh, separate actor and critic) on the RAM bytes / 255.
    "ALE/Pong-ram-v5": dict(
        policy="MlpPolicy", n_envs=8, n_steps=128, n_epochs=4, batch_size=256,
        learning_rate="lin_2.5e-4", clip_range="lin_0.1", vf_coef=0.5, ent_coef=0.01,
        policy_kwargs=None,
        normalize=False, n_timesteps=10_000_000,
    ),
}
"""rl-baselines3-zoo's PPO settings per task (``policy``: SB3 policy class name, MlpPolicy if absent)."""

# The book's adaptation tasks (``envs.adapt``, chapter 7) have no zoo entry; they take the zoo's
# CartPole-v1 setting unchanged (its small discrete-action task).
ZOO_HYPERPARAMS.update({env: dict(ZOO_HYPERPARAMS["CartPole-v1"]) for env in ("ReversalBandit-v0", "CartPoleFlip-v1")})

POLICIES = ("MlpPolicy", "CnnPolicy")
_META = {"n_envs", "normalize", "n_timesteps", "policy", "net_arch"}
"""Zoo keys that are not PPO constructor arguments. ``net_arch`` (not a zoo key; a hyper-parameter of
ours): hidden widths, e.g. ``(64, 32)``, of both the actor and a critic of the same size, so PPO can
train the evolution strategies' network (``policy_kwargs={"net_arch": {"pi": [...], "vf": [...]}}``)."""
_SET_BY_TRAIN_PPO = {"env", "seed", "device", "verbose", "_init_setup_model"}

class LinearSchedule:
    """The zoo's ``lin_X``: ``X * progress_remaining``, i.e. X at the start and 0 at the end.

    A module-level class (not a closure), so a saved model reloads it by reference.
    """

    def __init__(self, initial: float):
        self.initial = float(initial)

    def __call__(self, progress_remaining: float) -> float:
        return progress_remaining * self.initial

    def __repr__(self) -> str:
        return f"lin_{self.initial:g}"


def zoo_hyperparams(env_id: str, hyper: dict | None = None, table: dict | None = None) -> dict:
    """The zoo's entry for ``env_id`` in ``table`` (default ``ZOO_HYPERPARAMS``; recurrent PPO passes
    its own) with ``hyper`` overriding individual entries (plain data)."""
    get_spec(env_id)  # unknown env -> ValueError naming the valid ones
    table = ZOO_HYPERPARAMS if table is None else table
    if env_id not in table:
        raise ValueError(
            f"no PPO hyper-parameters for {env_id!r}: the PPO baseline covers "
            f"{', '.join(table)}"
        )
    merged = {**table[env_id], **(hyper or {})}
    allowed = (set(inspect.signature(PPO.__init__).parameters) - {"self", "policy"} - _SET_BY_TRAIN_PPO) | _META
    unknown = sorted(set(merged) - allowed)
    if unknown:
        raise ValueError(f"unknown PPO hyper-parameter(s) {', '.join(map(repr, unknown))}; "
                         f"valid: {', '.join(sorted(allowed))}")
    policy = merged.get("policy", "MlpPolicy")  # not filled in: checkpoints compare the merged entry
    policies = POLICIES if table is ZOO_HYPERPARAMS else sorted({e["policy"] for e in table.values()})
    if policy not in policies:
        raise ValueError(f"policy must be one of {', '.join(policies)}, got {policy!r}")
    if policy == "CnnPolicy" and get_spec(env_id).network != "cnn":
        raise ValueError(f"policy 'CnnPolicy' needs image observations; {env_id} has flat ones (use MlpPolicy)")
    arch = merged.get("net_arch")
    if arch is not None and not (isinstance(arch, (list, tuple)) and arch and all(
            isinstance(w, int) and not isinstance(w, bool) and w > 0 for w in arch)):
        raise ValueError(f"net_arch must be a list of positive hidden widths like [64, 32], got {arch!r}")
    return merged


def _schedule(value):
    """``"lin_0.001"`` -> LinearSchedule(0.001); numbers stay constants (SB3 takes both)."""
    if isinstance(value, str):
        kind, _, x = value.partition("_")
        if kind != "lin":
            raise ValueError(f"unknown schedule {value!r}; only 'lin_X' (linear decay to 0) is supported")
        return LinearSchedule(float(x))
    return value


def ppo_kwargs(merged: dict) -> dict:
    kwargs = {k: v for k, v in merged.items() if k not in _META}
    for key in ("learning_rate", "clip_range", "clip_range_vf"):
        if key in kwargs and kwargs[key] is not None:
            kwargs[key] = _schedule(kwargs[key])
    if merged.get("net_arch") is not None:  # the actor and a critic of the same widths
        widths = [int(w) for w in merged["net_arch"]]
        kwargs["policy_kwargs"] = {**(kwargs.get("policy_kwargs") or {}), "net_arch": {"pi": widths, "vf": list(widths)}}
    if kwargs.get("policy_kwargs") is None:
        kwargs.pop("policy_kwargs", None)
    else:
        kwargs["policy_kwargs"] = dict(kwargs["policy_kwargs"])  # SB3 may mutate it
    return kwargs
