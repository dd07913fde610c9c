"""The stream's history: which rows decide a customer's state, what it already holds, lateness."""

from __future__ import annotations

import pandas as pd
import pytest

from dp_pipeline.stream.history import History

pytestmark = pytest.mark.pipeline
DAY = pd.Timedelta(days=1)
T0 = pd.Timestamp("2026-11-20T12:00:00Z")


def events(*rows: tuple[str, str, pd.Timestamp]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "transaction_id": t,
                "customer_id": c,
                "merchant_id": "m",
                "amount": 1.0,
                "event_timestamp": at,
            }
            for t, c, at in rows
        ]
    )


BATCH = events(
    ("b1", "c1", T0 - 20 * DAY),
    ("b2", "c1", T0 - 9 * DAY),  # the last one before c1's 7-day window: needed for the gap
    ("b3", "c1", T0 - 6 * DAY),
    ("b4", "c2", T0 - 1 * DAY),
)


def test_deciding_rows_are_the_window_and_the_one_before() -> None:
    history = History(BATCH, events(("s1", "c1", T0)))
    deciding = history.deciding({"c1"})
    assert deciding["transaction_id"].tolist() == ["b2", "b3", "s1"]


def test_a_customer_with_only_recent_rows_keeps_them_all() -> None:
    history = History(BATCH, events(("s1", "c2", T0)))
    assert history.deciding({"c2"})["transaction_id"].tolist() == ["b4", "s1"]


def test_known_transactions_and_adding_twice() -> None:
    history = History(BATCH, events())
    assert history.known(pd.Series(["b1", "s9"])).tolist() == [True, False]
    history.add(events(("s9", "c2", T0)))
    history.add(events(("s9", "c2", T0)))
    assert len(history) == 5
    assert history.known(pd.Series(["s9"])).tolist() == [True]


def test_lateness_is_measured_from_the_newest_streamed_event() -> None:
    history = History(BATCH, events())
    stamps = pd.Series([T0 - 30 * DAY])
    assert history.too_late(stamps, pd.Timedelta(hours=1)).tolist() == [False]  # nothing streamed
    history.add(events(("s1", "c1", T0)))
    late = pd.Series([T0 - pd.Timedelta(minutes=59), T0 - pd.Timedelta(minutes=61)])
    assert history.too_late(late, pd.Timedelta(hours=1)).tolist() == [False, True]
