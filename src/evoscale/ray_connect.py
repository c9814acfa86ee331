"""Joining a Ray cluster without hanging.

``ray.init(address="host:port")`` retries an address where nothing listens for ever. ``init_ray``
first waits at most ``EVOSCALE_RAY_CONNECT_TIMEOUT`` seconds (default 30) for the address to accept
a TCP connection, then fails with ``RayConnectError`` naming it. Addresses: ``None`` (start a local
cluster), ``"auto"`` (the cluster ``ray start --head`` started on this machine; Ray fails at once if
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


def init_ray(address: str | None = None, **kwargs) -> None:
    """``ray.init(address=address, **kwargs)``, failing after the connect timeout instead of hanging."""
    import ray

    if address is not None:
        wait_for_cluster(address)
    ray.init(address=address, **kwargs)
