"""The full UCI Online Retail file through ingest and dbt build, checked against plain pandas.

The pandas side re-implements the documented cleaning rules and feature
definitions independently of the SQL, then every customer's features are compared.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pandas as pd
import pytest

from tests.python.conftest import PROJECT_DIR, REAL_DATA, Workspace, make_workspace
from tests.python.reasons_check import assert_contributions_add_up_to_the_logit

# CI sets it: there a missing file is a failure, not a quiet skip.
REQUIRE_REAL_DATA_ENV = "RETAIL_REQUIRE_REAL_DATA"
if os.environ.get(REQUIRE_REAL_DATA_ENV) == "1" and not REAL_DATA.exists():
    pytest.fail(
        f"{REAL_DATA} not found and {REQUIRE_REAL_DATA_ENV}=1: the real-data tests must run here; "
        "put the shared UCI Online Retail file there (../shared beside the checkout)",
        pytrace=False,
    )

pytestmark = [
    pytest.mark.real_data,
    # One worker runs the module: its builds are module-scoped fixtures.
    pytest.mark.xdist_group("real_data"),
    pytest.mark.skipif(
        not REAL_DATA.exists(),
        reason=f"real-data tests skipped: {REAL_DATA} not found (the shared UCI Online Retail file)",
    ),
]

NON_PRODUCT_CODES = {
    "POST",
    "DOT",
    "C2",
    "M",
    "D",
    "S",
    "B",
    "BANK CHARGES",
    "AMAZONFEE",
    "CRUK",
    "PADS",
    "ADJUST",
    "ADJUST2",
    "TEST001",
    "TEST002",
}
EARLY_CUTOFF = "2011-09-10"


@pytest.fixture(scope="module")
def real_build(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    workspace = make_workspace(tmp_path_factory.mktemp("real"))
    workspace.run("ingest", REAL_DATA, check=True)
    workspace.run("build", check=True)
    return workspace


@pytest.fixture(scope="module")
def early_build(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The file as most people download it (Latin-1, m/d/Y H:MM dates, Excel's 17850.0 ids), first built on an
    empty warehouse at a date inside the data: trains, scores and publishes (check: exit 0)."""
    workspace = make_workspace(tmp_path_factory.mktemp("real_early"))
    raw = pd.read_csv(REAL_DATA, dtype=str, keep_default_na=False)
    ordered_at = pd.to_datetime(raw["InvoiceDate"], format="%Y-%m-%d %H:%M:%S")
    assert (ordered_at.dt.second == 0).all()  # the download has no seconds to lose
    raw["InvoiceDate"] = ordered_at.dt.strftime("%-m/%-d/%Y %-H:%M")
    raw["CustomerID"] = raw["CustomerID"].where(raw["CustomerID"] == "", raw["CustomerID"] + ".0")
    download = workspace.root / "Online Retail.csv"
    raw.to_csv(download, index=False, encoding="latin-1")
    assert b"\xa3" in download.read_bytes() and b"\xc2\xa3" not in download.read_bytes()  # the pound sign, Latin-1
    workspace.run("ingest", download, check=True)
    workspace.run("build", "--as-of-date", EARLY_CUTOFF, check=True)
    return workspace


RULES_IN_ORDER = (
    "unparseable_value",
    "future_dated",
    "missing_customer_id",
    "duplicate",
    "cancellation",
    "non_positive_quantity",
    "non_positive_price",
    "non_product_code",
)


