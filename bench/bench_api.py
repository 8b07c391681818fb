"""Load-test the scoring API on loopback: requests/s and latency percentiles per request kind.

Starts `retail serve` on 127.0.0.1 (a free port) over the current published
warehouse, then sends a bounded number of requests of each kind from a few
client threads with keep-alive connections:

- stored: POST /predict {"customer_id": ...} for random published customers
- features: POST /predict {"features": ...} with published customers' features
- batch-stored, batch-features: POST /predict/batch with all sampled customers
  (--customers, 500) per request; rows/s counts scored customers

With RETAIL_API_KEY set, the server wants it and the clients send it.

    uv run retail build                  # a published warehouse to serve
    uv run python bench/bench_api.py     # --requests 2000 --concurrency 4
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from models_py.ml.features import MODEL_FEATURES  # noqa: E402
from models_py.publish import open_published  # noqa: E402
from models_py.serving.api import CustomerFeatures  # noqa: E402
from models_py.settings import Settings  # noqa: E402

RETAIL = Path(sys.executable).parent / "retail"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def payloads(settings: Settings, count: int, seed: int) -> dict[str, list[bytes]]:
    """Request bodies of both kinds for a random sample of published customers."""
    integer = {name for name, field in CustomerFeatures.model_fields.items() if field.annotation is int}
    with open_published(settings.published_path) as con:
        rows = con.execute(
            f"select customer_id, {', '.join(MODEL_FEATURES)} from marts.customer_features "
            f"using sample reservoir({count} rows) repeatable ({seed})"
        ).fetchall()
    stored, features = [], []
    for row in rows:
        stored.append(json.dumps({"customer_id": str(row[0])}).encode())
        values = {
            name: None if value is None else int(value) if name in integer else float(value)
            for name, value in zip(MODEL_FEATURES, row[1:], strict=True)
        }
        features.append(json.dumps({"features": values}).encode())
    batch_ids = json.dumps({"customer_ids": [json.loads(body)["customer_id"] for body in stored]}).encode()
    batch_features = json.dumps({"features": [json.loads(body)["features"] for body in features]}).encode()
    return {"stored": stored, "features": features, "batch-stored": [batch_ids], "batch-features": [batch_features]}


def wait_until_up(port: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/health")
            response = connection.getresponse()
            body = json.loads(response.read())
            if response.status == 200:
                return dict(body)
            raise SystemExit(f"/health answered {response.status}: {body}")
        except ConnectionError:
            time.sleep(0.2)
    raise SystemExit(f"the API did not start on port {port} within {timeout:.0f}s")


def load(
    port: int, bodies: list[bytes], requests: int, concurrency: int, path: str = "/predict"
) -> tuple[float, list[float], int]:
    """Send ``requests`` POSTs to ``path`` from ``concurrency`` threads; (seconds, latencies, errors)."""
    headers = {"Content-Type": "application/json"}
    if os.environ.get("RETAIL_API_KEY"):
        headers["X-API-Key"] = os.environ["RETAIL_API_KEY"]
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_thread = [
        requests // concurrency + (1 if index < requests % concurrency else 0) for index in range(concurrency)
    ]

    def worker(index: int, count: int) -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, failed = [], 0
        for step in range(count):
            body = bodies[(index * 7919 + step) % len(bodies)]
            started = time.perf_counter()
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            failed += response.status != 200
        connection.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=worker, args=(index, count)) for index, count in enumerate(per_thread)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, errors


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per kind (bounded load)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--customers", type=int, default=500, help="distinct customers sampled for the bodies")
    parser.add_argument("--batch-requests", type=int, default=40, help="batch requests per batch kind")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    settings = Settings.from_env()
    bodies = payloads(settings, args.customers, args.seed)
    random.Random(args.seed).shuffle(bodies["stored"])
    port = free_port()
    server = subprocess.Popen(
        [str(RETAIL), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        health = wait_until_up(port)
        # Warm-up: the first features request loads the models from MLflow.
        load(port, bodies["features"][:5], 5, 1)
        print(
            f"publication {health['publication_id']} (as_of_date {health['as_of_date']}), "
            f"{args.requests} requests per kind, {args.concurrency} client threads, loopback"
        )
        print(
            f"{'kind':<14} {'requests':>8} {'errors':>6} {'req/s':>8} {'rows/s':>8} "
            f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
        )
        for kind in ("stored", "features", "batch-stored", "batch-features"):
            batch = kind.startswith("batch")
            seconds, latencies, errors = load(
                port,
                bodies[kind],
                args.batch_requests if batch else args.requests,
                args.concurrency,
                "/predict/batch" if batch else "/predict",
            )
            rows = len(latencies) * (len(bodies["stored"]) if batch else 1)
            print(
                f"{kind:<14} {len(latencies):>8} {errors:>6} {len(latencies) / seconds:>8.0f} {rows / seconds:>8.0f} "
                f"{statistics.median(latencies) * 1000:>8.1f} {percentile(latencies, 0.95) * 1000:>8.1f} "
                f"{percentile(latencies, 0.99) * 1000:>8.1f}"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
