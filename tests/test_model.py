"""The second record format: dates with roles, figures, people, sources, editorial marks,
undated records reported by date filters, migration from the first format, authoring help."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from chinaind.records import dates
from chinaind.records.figures import baseline_text, figure_text, number_text
from chinaind.records.validate import validate_file
from conftest import FIXTURE_KB

OLD_KB = Path(__file__).resolve().parent / "fixtures" / "old_kb"
NOTE = "chinaind: note: {} without {} left out; --undated include shows them, --undated only lists them\n"


# --- figures as people write them -------------------------------------------------------------
@pytest.mark.parametrize("figure, text", [
    ({"value": 2000000000000, "currency": "CNY"}, "CNY 2 trillion"),
    ({"value": 190000000, "currency": "USD"}, "USD 190 million"),
    ({"value": 1150000, "unit": "base stations"}, "1.15 million base stations"),
    ({"value": 1557, "unit": "firms"}, "1,557 firms"),
    ({"value": 26, "unit": "doctors", "per": {"value": 10000, "unit": "people"}}, "26 doctors per 10,000 people"),
    ({"value": 200, "unit": "applications", "comparator": "more-than"}, "more than 200 applications"),
    ({"value": 70, "unit": "percent", "comparator": "up-to"}, "up to 70 percent"),
    ({"change": {"factor": 2}}, "double"),
    ({"change": {"percent": 20}, "comparator": "at-least"}, "at least +20%"),
    ({"value": 100, "unit": "bases", "change": {"factor": 2}}, "100 bases (double)"),
    ({}, ""),
])
def test_figure_text(figure, text):
    assert figure_text(figure) == text


def test_baseline_text():
    assert baseline_text({"baseline": {"year": 2020}}) == "2020 level"
    assert baseline_text({"baseline": {"year": 2020, "value": 246, "unit": "robots", "approximate": True}}) == "about 246 robots in 2020"


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**15))
def test_number_text_reads_back(n):
    """The words a number is printed with always stand for exactly that number."""
    text = number_text(n)
    scale = {"million": 10**6, "billion": 10**9, "trillion": 10**12}
    head, _, word = text.partition(" ")
    value = float(head.replace(",", "")) * scale.get(word, 1)
    assert round(value) == n


# --- dates ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, shown", [("--01", "January, year not stated"), ("--01-29", "January 29, year not stated"),
                                         ("2023-01-29", "2023-01-29")])
def test_yearless_dates(text, shown):
    assert dates.check_stated(text) == text and dates.describe(text) == shown
    assert dates.overlaps(text, None, None) and (dates.is_yearless(text) == text.startswith("--"))


@pytest.mark.parametrize("bad", ["--13", "--02-30", "---01", "January"])
def test_bad_stated_dates(bad):
    with pytest.raises(ValueError):
        dates.check_stated(bad)


POLICY = ("id: p\ntitle: T\nkind: plan\nsummary: s\n{extra}sources:\n  - source: s\n    section: x\n")


def validate(extra: str) -> tuple[dict | None, list[str]]:
    record, problems = validate_file(POLICY.format(extra=extra).encode(), "p.yaml", "policy", "p")
    return record, [f"{p.line}:{p.col}: {p.message}" for p in problems]


def test_primary_date_is_issued_else_first_dated():
    record, _ = validate("dates:\n  - {role: reported, date: 2023-02-03}\n  - {role: issued, date: 2023-01}\n")
    assert record["date"] == "2023-01"
    record, _ = validate("dates:\n  - {role: issued, date: --01-29}\n  - {role: reported, date: 2023-02-03}\n")
    assert record["date"] == "2023-02-03"  # a date without a year cannot stand for the record
    record, _ = validate("")
    assert record["date"] is None


@pytest.mark.parametrize("extra, problem", [
    ("dates:\n  - {role: issued, date: --01, year_inferred: true}\n",
     "6:47: dates.0: year_inferred is true but the date has no year; write the inferred year, or drop year_inferred"),
    ("period: {start: 2035, end: 2021}\n", "5:28: period: end 2021 is before start 2035; swap them or correct one"),
    ("figures:\n  - {id: a, kind: goal, what: w, unit: robots}\n",
     "6:40: figures.0: unit, currency or per is given without a value; add the value or remove them"),
    ("figures:\n  - {id: a, kind: goal, what: w, change: {factor: 2, percent: 5}}\n",
     "6:51: figures.0.change: factor and percent are both given, or neither; give one: {factor: 2} doubles, "
     "{percent: 20} adds 20 percent"),
    ("figures:\n  - {id: a, kind: tally, what: w, value: 1, named: [x, y]}\n",
     "6:42: figures.0: value is 1 but 2 items are named; raise the value or remove names"),
    ("figures:\n  - {id: a, kind: goal, what: w, part_of: b}\n",
     "5:1: figures: 'a' is part_of 'b', which is not another figure of this record; use one of: none"),
    ("editorial: [name_zh]\n",
     "5:12: editorial names 'name_zh', which is not a field of this record; name fields such as: dates, title, "
     "title_descriptive, title_zh, kind, draft, period, places, issuers, issuers_total, republished_by, sectors, technologies, "
     "organisations, people, figures, terms, refers_to, links, summary, analysis, stated_by, according_to"),
    ("figures:\n  - {id: a, kind: goal, what: TODO what is aimed at}\n",
     "6:31: figures.0.what: still the placeholder TODO; write the value"),
])
def test_model_problems(extra, problem):
    record, problems = validate(extra)
    assert record is None and problems == [problem]


# --- queries on the fixture -------------------------------------------------------------------
def test_undated_policies_are_counted_and_can_be_asked_for(fx):
    r = fx("agency", "MIIT", "--since", "2023", "-f", "ids")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "miit-month-item\nrobot-plus\ncic-notice-2022\n",
                                                 NOTE.format("1 policy", "a date"))
    r = fx("agency", "MIIT", "--since", "2023", "--undated", "include", "-f", "ids")
    assert (r.stdout, r.stderr) == ("miit-month-item\nrobot-plus\ncic-notice-2022\nfuture-roadmap\n", "")
    r = fx("agency", "MIIT", "--undated", "only", "-f", "ids")
    assert (r.stdout, r.stderr) == ("future-roadmap\n", "")
    r = fx("agency", "MIIT", "-f", "ids")  # no date filter: nothing left out, nothing to say
    assert r.stderr == "" and "future-roadmap" in r.stdout


def test_undated_note_is_in_the_table_footer_on_a_terminal(fx, monkeypatch):
    import chinaind.cli.running
    import chinaind.output.render

    monkeypatch.setattr(chinaind.output.render, "isatty", lambda stream: True)
    monkeypatch.setattr(chinaind.cli.running, "isatty", lambda stream: True)
    r = fx("agency", "MIIT", "--since", "2023", env={"COLUMNS": "120"})
    assert r.stderr == "" and "1 policy without a date left out" in r.stdout.splitlines()[-1]


@pytest.mark.parametrize("fmt", ["tsv", "csv", "json", "jsonl", "yaml", "ids", "table"])
def test_undated_note_on_stderr_in_every_format_off_a_terminal(fx, fmt):
    r = fx("list", "policies", "--since", "2023", "-f", fmt)
    assert r.exit_code == 0 and r.stderr == NOTE.format("2 policies", "a date")
    assert "left out" not in r.stdout


def test_date_role(fx):
    r = fx("list", "policies", "--date-role", "effective", "--since", "2023-07", "-f", "ids")
    assert (r.stdout, r.stderr) == ("inferred-news\n", NOTE.format("6 policies", "an effective date"))
    r = fx("list", "policies", "--date-role", "period", "--since", "2030", "-f", "tsv")
    assert r.stdout == "future-roadmap\t2021/2035\tplan\tMIIT\t7\tRoadmap for future industries\n"
    r = fx("list", "policies", "--date-role", "period", "--since", "2030", "-f", "csv")
    assert r.stdout.splitlines()[0] == "id,period_date,kind,issuers,issuers_total,title"
    r = fx("list", "policies", "--date-role", "signed")
    assert r.exit_code == 2 and r.stderr.startswith("chinaind: --date-role: unknown role 'signed'; choose one of issued,")
    assert fx("list", "policies", "--undated", "sometimes").exit_code == 2


def test_targets_lists_goals_not_tallies_or_statistics(fx):
    goals = json.loads(fx("targets", "-f", "json").stdout)
    assert {g["kind"] for g in goals} == {"goal"}
    assert "investment" not in {g["id"] for g in goals} and "priorities" not in {g["id"] for g in goals}
    landscape = next(g for g in goals if g["id"] == "landscape")
    assert (landscape["value"], landscape["deadline"]) == (None, "2027")
    r = fx("targets", "--due-by", "2030", "-f", "ids")
    assert r.stderr == ""  # every goal of the fixture has a deadline


def test_goals_without_deadline_are_counted(run, kb_copy):
    path = kb_copy / "policies" / "sac-guideline.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "figures:\n", "figures:\n  - {id: open, kind: goal, what: an open-ended goal}\n"), encoding="utf-8")
    r = run("--data-dir", str(kb_copy), "targets", "--due-by", "2030", "-f", "ids")
    assert r.stderr == NOTE.format("1 goal", "a deadline") and "sac-guideline" in r.stdout
    r = run("--data-dir", str(kb_copy), "targets", "--undated", "only", "-f", "json")
    assert [g["id"] for g in json.loads(r.stdout)] == ["open"]


def test_tallies_and_statistics_in_search_and_timeline(fx):
    assert "future-roadmap" in fx("search", "digital infrastructure", "-f", "ids").stdout
    assert "future-roadmap" in fx("search", "双循环", "-f", "ids").stdout
    line = next(x for x in fx("timeline").stdout.splitlines() if "\tstatistic\t" in x)
    assert line == "2020\tstatistic\tfuture-roadmap\tinvestment in digital infrastructure under the predecessor plan: CNY 70 billion"


def test_person_and_source(fx):
    r = fx("person", "li ming")
    assert r.stdout == ("post\tMIIT\t2022-07/\tMinister\tMinistry of Industry and Information Technology\n"
                        "named in (author of the explanatory article)\tfuture-roadmap\t\tRoadmap for future industries\t\n"
                        "author\ttest-web-page\t\tRoadmap + Standards\t\n")
    src = json.loads(fx("show", "test-web-page", "-f", "json").stdout)[0]
    assert [(c["id"], c["section"]) for c in src["cited_by"]] == [("future-roadmap", "item 1"), ("li-ming", "item 1")]
    assert fx("search", "roadmap for future industries", "-f", "ids").stdout.splitlines()[:2] == ["future-roadmap", "test-web-page"]
    r = fx("person", "Nobody Atall")
    assert r.exit_code == 1 and r.stderr.startswith("chinaind: no person matches 'Nobody Atall'")


def test_show_marks_editorial_and_inferred_on_a_terminal(fx, monkeypatch):
    import chinaind.output.render

    monkeypatch.setattr(chinaind.output.render, "isatty", lambda stream: True)
    out = fx("show", "future-roadmap", "inferred-news", "-f", "table", env={"COLUMNS": "150", "NO_COLOR": "1"}).stdout
    assert "sectors (editorial)" in out and "title (descriptive)" in out
    assert "issued: January, year not stated" in out and "issued: 2023-01-29 (year inferred)" in out
    assert "- statistic investment: investment in digital infrastructure under the predecessor plan: CNY 70 billion (2018/2020)" in out


# --- migration --------------------------------------------------------------------------------
def test_old_format_is_reported_with_the_way_out(run):
    r = run("validate", str(OLD_KB))
    assert r.exit_code == 3
    assert r.stdout.splitlines()[2] == (
        f"{OLD_KB}/policies/old-plan.yaml:5:7: written in chinaind's first record format (date -> dates (role: issued); "
        "targets -> figures (2 goals); sources -> citations of source records); upgrade the knowledge base with "
        "`chinaind migrate DIR` (`--dry-run` shows the changes first)")


def test_migrate_dry_run_then_upgrade_losing_nothing(run, tmp_path):
    kb = tmp_path / "old"
    shutil.copytree(OLD_KB, kb)
    before = {p: p.read_bytes() for p in kb.rglob("*.yaml")}
    dry = run("migrate", str(kb), "--dry-run")
    assert dry.exit_code == 0 and {p: p.read_bytes() for p in kb.rglob("*.yaml")} == before
    assert dry.stdout.splitlines() == [
        "agencies/MIIT.yaml\tsources -> citations of source records",
        "companies/acme.yaml\tevent date -> dates (role: occurred)",
        "companies/acme.yaml\tsources -> citations of source records",
        "policies/old-plan.yaml\tdate -> dates (role: issued)",
        "policies/old-plan.yaml\ttargets -> figures (2 goals)",
        "policies/old-plan.yaml\tsources -> citations of source records",
        "sources/test-gazette-2023-03-01.yaml\tnew source record",
    ]
    assert run("migrate", str(kb)).exit_code == 0
    valid = run("validate", str(kb))
    assert (valid.exit_code, valid.stdout) == (0, f"valid: 5 records in {kb} (1 agency, 1 company, 1 policy, 1 sector, 1 source)\n")
    plan = json.loads(run("--data-dir", str(kb), "show", "old-plan", "-f", "json").stdout)[0]
    assert plan["dates"] == [{"role": "issued", "date": "2023-01-19", "year_inferred": False, "note": None}]
    assert [(f["id"], f["what"], f["value"], f["comparator"]) for f in plan["figures"]] == [
        ("density", "robot density", 492, None), ("apps", "applications", 200, "more-than")]
    assert plan["sources"] == [{"source": "test-gazette-2023-03-01", "section": "Item 1", "url": "https://example.org/item-1"}]
    text = (kb / "policies" / "old-plan.yaml").read_text(encoding="utf-8")
    assert "# a comment the editors left" in text and text.startswith("# yaml-language-server:")
    acme = json.loads(run("--data-dir", str(kb), "show", "acme", "-f", "json").stdout)[0]
    assert acme["events"][0]["summary"] == "Listed on NO exchange." and acme["events"][0]["date"] == "2023-02-09"
    again = run("migrate", str(kb))
    assert (again.exit_code, again.stdout) == (0, "")


def test_bundled_data_is_in_the_current_format(run):
    r = run("migrate", str(Path(__file__).resolve().parent.parent / "data"), "--dry-run")
    assert (r.exit_code, r.stdout) == (0, "")


# --- authoring --------------------------------------------------------------------------------
@pytest.mark.parametrize("wrong, hint", [
    ("MOFCOM", "add agencies/MOFCOM.yaml (e.g. chinaind new agency MOFCOM), or fix the id"),
    ("miit", "add agencies/miit.yaml (e.g. chinaind new agency miit), or fix the id; closest: MIIT"),
    ("MIITT", "add agencies/MIITT.yaml (e.g. chinaind new agency MIITT), or fix the id; closest: MIIT"),
])
def test_unknown_ids_say_how_to_add_them_and_only_truly_close_ids(run, kb_copy, wrong, hint):
    path = kb_copy / "policies" / "sac-guideline.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  - SAC\n", f"  - {wrong}\n"), encoding="utf-8")
    r = run("validate", str(kb_copy))
    assert r.exit_code == 3 and r.stdout == f"{path}:8:5: issuers.0: unknown agency '{wrong}'; {hint}\n"


def test_validate_json_gives_problems_as_data(run, kb_copy):
    (kb_copy / "sectors" / "quantum.yaml").write_text("id: quantum\nname: TODO\n", encoding="utf-8")
    r = run("validate", str(kb_copy), "-f", "json")
    assert r.exit_code == 3
    assert json.loads(r.stdout) == [{"path": str(kb_copy / "sectors" / "quantum.yaml"), "line": 2, "col": 7,
                                     "message": "name: still the placeholder TODO; write the value"}]


def test_field_and_reference_problems_of_one_file_come_together(run, kb_copy):
    path = kb_copy / "policies" / "sac-guideline.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("kind: guideline", "kind: guidelines").replace("  - SAC\n", "  - MOFCOM\n"), encoding="utf-8")
    hint = "issuers.0: unknown agency 'MOFCOM'; add agencies/MOFCOM.yaml (e.g. chinaind new agency MOFCOM), or fix the id"
    for _ in range(2):  # first build, then from the cache
        r = run("validate", str(kb_copy))
        assert r.exit_code == 3
        assert [line.split(": ", 1)[0].rsplit(":", 2)[1:] for line in r.stdout.splitlines()] == [["3", "7"], ["8", "5"]]
        assert r.stdout.splitlines()[1] == f"{path}:8:5: {hint}"
    path.write_text(text.replace("  - SAC\n", "  - MOFCOM\n"), encoding="utf-8")  # the kind fixed, the id not
    r = run("validate", str(kb_copy))
    assert (r.exit_code, r.stdout) == (3, f"{path}:8:5: {hint}\n")
