"""Typed links (issue #19): between documents (implements, part of, follows, extends, responds
to, supersedes, refers to) and between organisations (subsidiary of, supplier of ...), each
with who says it; validated, walked by related and graph, exported, offered by `new`."""

from __future__ import annotations

import json
import sqlite3

import pytest
from pydantic import ValidationError

from conftest import BUNDLED_KB

BASE = {"id": "p", "title": "t", "kind": "plan", "summary": "s", "sources": [{"source": "s", "section": "x"}]}


@pytest.fixture
def bundled(run):
    def invoke(*args: str):
        r = run("--data-dir", str(BUNDLED_KB), *args)
        assert r.exit_code == 0, r.output
        return r.stdout

    return invoke


@pytest.mark.parametrize("relation", ["implements", "part-of", "follows", "extends", "responds-to", "supersedes", "refers-to"])
def test_document_relations(relation):
    from chinaind.records.models import Policy

    p = Policy.model_validate({**BASE, "links": [{"to": "q", "relation": relation}]})
    assert p.links[0].relation == relation


@pytest.mark.parametrize("links, refers_to, message", [
    ([{"to": "p", "relation": "follows"}], [], "is this record itself"),
    ([{"to": "q", "relation": "follows"}], ["q"], "is also in refers_to; list it once"),
    ([{"to": "q", "relation": "follows", "stated_by": "third-party"}], [], "according_to is missing"),
    ([{"to": "q", "relation": "obeys"}], [], "Input should be"),
])
def test_invalid_document_links(links, refers_to, message):
    from chinaind.records.models import Policy

    with pytest.raises(ValidationError, match=message):
        Policy.model_validate({**BASE, "links": links, "refers_to": refers_to})


def test_an_unknown_relation_is_not_taken_for_another():
    from chinaind.records.validate import validate_file

    text = "id: p\ntitle: T\nkind: plan\nsummary: S\nlinks: [{to: q, relation: replaces}]\nsources: [{source: s, section: x}]\n"
    _, problems = validate_file(text.encode(), "p.yaml", "policy", "p")
    (problem,) = problems
    assert "did you mean" not in problem.message and "allowed: implements, part-of, follows" in problem.message


def test_organisation_links():
    from chinaind.records.models import Organisation

    org = {"id": "o", "name": "O", "sources": [{"source": "s", "section": "x"}]}
    assert Organisation.model_validate({**org, "links": [{"to": "y", "relation": "supplier-of"}]}).links[0].to == "y"
    with pytest.raises(ValidationError, match="is this record itself"):
        Organisation.model_validate({**org, "links": [{"to": "o", "relation": "partner-of"}]})


def test_a_dangling_link_is_located(run, kb_copy):
    path = kb_copy / "policies" / "robot-plus.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("summary:", "links:\n  - {to: no-such-plan, relation: implements}\nsummary:", 1),
                    encoding="utf-8")
    r = run("validate", str(kb_copy))
    assert r.exit_code == 3
    assert "links.0.to: unknown policy 'no-such-plan'" in r.stdout


def test_related_and_graph_walk_typed_links(bundled):
    out = bundled("related", "robotics-14th-five-year-plan", "--depth", "1", "-f", "tsv").splitlines()
    assert ("1\tpolicy\trobot-plus-implementation-plan-2023\tImplementation Plan for \"Robot +\" Application Actions\t"
            "robotics-14th-five-year-plan -implemented_by-> robot-plus-implementation-plan-2023") in out
    graph = json.loads(bundled("graph", "-f", "json"))
    kinds = {(e["source"], e["target"], e["kind"]) for e in graph["links"]}
    assert ("complete-industrial-chain-notice-2022", "complete-industrial-chain-outline-2016", "follows") in kinds
    assert ("naura-technology", "ymtc", "supplier-of") in kinds


def test_exports_hold_typed_links(bundled, tmp_path):
    db = tmp_path / "kb.db"
    bundled("export", "sqlite", str(db))
    con = sqlite3.connect(db)
    rows = con.execute("select policy_id, to_id, relation, stated_by from policy_link order by 1, 2").fetchall()
    assert ("robot-plus-implementation-plan-2023", "robotics-14th-five-year-plan", "implements", "commentary") in rows
    assert con.execute("select organisation_id, to_id, relation from organisation_link").fetchall() == \
        [("naura-technology", "ymtc", "supplier-of")]


def test_show_prints_links(bundled, monkeypatch):
    (record,) = json.loads(bundled("show", "robot-plus-implementation-plan-2023", "-f", "json"))
    assert record["links"] == [{"to": "robotics-14th-five-year-plan", "relation": "implements", "stated_by": "commentary",
                                "according_to": None, "note": 'MERICS says "Robot+" entered that plan as a new measure'}]
    import chinaind.output.render

    monkeypatch.setattr(chinaind.output.render, "isatty", lambda stream: True)
    table = " ".join(bundled("show", "robot-plus-implementation-plan-2023").split())
    assert "links - to: robotics-14th-five-year-plan; relation: implements; stated_by: commentary; note:" in table


def test_new_skeletons_offer_links(run, tmp_path):
    kb = tmp_path / "kb"
    assert run("init", str(kb)).exit_code == 0
    assert run("--data-dir", str(kb), "new", "policy", "p1").exit_code == 0
    assert run("--data-dir", str(kb), "new", "company", "c1").exit_code == 0
    policy = (kb / "policies" / "p1.yaml").read_text(encoding="utf-8")
    company = (kb / "companies" / "c1.yaml").read_text(encoding="utf-8")
    assert "relation: implements" in policy and "supersedes" in policy
    assert "relation: supplier-of" in company and "subsidiary-of" in company
