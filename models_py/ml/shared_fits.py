"""Fits shared between the ML models of one dbt process.

Churn and LTV fit some of the same things on the same rows: the BG/NBD and
Gamma-Gamma models of each training snapshot, and the XGBoost spend model
(churn prices its contact economics with it, LTV validates it). dbt runs them
in one process, often at once on its two threads: the second caller waits for
the first fit and reuses it. A fit is keyed by the exact bytes of its inputs,
in row order (an optimiser's sums depend on it), and by its settings.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


def fit_key(*parts: Any) -> str:
    """A digest of arrays (their dtype, shape and bytes) and plain values (their repr)."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            array = np.ascontiguousarray(part)
            digest.update(f"{array.dtype}{array.shape}".encode())
            digest.update(array.tobytes())
        else:
            digest.update(repr(part).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


class SharedFits:
    """At most ``size`` fits by key, least recently added evicted first."""

    def __init__(self, size: int = 32) -> None:
        self._size = size
        self._fits: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def get(self, key: str, fit: Callable[[], T]) -> T:
        """The fit stored under ``key``, running ``fit()`` first if there is none (once, whatever the threads)."""
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._fits:
                    return self._fits[key]  # type: ignore[no-any-return]
            fitted = fit()
            with self._lock:
                self._fits[key] = fitted
                while len(self._fits) > self._size:
                    evicted, _ = self._fits.popitem(last=False)
                    self._key_locks.pop(evicted, None)
        return fitted


SHARED_FITS = SharedFits()