@pytest.fixture(scope="module")
def lines() -> pd.DataFrame:
    """Every source row with its cleaning rule (the first that matches, in the documented order) in pandas."""
    raw = pd.read_csv(REAL_DATA, dtype=str, keep_default_na=False)
    frame = pd.DataFrame(
        {
            "customer_id": raw["CustomerID"].str.strip(),
            "order_id": raw["InvoiceNo"].str.strip().str.upper(),
            "product_id": raw["StockCode"].str.strip(),
            "description": raw["Description"].str.strip(),
            "country": raw["Country"].str.strip(),
            "ordered_at": pd.to_datetime(raw["InvoiceDate"], format="%Y-%m-%d %H:%M:%S", errors="coerce"),
            "quantity": pd.to_numeric(raw["Quantity"], errors="coerce"),
            "unit_price": pd.to_numeric(raw["UnitPrice"], errors="coerce"),
        }
    )
    frame["amount"] = (frame["quantity"] * frame["unit_price"]).round(2)
    code = frame["product_id"].str.upper()
    identified = frame["customer_id"] != ""
    key = ["customer_id", "order_id", "ordered_at", "product_id", "description", "quantity", "unit_price", "country"]
    flags = {
        "unparseable_value": (frame[["order_id", "product_id"]] == "").any(axis=1)
        | frame[["ordered_at", "quantity", "unit_price"]].isna().any(axis=1),
        # Loaded today: nothing from 2010-2011 is more than a day ahead of the load.
        "future_dated": frame["ordered_at"] > pd.Timestamp.now() + pd.Timedelta(hours=24),
        "missing_customer_id": ~identified,
        "duplicate": identified & frame.duplicated(subset=key, keep="first"),
        "cancellation": identified & (frame["order_id"].str.startswith("C") | (frame["quantity"] < 0)),
        "non_positive_quantity": frame["quantity"] <= 0,
        "non_positive_price": frame["unit_price"] <= 0,
        "non_product_code": code.isin(NON_PRODUCT_CODES) | code.str.startswith("GIFT_"),
    }
    frame["rule"] = "kept"
    for rule in reversed(RULES_IN_ORDER):  # the earliest matching rule is written last and wins
        frame.loc[flags[rule], "rule"] = rule
    frame["is_missing_customer"] = frame["rule"] == "missing_customer_id"
    frame["is_kept"] = frame["rule"] == "kept"
    # Returns: product lines of the cancellation rule, dated when they happened.
    frame["is_return"] = (frame["rule"] == "cancellation") & ~flags["non_product_code"] & (frame["amount"] < 0)
    return frame


def pandas_features(lines: pd.DataFrame, cutoff: str) -> pd.DataFrame:
    """Every column of marts.customer_features at ``cutoff``, from the definitions in the model docs."""
    at = pd.Timestamp(cutoff)
    kept = lines[lines["is_kept"] & (lines["ordered_at"] < at)]
    orders = (
        kept.groupby(["customer_id", "order_id"])
        .agg(ordered_at=("ordered_at", "min"), amount=("amount", "sum"), items=("quantity", "sum"))
        .reset_index()
    )
    features = orders.groupby("customer_id").agg(
        frequency=("order_id", "count"),
        monetary=("amount", "sum"),
        items=("items", "sum"),
        first_ordered_at=("ordered_at", "min"),
        last_ordered_at=("ordered_at", "max"),
    )

    def orders_since(days_back: int, until_days_back: int = 0) -> pd.DataFrame:
        window = (orders["ordered_at"] >= at - pd.Timedelta(days=days_back)) & (
            orders["ordered_at"] < at - pd.Timedelta(days=until_days_back)
        )
        return (
            orders[window].groupby("customer_id")["amount"].agg(["count", "sum"]).reindex(features.index, fill_value=0)
        )

    features["orders_last_30d"] = orders_since(30)["count"]
    features["orders_last_90d"] = orders_since(90)["count"]
    features["monetary_last_90d"] = orders_since(90)["sum"]
    features["monetary_prior_90d"] = orders_since(180, 90)["sum"]
    recent_and_prior = features["monetary_last_90d"] + features["monetary_prior_90d"]
    features["spend_trend"] = np.where(
        recent_and_prior > 0,
        (features["monetary_last_90d"] - features["monetary_prior_90d"]) / recent_and_prior.where(recent_and_prior > 0),
        0.0,
    )
    features["avg_order_value"] = features["monetary"] / features["frequency"]
    features["avg_items_per_order"] = features.pop("items") / features["frequency"]
    features["unique_products"] = kept.groupby("customer_id")["product_id"].nunique()
    features["avg_unit_price"] = kept.groupby("customer_id")["unit_price"].mean()
    # The most frequent country of the customer's lines; ties go to the first name.
    line_counts = kept.groupby(["customer_id", "country"]).size().rename("line_count").reset_index()
    line_counts = line_counts.sort_values(["customer_id", "line_count", "country"], ascending=[True, False, True])
    features["country"] = line_counts.drop_duplicates("customer_id").set_index("customer_id")["country"]
    cutoff_day = at.normalize()
    first_day, last_day = features["first_ordered_at"].dt.normalize(), features["last_ordered_at"].dt.normalize()
    features["recency_days"] = (cutoff_day - last_day).dt.days
    features["tenure_days"] = (cutoff_day - first_day).dt.days
    features["purchase_span_days"] = (last_day - first_day).dt.days
    features["avg_interpurchase_days"] = np.where(
        features["frequency"] > 1, features["purchase_span_days"] / (features["frequency"] - 1), np.nan
    )
    returns = lines[lines["is_return"] & (lines["ordered_at"] < at)]
    returned = returns.groupby("customer_id").agg(cancelled_orders=("order_id", "nunique"), amount=("amount", "sum"))
    features["cancelled_orders"] = returned["cancelled_orders"].reindex(features.index, fill_value=0)
    features["returned_amount"] = (-returned["amount"]).reindex(features.index, fill_value=0.0)
    features["return_rate"] = features["returned_amount"] / (features["monetary"] + features["returned_amount"])
    features["as_of_date"] = at.date()
    return features


