"""The weekly streaming simulation (`retail replay`) on the real data, with the checks it must pass.

Moved here from the real-data tests (it took three minutes of CI): ingests the
shared Online Retail file, replays the weeks from --start (default the last two
weeks; 2011-01-04 replays the year) with a refit every --refit-every batches,
then prints the builds, the segment-history rows, the customers who moved
between segments and the rows data quality accounts for, and exits non-zero
when a check fails (every batch in the history, moves recorded, 541,909 rows).

    uv run python bench/bench_replay.py [--start 2011-11-29] [--refit-every 2]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb
from scratch import REAL_DATA, loaded_warehouse, run

REAL_ROWS = 541_909


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--start", default="2011-11-29")
    parser.add_argument("--refit-every", default="2")
    parser.add_argument("--data", type=Path, default=REAL_DATA)
    args = parser.parse_args()
    with loaded_warehouse(args.data, "retail-replay-") as (folder, env):
        into = folder / "replay" / "retail.duckdb"
        started = time.perf_counter()
        output = run(
            ["replay", "--by", "week", "--start", args.start, "--refit-every", args.refit_every, "--into", str(into)],
            env,
        )
        seconds = time.perf_counter() - started
        con = duckdb.connect(str(into), read_only=True)
        try:
            builds, history_rows = con.execute(
                "select count(distinct as_of_date), count(*) from reporting.segment_size_history"
            ).fetchone() or (0, 0)
            moves = (con.execute("select sum(customers) from reporting.segment_transition_matrix").fetchone() or (0,))[
                0
            ]
            accounted = (con.execute("select sum(rows_affected) from marts.data_quality").fetchone() or (0,))[0]
        finally:
            con.close()
    checks = {
        f"{builds} builds in the size history, each with 4+ segments ({history_rows} rows)": builds >= 3
        and history_rows >= 4 * builds,
        f"{moves or 0:,} customer moves between segments": bool(moves),
        f"data quality accounts for {accounted:,} of {REAL_ROWS:,} rows": accounted == REAL_ROWS,
        "the replay printed the transitions": "segment_transitions:" in output and "->" in output,
    }
    print(f"replay from {args.start}: {seconds:.0f} s")
    for check, passed in checks.items():
        print(f"{'ok  ' if passed else 'FAIL'} {check}")
    if not all(checks.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
