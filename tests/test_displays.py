"""Displays that say what the record says, no more and no less (issue #19): no Python None,
editorial values marked in headers, inferred years in every table, every part of a figure,
"almost twice" never "double", whole-word matches, and the whole record off a terminal."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import BUNDLED_KB


@pytest.fixture
def bundled(run):
    def invoke(*args: str, env: dict[str, str] | None = None):
        return run("--data-dir", str(BUNDLED_KB), *args, env=env)

    return invoke


@pytest.fixture
def terminal(bundled, monkeypatch):
    import chinaind.output.render

    monkeypatch.setattr(chinaind.output.render, "isatty", lambda stream: True)

    def invoke(*args: str):
        r = bundled(*args, env={"COLUMNS": "200", "NO_COLOR": "1"})
        assert r.exit_code == 0, r.output
        return r.stdout

    return invoke


def test_no_python_none_in_a_company_header(terminal):
    first = terminal("company", "MERICS").splitlines()[0]
    assert first == "Mercator Institute for China Studies [merics]: kind not stated, DE"


def test_editorial_values_marked_in_headers(terminal):
    assert terminal("company", "abb").splitlines()[0].startswith("ABB [abb]: firm, CH (editorial)")
    assert terminal("agency", "MOF").splitlines()[0] == \
        "MOF: Ministry of Finance (editorial) (中华人民共和国财政部, editorial), 1 policy"
    assert terminal("agency", "SAC").splitlines()[0].startswith("SAC: Standardization Administration of China (")


@pytest.mark.parametrize("args", [("agency", "MEE"), ("list", "policies"), ("timeline", "--since", "2023-01", "--until", "2023-01")])
def test_inferred_years_marked_in_every_table(terminal, args):
    out = terminal(*args)
    assert "2023-01-29 (year inferred)" in out
    assert "2023-01-19 (year inferred)" not in out  # the Robot+ plan states its year


def test_inferred_years_in_the_company_table(terminal):
    assert "2023-01-31 (year inferred)" in terminal("company", "xpeng")


def test_machine_formats_keep_the_plain_date(bundled):
    r = bundled("agency", "MEE", "-f", "tsv")
    assert "2023-01-29\t" in r.stdout and "inferred" not in r.stdout


def test_show_prints_every_part_of_a_figure(terminal):
    out = terminal("show", "robot-plus-implementation-plan-2023")
    assert "baseline note: the 2020 density itself is not given in the source" in out
    assert "named: manufacturing, energy, health care, elderly care, education" in out
    out = terminal("show", "miit-nev-public-fleet-pilot-2023")
    assert "scope: selected pilot cities" in out


@pytest.mark.parametrize("comparator, expected", [("almost", "almost twice"), ("nearly", "nearly twice"),
                                                  (None, "double")])
def test_almost_twice_is_never_double(comparator, expected):
    from chinaind.records.figures import figure_text

    assert figure_text({"value": None, "change": {"factor": 2}, "comparator": comparator}) == expected


def test_almost_and_nearly_are_comparators():
    from chinaind.records.models import Policy

    base = {"id": "p", "title": "t", "kind": "plan", "summary": "s", "sources": [{"source": "s", "section": "x"}]}
    for comparator in ("almost", "nearly"):
        Policy.model_validate({**base, "figures": [{"id": "f", "kind": "goal", "what": "w", "change": {"factor": 2},
                                                    "comparator": comparator}]})


@pytest.mark.parametrize("query", ["Lu Jun", "lu jun"])
def test_word_matches_are_whole_words(query):
    from chinaind.query.search import search
    from chinaind.records.text import search_text

    class Texts:
        """The store's search text of two records, as the refresh computes it."""

        def __init__(self, records):
            self.rows = [(r["id"], *search_text(r)) for r in records]

        def spans(self, needle):
            return [row for row in self.rows if needle in row[2]]

        def stream(self):
            return iter(self.rows)

    records = [{"id": "a", "type": "policy", "title": "the value of exports in June"},
               {"id": "b", "type": "person", "name": "Minister Lu Jun spoke"}]
    light = {r["id"]: r for r in records}.get
    assert [h.record["id"] for h in search(Texts(records), query, light=light)] == ["b"]
    records[1]["name"] = "Jun, then Lu"
    assert [h.record["id"] for h in search(Texts(records), query, light=light)] == ["b"]


