"""The model's last gaps (issue #19): date roles extended/circulated/started, durations kept as
stated, amounts in two currencies, scheduled activities, categories of a counted thing, terms
without Chinese, places, posts known in part; each validated, rendered, exported, offered by `new`."""

from __future__ import annotations

import json
import sqlite3

import pytest
from pydantic import ValidationError

from chinaind.records.models import Organisation, Person, Policy

CITE = [{"source": "s", "section": "x"}]
BASE = {"id": "p", "title": "t", "kind": "plan", "summary": "s", "sources": CITE}


@pytest.mark.parametrize("role", ["extended", "circulated", "started"])
def test_new_date_roles(role):
    assert Policy.model_validate({**BASE, "dates": [{"role": role, "date": "2015"}]}).dates[0].role == role


def test_a_duration_is_kept_as_stated_and_places_nothing_on_a_calendar():
    from chinaind.query.dating import role_date, span_of

    p = Policy.model_validate({**BASE, "period": {"duration": "over the next three years"}})
    assert (p.period.start, p.period.end, p.period.duration) == (None, None, "over the next three years")
    record = {"type": "policy", **p.model_dump(mode="json")}
    assert span_of(record, "period") is None and role_date(record, "period") is None
    with pytest.raises(ValidationError, match="neither start, end nor duration"):
        Policy.model_validate({**BASE, "period": {}})


def test_a_figure_over_a_duration_says_it():
    from chinaind.records.figures import figure_date, when_text

    f = {"period": {"start": None, "end": None, "duration": "five-year"}}
    assert (when_text(f), figure_date(f)) == ("five-year", None)


def test_two_currencies_kept_as_both():
    from chinaind.records.figures import figure_text

    figure = {"id": "fund", "kind": "statistic", "what": "fund size", "value": 138700000000, "currency": "CNY",
              "equivalent": {"value": 19200000000, "currency": "USD"}}
    p = Policy.model_validate({**BASE, "figures": [figure]})
    assert figure_text(p.figures[0].model_dump(mode="json")) == "CNY 138.7 billion (USD 19.2 billion)"
    with pytest.raises(ValidationError, match="equivalent is given without a value and currency"):
        Policy.model_validate({**BASE, "figures": [{**figure, "currency": None}]})
    event = {"kind": "ipo", "summary": "s", "amount": 190000000, "currency": "USD",
             "equivalent": {"value": 1300000000, "currency": "CNY"}, "sources": CITE}
    org = Organisation.model_validate({"id": "o", "name": "O", "sources": CITE, "events": [event]})
    assert org.events[0].equivalent.currency == "CNY"
    with pytest.raises(ValidationError, match="equivalent is given without an amount"):
        Organisation.model_validate({"id": "o", "name": "O", "sources": CITE, "events": [{**event, "amount": None}]})


def test_scheduled_and_categories():
    p = Policy.model_validate({**BASE, "figures": [
        {"id": "round", "kind": "scheduled", "what": "a new round of selections", "deadline": "2024"},
        {"id": "standards", "kind": "tally", "what": "standards", "value": 2, "categories": ["national", "industry", "group"]}]})
    assert [f.kind for f in p.figures] == ["scheduled", "tally"]
    # Categories are kinds of what is counted, not named members: three of them beside a count of 2 is fine.
    assert p.figures[1].categories == ["national", "industry", "group"]


def test_terms_without_chinese():
    assert Policy.model_validate({**BASE, "terms": [{"en": "new type of industrialization"}]}).terms[0].zh is None
    with pytest.raises(ValidationError, match="neither zh nor en"):
        Policy.model_validate({**BASE, "terms": [{"pinyin": "xin"}]})


