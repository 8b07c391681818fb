"""The native thread pools (BLAS, OpenMP) a Python model computes with inside a build.

dbt runs several models at once, each on a thread of one process, and NumPy's BLAS and
scikit-learn's OpenMP (k-means) start a thread per core by default: two models on two
cores then ran four compute threads, which spin-wait for a core the other model holds.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def limit_native_threads(threads: int) -> None:
    """Cap the BLAS and OpenMP pools loaded in this process at ``threads`` for the rest of it.

    BLAS's limit is process-wide; OpenMP's holds for the calling thread, so every model
    that computes calls this first (once its libraries are imported).
    """
    threadpool_limits(limits=threads)
