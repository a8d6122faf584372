"""Who says it (issue #19): the document itself, the newsletter's commentary, or a third party.
Marked on policies, figures and events; validated; shown by show, targets (which can keep one
voice), timeline and the exports; in the JSON Schema and the `new` skeletons."""

from __future__ import annotations

import json
import sqlite3

import pytest
from pydantic import ValidationError

from conftest import BUNDLED_KB

BASE = {"id": "p", "title": "t", "kind": "plan", "summary": "s", "sources": [{"source": "s", "section": "x"}]}
COMMENTARY_POLICIES = {"belt-and-road-initiative", "complete-industrial-chain-outline-2016",
                       "industrial-internet-plan-2018-2020", "internet-plus-advanced-manufacturing", "made-in-china-2025",
                       "miit-iot-standards-draft", "national-standardization-development-strategy",
                       "quality-superpower-strategy", "robotics-14th-five-year-plan",
                       "smart-manufacturing-14th-five-year-plan", "tsib-first-call-2017"}


@pytest.fixture
def bundled(run):
    def invoke(*args: str):
        r = run("--data-dir", str(BUNDLED_KB), *args, env={"COLUMNS": "200"})
        assert r.exit_code == 0, r.output
        return r.stdout

    return invoke


@pytest.mark.parametrize("extra", [{"stated_by": "commentary"}, {"stated_by": "document"},
                                   {"stated_by": "third-party", "according_to": "MIIT"}])
def test_valid_voices(extra):
    from chinaind.records.models import Policy

    Policy.model_validate({**BASE, **extra})
    Policy.model_validate({**BASE, "figures": [{"id": "f", "kind": "goal", "what": "w", **extra}]})


@pytest.mark.parametrize("extra, message", [
    ({"stated_by": "third-party"}, "according_to is missing"),
    ({"according_to": "MIIT"}, "stated_by is not third-party"),
    ({"stated_by": "commentary", "according_to": "MIIT"}, "stated_by is not third-party"),
])
def test_invalid_voices(extra, message):
    from chinaind.records.models import Policy

    with pytest.raises(ValidationError, match=message):
        Policy.model_validate({**BASE, **extra})
    with pytest.raises(ValidationError, match=message):
        Policy.model_validate({**BASE, "figures": [{"id": "f", "kind": "goal", "what": "w", **extra}]})


def test_commentary_only_records_are_marked(bundled):
    records = json.loads(bundled("list", "policies", "--undated", "include", "-f", "json"))
    assert {r["id"] for r in records if r["stated_by"] == "commentary"} == COMMENTARY_POLICIES


def test_targets_tell_goals_from_commentary(bundled):
    goals = json.loads(bundled("targets", "--undated", "include", "-f", "json"))
    commentary = {(g["record"]["id"], g["id"]) for g in goals if g["stated_by"] == "commentary"}
    assert commentary == {("smart-manufacturing-14th-five-year-plan", "indigenous-industrial-software-share"),
                          ("national-standardization-development-strategy", "national-tsibs"),
                          ("tsib-first-call-2017", "national-tsibs"), ("miit-iot-standards-draft", "iot-standards")}
    own = bundled("targets", "--undated", "include", "--stated-by", "document", "-f", "ids").split()
    assert "robot-plus-implementation-plan-2023" in own and not COMMENTARY_POLICIES & set(own)
    assert set(bundled("targets", "--undated", "include", "--stated-by", "commentary", "-f", "ids").split()) == \
        {rid for rid, _ in commentary}


def test_targets_rejects_an_unknown_voice(run):
    r = run("--data-dir", str(BUNDLED_KB), "targets", "--stated-by", "newsletter")
    assert r.exit_code == 2
    assert r.stderr == ("chinaind: targets --stated-by: unknown value 'newsletter'; "
                        "choose one of document, commentary, third-party\n")


def test_targets_table_says_who(bundled, monkeypatch):
    import chinaind.output.render

    monkeypatch.setattr(chinaind.output.render, "isatty", lambda stream: True)
    out = bundled("targets", "--stated-by", "commentary")
    assert out.splitlines()[1].rstrip().endswith("STATED BY")
    assert "newsletter commentary" in out


def test_timeline_says_who(bundled):
    lines = bundled("timeline", "--since", "2023-02-03", "--until", "2023-02-03").splitlines()
    telecom = next(line for line in lines if "china-telecom-research-arm" in line)
    assert telecom.endswith("(according to Yicai Global)")
    lines = bundled("timeline", "--since", "2017", "--until", "2017").splitlines()
    assert any(line.endswith("(newsletter commentary)") and "tsib-first-call-2017" in line for line in lines)


def test_exports_carry_who(bundled, tmp_path):
    db = tmp_path / "kb.db"
    bundled("export", "sqlite", str(db))
    con = sqlite3.connect(db)
    assert con.execute("select stated_by from policies where id = 'made-in-china-2025'").fetchone() == ("commentary",)
    assert con.execute("select stated_by, according_to from events where organisation_id = 'ymtc'").fetchone()[0] == \
        "third-party"
    assert con.execute("select count(*) from figures where stated_by is not null").fetchone() == (0,)


def test_schema_and_skeletons_offer_it():
    from chinaind.authoring.skeletons import json_schema

    schema = json.dumps(json_schema("policy"))
    assert '"stated_by"' in schema and "third-party" in schema and '"according_to"' in schema
    assert (BUNDLED_KB / "schema" / "policy.json").read_text(encoding="utf-8").count("third-party") >= 2


def test_new_skeleton_mentions_it(run, tmp_path):
    kb = tmp_path / "kb"
    assert run("init", str(kb)).exit_code == 0
    assert run("--data-dir", str(kb), "new", "policy", "some-plan").exit_code == 0
    text = (kb / "policies" / "some-plan.yaml").read_text(encoding="utf-8")
    assert "# stated_by: commentary" in text and "according_to" in text
