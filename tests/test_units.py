"""Unit tests of dates, the YAML reader's typing rules, name resolution and search ranking."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, strategies as st

from chinaind.records import dates
from chinaind.core.errors import NotFoundError
from chinaind.query.index import KnowledgeBase
from chinaind.store.loader import load
from chinaind.query.search import search
from chinaind.records.yamlio import read_record
from conftest import FIXTURE_KB


@pytest.mark.parametrize("text, span", [
    ("2023", (date(2023, 1, 1), date(2023, 12, 31))),
    ("2023-02", (date(2023, 2, 1), date(2023, 2, 28))),
    ("2024-02", (date(2024, 2, 1), date(2024, 2, 29))),
    ("2023-01-19", (date(2023, 1, 19), date(2023, 1, 19))),
])
def test_spans(text, span):
    assert dates.parse_span(text) == span


@pytest.mark.parametrize("bad", ["2023-13", "2023-00", "2023-02-29", "2023-04-31", "2023-1", "20230", "", "2023-01-01T00:00"])
def test_impossible_dates(bad):
    with pytest.raises(ValueError):
        dates.parse_span(bad)


@given(st.dates(min_value=date(1000, 1, 1)), st.dates(min_value=date(1000, 1, 1)), st.dates(min_value=date(1000, 1, 1)))
def test_overlap_matches_span_arithmetic(d, since, until):
    for text in (f"{d.year:04d}", f"{d.year:04d}-{d.month:02d}", d.isoformat()):
        start, end = dates.parse_span(text)
        assert dates.overlaps(text, since, until) == (end >= since and start <= until)


def test_undated_never_matches_a_bound():
    assert dates.overlaps(None, None, None)
    assert not dates.overlaps(None, date(2000, 1, 1), None)


@pytest.mark.parametrize("yaml_text, expected", [
    ("a: NO", "NO"), ("a: yes", "yes"), ("a: on", "on"), ("a: 2023-01-19", "2023-01-19"),
    ("a: 010", "010"), ("a: 1e3", "1e3"), ("a: 0x1F", "0x1F"), ("a: .inf", ".inf"),
    ("a: true", True), ("a: false", False), ("a: null", None), ("a: ~", None), ("a:", None),
    ("a: '2023'", "2023"), ("a: 12:30", "12:30"),
])
def test_plain_scalars_stay_as_written(yaml_text, expected):
    data, _, problems = read_record(yaml_text.encode(), "x.yaml")
    assert problems == [] and data == {"a": expected}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    import chinaind

    with chinaind.open(FIXTURE_KB, cache=False) as base:
        yield base.index


@pytest.mark.parametrize("rtype, name, rid", [
    ("agency", "sac", "SAC"), ("agency", "SASAC", "SASAC"), ("agency", "国资委", "SASAC"), ("agency", "发改委", "NDRC"),
    ("technology", "fibre-laser", "fiber-laser"), ("technology", "Fiber Lazer", "fiber-laser"),
    ("technology", "ＲＶ　reducer", "rv-reducer"),  # full-width text pasted from a PDF
    ("company", "raycus", "wuhan-raycus"), ("sector", "chips", "semiconductors"),
    ("technology", "etching", "etching-gas"), ("technology", "laser", "fiber-laser"), ("agency", "standardization", "SAC"),
])
def test_resolve(kb, rtype, name, rid):
    assert kb.resolve(rtype, name)["id"] == rid


@pytest.mark.parametrize("rtype, name", [("agency", "SA"), ("agency", "MOFCOM"), ("agency", "commission"), ("technology", "lase"), ("sector", "")])
def test_resolve_refuses_guesses(kb, rtype, name):
    with pytest.raises(NotFoundError):
        kb.resolve(rtype, name)


def _search(kb: KnowledgeBase, query: str):
    return search(kb.texts, query, light=lambda rid: kb.records[rid])


def test_search_tiers(kb):
    hits = _search(kb, "rv reducer")
    assert (hits[0].record["id"], hits[0].tier) == ("rv-reducer", "exact")
    words = _search(kb, "reducer industrial")
    assert [(h.record["id"], h.tier) for h in words] == [("rv-reducer", "words"), ("cic-notice-2022", "words")]
    assert {h.tier for h in _search(kb, "redcuer")} == {"fuzzy"}
    assert [h.record["id"] for h in _search(kb, "机器人")] == ["robotics", "robot-plus"]


def test_ambiguous_name_lists_the_candidates(kb):
    with pytest.raises(NotFoundError) as err:
        kb.resolve("agency", "Commission")
    assert str(err.value) == ("agency: 'Commission' matches several of them, give one: NDRC (National Development and "
                              "Reform Commission), SASAC (State-owned Assets Supervision and Administration Commission)")
