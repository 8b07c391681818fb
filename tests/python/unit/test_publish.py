from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from models_py.errors import RetailError
from models_py.publish import open_published, publish, read_publication


def _warehouse(path: Path, customers: int) -> Path:
    con = duckdb.connect(str(path))
    con.execute(
        """
        create schema raw; create schema marts; create schema ml; create schema reporting; create schema staging;
        create table raw.transactions as select 1 as row_id;
        create table raw.retention_playbook as select 'high' as value_tier, 'low' as risk_tier, 'perks' as action;
        create table staging.stg as select 1 as x;
        create table ml.churn_scores as select range as customer_id from range(?);
        """,
        [customers],
    )
    con.execute(
        "create table reporting.customer_scores as select range as customer_id, date '2011-12-10' as as_of_date "
        "from range(?)",
        [customers],
    )
    con.execute("create view reporting.top_customers as select * from reporting.customer_scores where customer_id < 3")
    con.close()
    return path


def test_publish_copies_reader_schemas_with_views_as_tables_and_a_manifest(tmp_path: Path) -> None:
    published = tmp_path / "published" / "retail.duckdb"

    publication = publish(_warehouse(tmp_path / "retail.duckdb", 5), published)

    assert publication.row_counts == {
        "ml.churn_scores": 5,
        "reporting.customer_scores": 5,
        "reporting.top_customers": 3,
        "raw.retention_playbook": 1,
    }
    assert str(publication.as_of_date) == "2011-12-10"
    with open_published(published) as con:
        assert read_publication(con, published) == publication
        assert con.execute("select count(*) from reporting.top_customers").fetchall() == [(3,)]
        kinds = con.execute("select distinct table_type from information_schema.tables").fetchall()
        assert kinds == [("BASE TABLE",)]
    assert sorted(path.name for path in published.parent.iterdir()) == ["retail.duckdb"]  # no temporary file left


def test_a_reader_sees_the_new_publication_while_it_still_holds_the_old_one(tmp_path: Path) -> None:
    published = tmp_path / "published" / "retail.duckdb"
    first = publish(_warehouse(tmp_path / "first.duckdb", 5), published)

    with open_published(published) as old:
        second = publish(_warehouse(tmp_path / "second.duckdb", 8), published)
        with open_published(published) as new:
            assert read_publication(new, published).publication_id == second.publication_id
            assert new.execute("select count(*) from reporting.customer_scores").fetchall() == [(8,)]
        # The open connection keeps reading the publication it opened, whole.
        assert read_publication(old, published).publication_id == first.publication_id
        assert old.execute("select count(*) from reporting.customer_scores").fetchall() == [(5,)]


def test_a_failed_publication_leaves_the_previous_one_in_place(tmp_path: Path) -> None:
    published = tmp_path / "published" / "retail.duckdb"
    first = publish(_warehouse(tmp_path / "first.duckdb", 5), published)
    broken = _warehouse(tmp_path / "broken.duckdb", 8)
    con = duckdb.connect(str(broken))
    # A view that cannot be read fails the copy half-way.
    con.execute("create table reporting.gone as select 1 as x")
    con.execute("create view reporting.zz_broken as select * from reporting.gone")
    con.execute("drop table reporting.gone")
    con.close()

    with pytest.raises(RetailError, match=r"zz_broken.*previous publication at .* is unchanged"):
        publish(broken, published)

    with open_published(published) as con:
        assert read_publication(con, published).publication_id == first.publication_id
    assert sorted(path.name for path in published.parent.iterdir()) == ["retail.duckdb"]


def test_publish_refuses_a_warehouse_without_reporting_tables(tmp_path: Path) -> None:
    warehouse = tmp_path / "retail.duckdb"
    duckdb.connect(str(warehouse)).close()

    with pytest.raises(RetailError, match="no reporting tables to publish; run `retail build` first"):
        publish(warehouse, tmp_path / "published" / "retail.duckdb")


def test_open_published_without_a_publication_says_how_to_make_one(tmp_path: Path) -> None:
    with (
        pytest.raises(RetailError, match=r"no published warehouse at .*`retail build` publishes one"),
        open_published(tmp_path / "nothing.duckdb"),
    ):
        pass


def test_publish_removes_copies_abandoned_by_killed_publishers_only(tmp_path: Path) -> None:
    published = tmp_path / "published" / "retail.duckdb"
    published.parent.mkdir()
    killed = subprocess.Popen([sys.executable, "-c", "pass"])
    killed.wait()  # its pid is free again: a publisher killed mid-copy
    abandoned = published.with_name(f".retail.duckdb.{killed.pid}.tmp")
    in_progress = published.with_name(f".retail.duckdb.{os.getppid()}.tmp")  # a live process still copying
    abandoned.write_bytes(b"half a copy")
    in_progress.write_bytes(b"half a copy")

    publish(_warehouse(tmp_path / "retail.duckdb", 5), published)

    assert not abandoned.exists()
    assert in_progress.exists()