def pandas_training_labels(lines: pd.DataFrame, cutoff: str, as_of: str, horizon_days: int = 90) -> pd.DataFrame:
    """The label columns of marts.customer_training_snapshots at ``cutoff``: orders and spend in
    [cutoff, cutoff + horizon), never at or after ``as_of``, and spend in the horizon before the cutoff."""
    at, end = pd.Timestamp(cutoff), min(pd.Timestamp(cutoff) + pd.Timedelta(days=horizon_days), pd.Timestamp(as_of))
    customers = lines.loc[lines["is_kept"] & (lines["ordered_at"] < at), "customer_id"].unique()
    kept = lines[lines["is_kept"]]
    future = kept[(kept["ordered_at"] >= at) & (kept["ordered_at"] < end)].groupby("customer_id")
    past = kept[(kept["ordered_at"] >= at - pd.Timedelta(days=horizon_days)) & (kept["ordered_at"] < at)]
    labels = pd.DataFrame(index=pd.Index(customers, name="customer_id"))
    labels["future_orders"] = future["order_id"].nunique().reindex(labels.index, fill_value=0)
    labels["future_spend"] = future["amount"].sum().reindex(labels.index, fill_value=0.0)
    labels["is_churned"] = labels["future_orders"] == 0
    labels["spend_last_ltv_horizon"] = past.groupby("customer_id")["amount"].sum().reindex(labels.index, fill_value=0.0)
    return labels


def test_real_data_orders_match_pandas(real_build: Workspace, lines: pd.DataFrame) -> None:
    """Every order of marts.fct_orders equals the kept lines of the same invoice, aggregated in pandas."""
    kept = lines[lines["is_kept"]]
    expected = kept.groupby("order_id").agg(
        customer_id=("customer_id", "min"),
        line_count=("order_id", "size"),
        distinct_products=("product_id", "nunique"),
        item_quantity=("quantity", "sum"),
        order_amount=("amount", "sum"),
        ordered_at=("ordered_at", "min"),
    )
    actual = real_build.frame(
        "select order_id, customer_id, line_count, distinct_products, cast(item_quantity as double) as "
        "item_quantity, cast(order_amount as double) as order_amount, ordered_at from marts.fct_orders",
    )
    actual = actual.set_index("order_id").loc[expected.index]

    assert len(actual) == len(expected) == real_build.scalar("select count(*) from marts.fct_orders")
    for column in ("customer_id", "line_count", "distinct_products", "ordered_at"):
        assert (actual[column] == expected[column]).all(), column
    for column in ("item_quantity", "order_amount"):
        assert actual[column].to_numpy() == pytest.approx(expected[column].to_numpy(), abs=0.011), column
    assert (expected["distinct_products"] < expected["line_count"]).any()  # some invoices repeat a product