def test_a_period_with_only_a_start_is_not_placed_at_it():
    from chinaind.records.figures import figure_date

    assert figure_date({"period": {"start": "2016", "end": None}}) is None
    assert figure_date({"period": {"start": "2018", "end": "2020"}}) == "2020"


@pytest.mark.parametrize("fmt", ["tsv", None])
def test_show_off_a_terminal_gives_the_whole_record(bundled, fmt):
    r = bundled("show", "MOA", *(("-f", fmt) if fmt else ()))
    assert r.exit_code == 0
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert ["MOA", "name", "Ministry of Agriculture and Rural Affairs"] in rows
    assert ["MOA", "editorial", "name|name_zh|short_name_zh|aliases"] in rows
    assert {row[1] for row in rows} >= {"type", "id", "name", "name_zh", "aliases", "kind", "sources"}


def test_show_csv_gives_the_whole_record(bundled):
    r = bundled("show", "MOA", "xpeng", "-f", "csv")
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0] == ["id", "field", "value"]
    assert ["xpeng", "kind", "firm"] in rows and ["MOA", "kind", "ministry"] in rows
    events = next(row for row in rows if row[:2] == ["xpeng", "events"])
    assert json.loads(events[2])["kind"] == "approval"


def test_show_table_in_a_pipe_shows_the_fields(bundled):
    r = bundled("show", "MOA", "-f", "table")
    lines = [line.rstrip() for line in r.stdout.splitlines()]
    assert "name (editorial)          Ministry of Agriculture and Rural Affairs" in lines


def test_chains_count_only_chain_programme_technologies(bundled):
    r = bundled("chains", "-f", "ids")
    assert r.exit_code == 0
    assert len(r.stdout.split()) == 16  # the 2022 notice's list, not the 16 technologies merely mentioned
    assert "5g" not in r.stdout.split() and "fiber-laser" in r.stdout.split()
    assert r.stderr == ("chinaind: note: 16 technologies mentioned outside a chain programme left out; "
                        "`chinaind list technologies` shows every technology\n")
    coverage = bundled("chains", "--coverage", "-f", "tsv").stdout.splitlines()
    assert coverage[-1].split("\t")[:2] == ["all", "16"]


def test_a_mentioned_technology_is_not_a_chain_without_firms(bundled):
    assert bundled("chain", "5g", "-f", "tree").stdout.splitlines()[1] == \
        "└── not a chain programme technology: the source only mentions it"
    r = bundled("chain", "semiconductor etching gas", "-f", "tree")
    assert r.stdout.splitlines()[1] == "└── no organisations named in the source"


def test_event_parties_and_parents_are_links(bundled):
    related = bundled("related", "CAAC", "--depth", "1", "-f", "tsv").stdout.splitlines()
    assert related == ["1\tcompany\txpeng\tXPeng Inc.\tCAAC -party_to_event_of-> xpeng"]
    assert "china-telecom -has_part-> china-telecom-research-arm" in bundled("related", "china-telecom").stdout
    assert "naura-technology" in bundled("related", "ymtc", "--depth", "1", "-f", "ids").stdout.split()
    graph = bundled("graph", "-f", "json")
    assert graph.exit_code == 0 and '"event_party"' in graph.stdout and '"parent"' in graph.stdout


def test_agency_tells_of_its_events(terminal):
    out = terminal("agency", "CAAC")
    assert "also party to 1 organisation event: xpeng (approval, 2023-01-31 (year inferred)); " \
           "`chinaind related CAAC` shows them" in out


def test_exports_hold_event_parties(bundled, tmp_path):
    import sqlite3

    db = tmp_path / "kb.db"
    assert bundled("export", "sqlite", str(db)).exit_code == 0
    rows = sqlite3.connect(db).execute("select organisation_id, party_id, party_type from event_party order by 1, 2").fetchall()
    assert rows == [("xpeng", "CAAC", "agency"), ("ymtc", "naura-technology", "company")]
