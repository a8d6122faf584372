"""Authoring that never misleads (issue #19): a "did you mean" only for a near-typo, every problem
of a file in one run, an id held by an invalid file said so, "delete the line" only for optional
fields, date messages naming every accepted form, help texts listing every kind, valid examples."""

from __future__ import annotations


import pytest
import yaml

from chinaind.records.kinds import FOLDERS, KINDS_TEXT, RECORD_TYPES
from chinaind.records.text import near_typos
from chinaind.records.validate import validate_file

ROLES = ["issued", "adopted", "announced", "published", "reported", "effective", "occurred"]  # before #19
COMPARATORS = ["exactly", "at-least", "more-than", "up-to", "about", "almost", "nearly"]
KINDS = ["approval", "launch", "ipo", "order-cancellation", "hiring", "development", "other", "announcement"]


@pytest.mark.parametrize("value, allowed, expected", [
    ("issuedd", ROLES, ["issued"]),
    ("isued", ROLES, ["issued"]),
    ("reproted", ROLES, ["reported"]),
    ("at least", COMPARATORS, ["at-least"]),
    ("almost", COMPARATORS[:5], []),        # another meaning, never offered
    ("extended", ROLES, []),
    ("agreement", KINDS, []),
    ("more", COMPARATORS, []),
    ("titel", ["title", "kind"], ["title"]),
])
def test_did_you_mean_only_for_a_near_typo(value, allowed, expected):
    assert near_typos(value, allowed) == expected


def policy(text: str) -> list[str]:
    record, problems = validate_file(text.encode(), "p.yaml", "policy", "p")
    assert record is None
    return [f"{p.line}:{p.col}: {p.message}" for p in problems]


BASE = "id: p\ntitle: T\nsummary: S\nsources: [{source: s, section: x}]\n"


def test_an_unknown_value_of_another_meaning_lists_the_allowed_values():
    (problem,) = policy(BASE + "kind: plan\ndates: [{role: renewed, date: 2023}]\n")
    assert "did you mean" not in problem  # not 'reported': another meaning
    assert problem.endswith("'renewed' is not allowed; use one of the allowed values (allowed: issued, adopted, "
                            "announced, published, reported, effective, occurred, extended, circulated, started)")


def test_every_record_level_problem_in_one_run():
    problems = policy(BASE + "kind: plan\nissuers: [MIIT, NDRC]\nissuers_total: 1\neditorial: [nonsense]\n"
                      "figures: [{id: a, kind: goal, what: w}, {id: a, kind: goal, what: v, part_of: b}]\n")
    joined = "\n".join(problems)
    assert "issuers_total is 1 but 2 issuers are named" in joined
    assert "editorial names 'nonsense'" in joined
    assert "figures: id 'a' is used twice" in joined
    assert "is part_of 'b'" in joined
    assert len(problems) == 4


def test_delete_the_line_only_for_optional_fields():
    problems = policy("id: p\ntitle: TODO\nkind: plan\nsummary: S\nanalysis: TODO\nsources: [{source: s, section: TODO}]\n")
    assert problems == ["2:8: title: still the placeholder TODO; write the value",
                        "5:11: analysis: still the placeholder TODO; write the value, or delete the line",
                        "6:32: sources.0.section: still the placeholder TODO; write the value"]


@pytest.mark.parametrize("value", ["January 2023", "2023/01", "23-01-19"])
def test_a_stated_date_message_names_every_form(value):
    (problem,) = policy(BASE + f"kind: plan\ndates: [{{role: issued, date: '{value}'}}]\n")
    assert "YYYY, YYYY-MM or YYYY-MM-DD, or --MM / --MM-DD when the source gives no year" in problem


def test_a_date_without_yearless_forms_does_not_offer_them():
    (problem,) = policy(BASE + "kind: plan\nperiod: {start: 'January 2023'}\n")
    assert "use YYYY, YYYY-MM or YYYY-MM-DD" in problem and "--MM" not in problem


def test_an_id_held_by_an_invalid_file_says_so(run, kb_copy):
    (kb_copy / "agencies" / "MOFCOM.yaml").write_text("id: MOFCOM\nname: Ministry of Commerce\nkind: ministry\n",
                                                       encoding="utf-8")
    policy_file = kb_copy / "policies" / "robot-plus.yaml"
    text = policy_file.read_text(encoding="utf-8")
    assert "issuers:\n  - MIIT\n" in text
    policy_file.write_text(text.replace("issuers:\n  - MIIT\n", "issuers:\n  - MOFCOM\n", 1), encoding="utf-8")
    r = run("validate", str(kb_copy))
    assert r.exit_code == 3
    dangling = [line for line in r.stdout.splitlines() if "unknown agency 'MOFCOM'" in line]
    assert dangling and all(line.endswith("; agencies/MOFCOM.yaml holds this id but is invalid (its problems are "
                                          "listed too); fix that file") for line in dangling)
    assert "chinaind new agency MOFCOM" not in r.stdout


def test_kinds_text_lists_every_kind():
    assert KINDS_TEXT == "policy, company, technology, agency, sector, person or source"
    assert all(kind in KINDS_TEXT for kind in RECORD_TYPES)


@pytest.mark.parametrize("command", [("new", "--help"), ("schema", "--help"), ("search", "--help")])
def test_help_texts_list_every_kind(run, command):
    text = " ".join(run(*command, env={"COLUMNS": "300"}).stdout.split())
    assert KINDS_TEXT in text, command


def test_source_skeleton_examples_are_valid_yaml(run, tmp_path):
    kb = tmp_path / "kb"
    assert run("init", str(kb)).exit_code == 0
    assert run("--data-dir", str(kb), "new", "source", "some-issue").exit_code == 0
    text = (kb / FOLDERS["source"] / "some-issue.yaml").read_text(encoding="utf-8")
    (headline,) = [line for line in text.splitlines() if "section:" in line and "text:" in line]
    example = yaml.safe_load(headline.lstrip("# ").split("  #")[0].removeprefix("- "))
    assert example == {"section": "Top 5, item 1", "text": "the headline"}


@pytest.mark.parametrize("org_kind, event_kind", [("fund", "investigation"), ("exchange", "sanction")])
def test_organisation_and_event_kinds_the_readme_recommends(org_kind, event_kind):
    from chinaind.records.models import Organisation

    org = Organisation.model_validate({"id": "o", "name": "O", "kind": org_kind, "sources": [{"source": "s", "section": "x"}],
                                       "events": [{"kind": event_kind, "summary": "s", "people": ["p"],
                                                   "sources": [{"source": "s", "section": "x"}]}]})
    assert (org.kind, org.events[0].kind) == (org_kind, event_kind)


def test_readme_guides_the_choices():
    from conftest import REPO

    text = (REPO / "README.md").read_text(encoding="utf-8")
    guide = text.split("### How to record ...", 1)[1].split("\n## ", 1)[0]
    for choice in ("a fund.", "a fund's phase.", "an investigation of a person.", "the section of an unnumbered page.",
                   "a publication the page does not name.", "who says it."):
        assert f"**... {choice}**" in guide, choice