def warehouse_table(workspace: Workspace, table: str, where: str = "true") -> pd.DataFrame:
    """Every column of a customer-grain table, indexed by customer."""
    return workspace.frame(f"select * from {table} where {where}").set_index("customer_id")


def warehouse_features(workspace: Workspace) -> pd.DataFrame:
    return warehouse_table(workspace, "marts.customer_features")


def assert_features_match(expected: pd.DataFrame, actual: pd.DataFrame, *, every_column: bool = True) -> None:
    """Same customers; numbers equal up to the two-decimal rounding of money columns."""
    assert sorted(actual.index) == sorted(expected.index)
    if every_column:
        assert set(expected.columns) == set(actual.columns), "the oracle must cover every column"
    actual = actual.loc[expected.index, list(expected.columns)]
    for column in expected.columns:
        if expected[column].dtype.kind in "OUb" or column == "as_of_date":
            mismatched = (actual[column].astype(str) != expected[column].astype(str)).sum()
            assert mismatched == 0, f"{column}: {mismatched} customers differ"
            continue
        if expected[column].dtype.kind == "M":
            assert (actual[column].to_numpy() == expected[column].to_numpy()).all(), column
            continue
        np.testing.assert_allclose(
            actual[column].astype(float),
            expected[column].astype(float),
            rtol=1e-9,
            atol=0.005,
            equal_nan=True,
            err_msg=column,
        )


def test_real_data_raw_keeps_every_row(real_build: Workspace) -> None:
    assert real_build.scalar("select count(*) from raw.transactions") == 541_909
    assert (
        real_build.scalar("select count(*) from raw.transactions where nullif(trim(customer_id), '') is null")
        == 135_080
    )


def test_real_data_every_cleaning_rule_matches_pandas(real_build: Workspace, lines: pd.DataFrame) -> None:
    """Rows and amount of every rule equal an independent first-match classification in the documented order."""
    quality = real_build.query(
        "select rule_name, rows_affected, cast(amount_affected as double) from marts.data_quality order by rule_order"
    )
    by_rule = lines.groupby("rule").agg(rows=("rule", "size"), amount=("amount", "sum"))
    expected = by_rule.reindex([*RULES_IN_ORDER, "kept"], fill_value=0)

    assert [name for name, _, _ in quality] == list(expected.index)
    assert {name: rows for name, rows, _ in quality} == expected["rows"].astype(int).to_dict()
    for name, _, amount in quality:
        assert amount == pytest.approx(expected.loc[name, "amount"], abs=0.01), name
    assert expected.loc["missing_customer_id", "rows"] == 135_080
    assert expected["rows"].sum() == 541_909


def test_real_data_latin1_download_gives_the_same_rows_orders_and_quality(
    real_build: Workspace, early_build: Workspace
) -> None:
    """Read as Latin-1 with its own date format, every row lands where the UTF-8 file's does: the same
    cleaning counts and amounts and the same orders (its features are checked against pandas below)."""
    quality = "select * from marts.data_quality order by rule_order"
    orders = "select * exclude (last_load_id) from marts.fct_orders order by order_id"

    assert early_build.query("select encoding, datetime_format from raw.loads") == [("latin-1", "%m/%d/%Y %H:%M")]
    assert early_build.query(quality) == real_build.query(quality)
    assert early_build.query(orders) == real_build.query(orders)
    assert early_build.query("select count(*) from marts.fct_orders") == [(18_402,)]


def assert_first_build_published(workspace: Workspace, as_of: str) -> None:
    """The build exited 0 (the fixture checks) and published its scores; drift did not fail it."""
    published = workspace.query("select distinct as_of_date from reporting.publication", published=True)
    scored = workspace.query("select count(*), max(as_of_date) from reporting.customer_scores", published=True)

    assert [str(row[0]) for row in published] == [as_of]
    assert scored[0][0] > 1_000 and str(scored[0][1]) == as_of
    # A build that trained its models grades feature drift at most as information.
    statuses = workspace.query(
        "select distinct status from reporting.drift_report where check_name like 'feature_psi:%'"
    )
    assert {row[0] for row in statuses} <= {"ok", "info", "not_graded"}


