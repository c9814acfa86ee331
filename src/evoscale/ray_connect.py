"""Joining a Ray cluster without hanging.

``ray.init(address="host:port")`` retries an address where nothing listens for ever. ``init_ray``
first waits at most ``EVOSCALE_RAY_CONNECT_TIMEOUT`` seconds (default 30) for the address to accept
a TCP connection, then fails with ``RayConnectError`` naming it. Addresses: ``None`` or ``"local"``
(start a new local instance, never an existing cluster), ``"auto"`` (the cluster ``ray start --head`` started on this machine; Ray fails at once if
there is none) or ``"host:port"``, a head node's GCS address (``ray start --head`` prints it; port
6379 by default). Ray Client addresses (``ray://host:10001``) need the ``ray[client]`` extra, which
this project does not install.
"""

from __future__ import annotations

import os
import socket
import time

DEFAULT_TIMEOUT_S = 30.0


class RayConnectError(ConnectionError):
    """No Ray cluster answered at the given address in time."""


def connect_timeout() -> float:
    """Seconds to wait for a cluster: ``$EVOSCALE_RAY_CONNECT_TIMEOUT``, default 30."""
    text = os.environ.get("EVOSCALE_RAY_CONNECT_TIMEOUT", "").strip()
    try:
        value = float(text) if text else DEFAULT_TIMEOUT_S
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise ValueError(f"EVOSCALE_RAY_CONNECT_TIMEOUT must be a positive number of seconds, got {text!r}")
    return value


def wait_for_cluster(address: str, timeout_s: float | None = None) -> None:
    """Return once ``host:port`` accepts a TCP connection; ``RayConnectError`` after ``timeout_s``.
    Other addresses ("auto") are Ray's to resolve."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return
    timeout_s = connect_timeout() if timeout_s is None else timeout_s
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection((host, int(port)), timeout=min(5.0, timeout_s)).close()
            return
        except OSError as err:
            if time.monotonic() >= deadline:
                raise RayConnectError(
                    f"no Ray cluster answers at ray_address {address!r} ({err.strerror or err}, tried for "
                    f"{timeout_s:g} s; EVOSCALE_RAY_CONNECT_TIMEOUT sets how long): start one there with "
                    f"'ray start --head', or pass its GCS address host:port") from None
            time.sleep(0.25)


LOCAL = "local"
"""Ray's address for a new local instance, whatever clusters this machine has."""


def init_ray(address: str | None = None, **kwargs) -> None:
    """Start or join Ray, failing after the connect timeout instead of hanging.

    ``address`` None (or "local"): always a *new local* instance (``ray.init(address="local")``), so a
    cluster that ``ray start`` left on this machine (running, or a stale address file after a crash)
    or a ``RAY_ADDRESS`` in the environment is never joined by accident; ``kwargs`` may carry local
    resources (``num_cpus``). Any other address names a cluster to join; it takes no local resource
    arguments (Ray refuses them), and passing some is a ValueError naming them."""
    import ray

    if address is None or address == LOCAL:
        ray.init(address=LOCAL, **kwargs)
        return
    local_only = sorted(k for k in ("num_cpus", "num_gpus", "resources", "object_store_memory") if k in kwargs)
    if local_only:
        raise ValueError(f"joining the Ray cluster at {address!r} takes no local resources; "
                         f"drop {', '.join(local_only)}")
    wait_for_cluster(address)
    _token_auth_like_auto()
    ray.init(address=address, **kwargs)


def _token_auth_like_auto() -> None:
    """Join a named cluster with the token authentication that ``address="auto"`` would use: Ray
    (2.5x) enables it for "auto" when this machine holds a token (``~/.ray/auth_token``) and
    ``RAY_AUTH_MODE`` is unset, but not for an explicit address, whose join then fails with
    "InvalidAuthToken" against a cluster that ``ray start`` began with a token."""
    try:
        from ray._private.authentication.authentication_token_setup import (
            maybe_enable_token_auth_if_token_available)
    except ImportError:  # a Ray without token authentication
        return
    maybe_enable_token_auth_if_token_available(warn_if_disabled=False)