def test_places_and_partial_posts():
    org = Organisation.model_validate({"id": "o", "name": "O", "sources": CITE, "places": [{"name": "Berlin", "role": "based-in"}]})
    assert org.places[0].role == "based-in"
    with pytest.raises(ValidationError):
        Organisation.model_validate({"id": "o", "name": "O", "sources": CITE, "places": [{"name": "Berlin", "role": "lives"}]})
    person = Person.model_validate({"id": "x", "name": "X", "sources": CITE,
                                    "positions": [{"agency": "NDRC", "note": "the post is not named"}]})
    assert person.positions[0].title is None
    with pytest.raises(ValidationError, match="no title, agency or organisation"):
        Person.model_validate({"id": "x", "name": "X", "sources": CITE, "positions": [{"since": "2020"}]})


def test_the_bundled_data_uses_them(run):
    from conftest import BUNDLED_KB

    merics = json.loads(run("--data-dir", str(BUNDLED_KB), "show", "merics", "-f", "json").stdout)[0]
    assert merics["places"] == [{"name": "Berlin", "role": "based-in"}]
    draft = json.loads(run("--data-dir", str(BUNDLED_KB), "show", "miit-iot-standards-draft", "-f", "json").stdout)[0]
    assert draft["dates"][0]["role"] == "circulated"
    assert run("--data-dir", str(BUNDLED_KB), "list", "policies", "--date-role", "circulated").exit_code == 0


def test_exports_hold_them(run, tmp_path):
    from conftest import BUNDLED_KB

    db = tmp_path / "kb.db"
    assert run("--data-dir", str(BUNDLED_KB), "export", "sqlite", str(db)).exit_code == 0
    con = sqlite3.connect(db)
    assert con.execute("select record_id, part, name, role from places").fetchall() == [("merics", "", "Berlin", "based-in")]
    columns = {r[1] for r in con.execute("PRAGMA table_info(figures)")}
    assert {"equivalent_value", "equivalent_currency", "categories", "period_duration"} <= columns
    assert {"equivalent_amount", "equivalent_currency"} <= {r[1] for r in con.execute("PRAGMA table_info(events)")}
    assert "period_duration" in {r[1] for r in con.execute("PRAGMA table_info(policies)")}


def test_skeletons_offer_them(run, tmp_path):
    kb = tmp_path / "kb"
    assert run("init", str(kb)).exit_code == 0
    for kind, rid in (("policy", "p1"), ("company", "c1"), ("person", "x1")):
        assert run("--data-dir", str(kb), "new", kind, rid).exit_code == 0
    policy = (kb / "policies" / "p1.yaml").read_text(encoding="utf-8")
    for piece in ("equivalent:", "categories:", "kind: scheduled", "duration:", "places:", "en alone"):
        assert piece in policy, piece
    assert "places:" in (kb / "companies" / "c1.yaml").read_text(encoding="utf-8")
    assert "known only in part" in (kb / "people" / "x1.yaml").read_text(encoding="utf-8")


def test_one_value_marked_editorial():
    from chinaind.records.models import Agency

    base = {"id": "A", "name": "A", "kind": "ministry", "aliases": ["AA", "BB"], "sources": CITE}
    assert Agency.model_validate({**base, "editorial": ["aliases:BB"]}).editorial == ["aliases:BB"]
    with pytest.raises(ValidationError, match="is no list holding 'CC'"):
        Agency.model_validate({**base, "editorial": ["aliases:CC"]})
    with pytest.raises(ValidationError, match="is no list holding"):
        Agency.model_validate({**base, "editorial": ["name:A"]})


def test_show_marks_one_editorial_value(run, monkeypatch):
    import chinaind.output.render
    from conftest import BUNDLED_KB

    monkeypatch.setattr(chinaind.output.render, "isatty", lambda stream: True)
    out = " ".join(run("--data-dir", str(BUNDLED_KB), "show", "SASAC", env={"COLUMNS": "300"}).stdout.split())
    assert "aliases SASAC, State-owned Assets Supervision and Administration Commission of the State Council (editorial)," in out
    assert "国务院国资委, 国资委 (editorial)" in out