def test_real_data_first_build_at_the_default_date_publishes(real_build: Workspace) -> None:
    assert_first_build_published(real_build, "2011-12-10")


def test_real_data_first_build_inside_the_data_publishes(early_build: Workspace) -> None:
    assert_first_build_published(early_build, EARLY_CUTOFF)


def test_real_data_features_match_pandas_for_every_customer(real_build: Workspace, lines: pd.DataFrame) -> None:
    as_of = real_build.scalar("select max(as_of_date) from marts.customer_features")
    assert str(as_of) == "2011-12-10"

    assert_features_match(pandas_features(lines, "2011-12-10"), warehouse_features(real_build))


def test_real_data_features_at_an_earlier_cutoff_match_pandas(early_build: Workspace, lines: pd.DataFrame) -> None:
    expected = pandas_features(lines, EARLY_CUTOFF)

    assert_features_match(expected, warehouse_features(early_build))


def test_real_data_training_snapshots_match_pandas_features_and_labels(
    real_build: Workspace, lines: pd.DataFrame
) -> None:
    """Both snapshots of the default build (as_of_date - 2H fit, - H validation) and the earliest stacked one
    of each role (75 days before): features at the cutoff and churn / spend labels from what happened in
    the next 90 days, every column against pandas."""
    as_of = "2011-12-10"
    for role, stack_index, cutoff in (
        ("fit", 0, "2011-06-13"),
        ("validation", 0, "2011-09-11"),
        ("fit", 5, "2011-03-30"),
        ("validation", 5, "2011-06-28"),
    ):
        where = f"snapshot_role = '{role}' and stack_index = {stack_index}"
        snapshot = warehouse_table(real_build, "marts.customer_training_snapshots", where).drop(
            columns=["snapshot_role", "stack_index"]
        )
        expected = pandas_features(lines, cutoff).join(pandas_training_labels(lines, cutoff, as_of))
        # The training sample's order: customers by the MD5 of their id.
        md5 = pd.Series({customer: hashlib.md5(customer.encode()).hexdigest() for customer in expected.index})
        expected["training_sample_rank"] = md5.rank(method="first").astype("int64")

        assert_features_match(expected, snapshot)
        assert 0.2 < expected["is_churned"].mean() < 0.8  # both labels are common: the check is not vacuous


def test_real_data_contacts_only_customers_worth_it_and_the_report_says_so(real_build: Workspace) -> None:
    """Default economics (incentive 5, margin 30%, save rate 20%): not everybody is worth contacting, the rule
    earned more on the validation snapshot than contacting everybody, and the report's totals are the table's."""
    customers, contacted, net = real_build.query(
        "select count(*), count(case when is_contact_recommended then 1 end), "
        "sum(case when is_contact_recommended then expected_value_of_contact else 0 end) "
        "from reporting.customer_scores",
        published=True,
    )[0]
    realised = dict(
        real_build.query(
            "select metric, value from ml.model_metrics where model_family = 'churn' and model_name = 'chosen' "
            "and metric like 'net_benefit_%'"
        )
    )
    text = " ".join((real_build.root / "reports" / "strategic_report.md").read_text().split())

    assert 0 < contacted < 0.95 * customers  # type: ignore[operator]  # 97% was contacted before issue 12
    assert realised["net_benefit_expected_value_rule"] > realised["net_benefit_contact_everybody"]  # type: ignore[operator]
    assert f"contacting the {contacted:,} customers worth it" in text
    assert f"an expected net benefit of **{float(net):,.0f}**" in text  # type: ignore[arg-type]


RFM_SEGMENTS = PROJECT_DIR / "seeds" / "rfm_segments.csv"


def pandas_rfm(features: pd.DataFrame) -> pd.DataFrame:
    """R, F, M scores 1-5 (1 + floor(5 x customers strictly worse / customers), in integers) and the named
    segment of (R, F) from the seed's ranges."""
    customers = len(features)
    recency, frequency, monetary = (features[column].to_numpy() for column in ("recency_days", "frequency", "monetary"))
    # Row i: how many customers j are worse than i (less recent; fewer orders; lower spend).
    worse = {
        "r_score": (recency[None, :] > recency[:, None]).sum(axis=1),
        "f_score": (frequency[None, :] < frequency[:, None]).sum(axis=1),
        "m_score": (monetary[None, :] < monetary[:, None]).sum(axis=1),
    }
    scores = pd.DataFrame({name: 1 + (5 * count) // customers for name, count in worse.items()}, index=features.index)
    rules = pd.read_csv(RFM_SEGMENTS)
    scores["rfm_segment"] = [
        rules.loc[
            (rules["r_min"] <= r) & (r <= rules["r_max"]) & (rules["f_min"] <= f) & (f <= rules["f_max"]),
            "rfm_segment",
        ].item()
        for r, f in zip(scores["r_score"], scores["f_score"], strict=True)
    ]
    return scores


def test_real_data_rfm_scores_and_segments_match_pandas(real_build: Workspace, lines: pd.DataFrame) -> None:
    expected = pandas_rfm(pandas_features(lines, "2011-12-10"))
    actual = warehouse_table(real_build, "marts.customer_rfm")[list(expected.columns)]

    assert sorted(actual.index) == sorted(expected.index)
    pd.testing.assert_frame_equal(actual.loc[expected.index].astype(expected.dtypes), expected, check_names=False)
    assert expected["rfm_segment"].nunique() >= 9  # the grid is used, not one corner of it


def test_real_data_segment_names_are_unique_and_lapsed_customers_are_flagged(real_build: Workspace) -> None:
    names = [row[0] for row in real_build.query("select segment_name from reporting.segment_summary")]
    unflagged = real_build.scalar(
        "select count(*) from reporting.customer_scores where recency_days > 180 and not is_lapsed"
    )

    assert len(set(names)) == len(names) and not any(character.isdigit() for name in names for character in name)
    assert unflagged == 0
    # 17850: 373 days without an order; whatever its segment is called, it is lapsed.
    assert real_build.query("select is_lapsed from reporting.customer_scores where customer_id = '17850'") == [(True,)]


def test_real_data_churn_reasons_add_up_to_the_models_logit(real_build: Workspace) -> None:
    assert_contributions_add_up_to_the_logit(real_build)
    texts = warehouse_table(real_build, "reporting.customer_scores", "customer_id = '17850'")["churn_reason_1"]
    # A year without an order after many orders within a day: said in plain words, no 12,000x ratio.
    assert texts.iloc[0].startswith("no order for 373 days; their orders used to come less than a day apart")


def test_real_data_known_customers(real_build: Workspace) -> None:
    features = warehouse_features(real_build)

    # 12346 bought 74,215 units once and cancelled them the same day.
    assert features.loc["12346", "frequency"] == 1
    assert float(features.loc["12346", "monetary"]) == pytest.approx(77183.60)
    assert features.loc["12346", "return_rate"] == pytest.approx(0.5)
    assert features.loc["12347", "frequency"] == 7
    assert features.loc["12347", "recency_days"] == 3


def test_real_data_dashboard_pages_render_with_the_publications_numbers(
    real_build: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.python.integration.test_dashboard import PAGES, metrics, open_page, point_at

    point_at(real_build, monkeypatch)
    scores = warehouse_table(real_build, "reporting.customer_scores")
    for page in PAGES:
        app = open_page(page)
        assert not app.exception and not app.error, (page, [item.value for item in (*app.exception, *app.error)])
        assert app.get("vega_lite_chart"), f"{page} shows no chart on the real data"
        if page == "Overview":
            shown = metrics(app)
            assert shown["Customers"] == f"{len(scores):,}" == "4,334"
            assert shown["Expected churn loss (margin)"] == f"{scores['expected_churn_loss'].sum():,.0f}"
            assert shown["Recommended for contact"] == f"{int(scores['is_contact_recommended'].sum()):,}"
