"""`chinaind draft`: every input kind, the source and items it finds, linking (exact only),
dates and figures in every form the model holds, the marks validate reports, bad inputs,
and the never-overwrite rule. The texts are the project's own fixtures, not the sources."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURE_KB

DRAFTS = Path(__file__).resolve().parent / "fixtures" / "draft"
NEWSLETTER = DRAFTS / "newsletter.txt"


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    dest = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, dest)
    return dest


def draft_json(run, kb: Path, *args: str, input: str | None = None) -> list[dict]:
    result = run("draft", *args, "-d", str(kb), "-f", "json", input=input)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def by_id(drafted: list[dict]) -> dict[str, dict]:
    return {d["id"]: d for d in drafted}


# --- the newsletter -----------------------------------------------------------------------------
def test_newsletter_source_items_and_links(run, kb):
    drafted = by_id(draft_json(run, kb, str(NEWSLETTER)))
    source = drafted["merics-china-industries-2024-04-03"]["record"]
    assert source["publication"] == "MERICS China Industries" and source["kind"] == "newsletter-issue"
    assert source["issue_date"] == "2024-04-03" and source["authors"] == ["jane-doe"]
    assert source["headlines"] == [{"section": "Top 5, item 1", "text": "Factories get smarter: a plan for industrial robots"}]
    plan = drafted["action-plan-for-smart-robot-factories-2024"]["record"]
    assert plan["title"] == "Action Plan for Smart Robot Factories" and plan["kind"] == "plan"
    assert plan["title_zh"] == "工业和信息化部等九部门关于印发《智能机器人工厂行动方案》的通知"
    assert plan["dates"] == [{"role": "issued", "date": "2024-03-12"}]
    assert plan["issuers"] == ["MIIT", "NDRC", "SAC"] and plan["issuers_total"] == 9  # SAC is not SASAC
    assert plan["sources"] == [{"source": "merics-china-industries-2024-04-03", "section": "Top 5, item 1"}]
    assert plan["summary"].startswith("TODO") and plan["analysis"].startswith("TODO")


def test_goals_with_every_part(run, kb):
    plan = by_id(draft_json(run, kb, str(NEWSLETTER)))["action-plan-for-smart-robot-factories-2024"]["record"]
    density, engineers, zones = plan["figures"]
    assert {k: density[k] for k in ("kind", "value", "unit", "per", "deadline", "change", "baseline")} == {
        "kind": "goal", "value": 600, "unit": "robots", "per": {"value": 10000, "unit": "manufacturing workers"},
        "deadline": "2027", "change": {"factor": 2}, "baseline": {"year": 2020}}
    assert (engineers["value"], engineers["unit"], engineers["comparator"], engineers["deadline"]) == (50000, "robot engineers", "at-least", "2026")
    assert (zones["value"], zones["comparator"], zones["kind"]) == (30, "up-to", "goal") and "deadline" not in zones


def test_commentary_figures_are_left_to_the_analyst(run, kb):
    result = run("draft", str(NEWSLETTER), "-d", str(kb), "--dry-run", "-f", "json")
    plan = by_id(json.loads(result.stdout))["action-plan-for-smart-robot-factories-2024"]["record"]
    assert all(f["value"] != 40 for f in plan["figures"])
    assert "chinaind: note: left to you: line 23: MERICS comment: The plan follows earlier efforts" in result.stderr


def test_noteworthy_dates_take_the_issue_year_marked_inferred(run, kb):
    drafted = draft_json(run, kb, str(NEWSLETTER))
    news = [d["record"] for d in drafted if d["section"] == "Noteworthy, Policy news" and d["kind"] == "policy"]
    assert [(n["dates"], n["issuers"], n["kind"], n.get("title_descriptive")) for n in news] == [
        ([{"role": "issued", "date": "2024-03-05", "year_inferred": True}], ["SASAC"], "notice", True),
        ([{"role": "issued", "date": "2024-02-28", "year_inferred": True}], ["MOFCOM"], "measures", True)]


def test_new_names_are_proposed_with_only_what_the_text_gives(run, kb):
    drafted = by_id(draft_json(run, kb, str(NEWSLETTER)))
    assert drafted["MOFCOM"]["new"] is True
    assert {k: v for k, v in drafted["MOFCOM"]["record"].items() if k != "sources"} == {
        "id": "MOFCOM", "name": "Ministry of Commerce", "aliases": ["MOFCOM"], "kind": "ministry"}
    zhongtian = drafted["zhongtian-iron-and-steel-group"]["record"]
    assert zhongtian["name"] == "Zhongtian Iron and Steel Group" and "kind" not in zhongtian and "country" not in zhongtian
    event = zhongtian["events"][0]
    assert (event["kind"], event["amount"], event["currency"]) == ("ipo", 350000000, "CNY")
    assert event["dates"] == [{"role": "occurred", "date": "2024-03-20", "year_inferred": True}]


def test_an_existing_record_is_never_rewritten(run, kb):
    """A new fact about a record the base has is listed for the analyst, not written."""
    (kb / "companies" / "zhongtian.yaml").write_text(
        "id: zhongtian\nname: Zhongtian Iron and Steel Group\nsources:\n  - source: test-web-page\n    section: x\n", encoding="utf-8")
    before = (kb / "companies" / "zhongtian.yaml").read_bytes()
    result = run("draft", str(NEWSLETTER), "-d", str(kb), "-f", "ids")
    assert result.exit_code == 0, result.stderr
    assert (kb / "companies" / "zhongtian.yaml").read_bytes() == before
    assert "an event of zhongtian, which the knowledge base has: add it to its record by hand" in result.stderr
    assert "zhongtian" not in result.stdout.split()


# --- what it writes and how it is confirmed -----------------------------------------------------
def test_validate_reports_every_unconfirmed_value_until_confirmed(run, kb):
    drafted = draft_json(run, kb, str(NEWSLETTER))
    paths = [Path(d["path"]) for d in drafted if d["new"]]
    assert all(p.is_file() for p in paths)
    report = run("validate", str(kb))
    assert report.exit_code == 3
    marks = [line for line in report.stdout.splitlines() if "not yet confirmed" in line]
    assert len(marks) == sum(len(d["unconfirmed"]) for d in drafted if d["new"])
    assert re.search(r"policies/action-plan-for-smart-robot-factories-2024\.yaml:\d+:\d+: issuers\[?.*not yet confirmed", report.stdout) or \
        any("action-plan-for-smart-robot-factories-2024.yaml" in m and "- MIIT" in m for m in marks)
    # The analyst confirms: every mark deleted, every TODO written.
    for path in paths:
        text = re.sub(r"  # UNCONFIRMED: .*", "", path.read_text(encoding="utf-8"))
        text = re.sub(r'^(\s*(?:- )?[\w-]+: )"?TODO[^\n]*$', r"\1Written by the analyst.", text, flags=re.M)
        text = text.replace("kind: Written by the analyst.", "kind: other")
        path.write_text(text, encoding="utf-8")
    confirmed = run("validate", str(kb))
    assert confirmed.exit_code == 0, confirmed.stdout
    found = run("--data-dir", str(kb), "agency", "MOFCOM", "-f", "ids")
    assert found.stdout.split() == ["mofcom-measures-2024"]


def test_drafted_files_hold_no_sentence_of_the_text_once_confirmed(run, kb):
    drafted = draft_json(run, kb, str(NEWSLETTER))
    source_words = NEWSLETTER.read_text(encoding="utf-8").split()
    runs = {" ".join(source_words[i:i + 10]) for i in range(len(source_words) - 9)}
    for d in drafted:
        if not d["new"]:
            continue
        kept = re.sub(r"  # UNCONFIRMED: .*", "", Path(d["path"]).read_text(encoding="utf-8"))
        kept = " ".join(kept.split())
        assert not [r for r in runs if r in kept], d["path"]


def test_dry_run_writes_nothing(run, kb):
    before = sorted(p.relative_to(kb) for p in kb.rglob("*"))
    result = run("draft", str(NEWSLETTER), "-d", str(kb), "--dry-run")
    assert result.exit_code == 0 and "would write (dry run)" not in result.stderr
    assert sorted(p.relative_to(kb) for p in kb.rglob("*")) == before


def test_a_file_in_the_way_stops_the_whole_draft(run, kb):
    (kb / "agencies" / "MOFCOM.yaml").write_text("not: a record\n", encoding="utf-8")
    before = sorted(p.relative_to(kb) for p in kb.rglob("*"))
    result = run("draft", str(NEWSLETTER), "-d", str(kb))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("chinaind: draft: ") and "MOFCOM.yaml exists" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.relative_to(kb) for p in kb.rglob("*")) == before


def test_the_bundled_records_are_not_drafted_into(run):
    result = run("draft", str(NEWSLETTER))
    assert result.exit_code == 2 and "bundled records are not edited in place" in result.stderr


def test_json_objects_have_the_promised_keys(run, kb):
    for d in draft_json(run, kb, str(NEWSLETTER), "--dry-run"):
        assert {"kind", "id", "path", "new", "record", "unconfirmed"} <= set(d)
        assert d["kind"] in ("policy", "company", "technology", "agency", "sector", "person", "source")


def test_source_id_option(run, kb):
    drafted = by_id(draft_json(run, kb, str(NEWSLETTER), "--source-id", "my-issue", "--dry-run"))
    assert "my-issue" in drafted and drafted["MOFCOM"]["record"]["sources"][0]["source"] == "my-issue"
    bad = run("draft", str(NEWSLETTER), "-d", str(kb), "--source-id", "no spaces")
    assert bad.exit_code == 2 and "is not a valid id" in bad.stderr


def test_standard_input(run, kb):
    drafted = by_id(draft_json(run, kb, "-", "--dry-run", input=NEWSLETTER.read_text(encoding="utf-8")))
    assert "action-plan-for-smart-robot-factories-2024" in drafted


# --- other input kinds ----------------------------------------------------------------------------
def test_html_article_without_navigation(run, kb):
    drafted = draft_json(run, kb, str(DRAFTS / "news.html"), "--dry-run")
    source = drafted[0]["record"]
    assert source["urls"] == ["https://news.example.com/2021/5g-towers"] and source["title"] == "China plans more 5G towers"
    text = json.dumps(drafted)
    assert "Subscribe" not in text and "cookies" not in text and "Copyright" not in text
    policy = next(d["record"] for d in drafted if d["kind"] == "policy")
    assert policy["figures"][0]["value"] == 600000 and policy["figures"][0]["comparator"] == "more-than"
    person = next(d["record"] for d in drafted if d["kind"] == "person")
    assert person["name"] == "Xiao Yaqing" and person["positions"] == [{"title": "minister of industry and information technology"}]


def test_markdown_is_text(run, kb, tmp_path):
    md = tmp_path / "issue.md"
    md.write_text("# Notes\n\n" + NEWSLETTER.read_text(encoding="utf-8"), encoding="utf-8")
    assert "action-plan-for-smart-robot-factories-2024" in by_id(draft_json(run, kb, str(md), "--dry-run"))


def _pdf(path: Path, text: str) -> Path:
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    for line in text.splitlines():
        pdf.multi_cell(0, 5, line.encode("latin-1", "replace").decode("latin-1") or " ", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def test_pdf_text_layer(run, kb, tmp_path):
    # Chinese is left out: the built-in PDF fonts have no CJK glyphs.
    text = re.sub(r"\(工业.*\n", "\n", NEWSLETTER.read_text(encoding="utf-8")).replace("\t", " ")
    drafted = by_id(draft_json(run, kb, str(_pdf(tmp_path / "issue.pdf", text)), "--dry-run"))
    plan = drafted["action-plan-for-smart-robot-factories-2024"]["record"]
    assert plan["issuers"] == ["MIIT", "NDRC", "SAC"] and plan["dates"] == [{"role": "issued", "date": "2024-03-12"}]
    assert [f["value"] for f in plan["figures"]] == [600, 50000, 30]


# --- bad input -------------------------------------------------------------------------------------
def _encrypted_pdf(path: Path) -> Path:
    pypdf = pytest.importorskip("pypdf")
    plain = _pdf(path.with_name("plain.pdf"), "Some text that is long enough to be read as a text layer here.")
    writer = pypdf.PdfWriter(clone_from=str(plain))
    writer.encrypt("secret")
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def _scanned_pdf(path: Path) -> Path:
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 50, 50, style="F")  # a page with a picture and no text
    pdf.output(str(path))
    return path


@pytest.mark.parametrize("make, message", [
    (lambda p: (p.write_bytes(b""), p)[1], "the file is empty"),
    (lambda p: (p.write_bytes(b"\x00\x01\x02binary\x00" * 50), p)[1], "a binary file, not text"),
    (lambda p: (p.write_bytes("caf\xe9".encode("latin-1") * 30), p)[1], "not UTF-8 text"),
    (lambda p: (p.write_bytes(b"%PDF-1.4 nonsense"), p)[1], "not a readable PDF"),
    (lambda p: _scanned_pdf(p), "the PDF has no text layer"),
    (lambda p: _encrypted_pdf(p), "an encrypted PDF"),
], ids=["empty", "binary", "latin-1", "broken-pdf", "scanned-pdf", "encrypted-pdf"])
def test_unreadable_input_is_one_line_and_writes_nothing(run, kb, tmp_path, make, message):
    path = make(tmp_path / "input.bin")
    before = sorted(p.relative_to(kb) for p in kb.rglob("*"))
    result = run("draft", str(path), "-d", str(kb))
    assert result.exit_code == 65, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"chinaind: {path}: ") and message in lines[0]
    assert sorted(p.relative_to(kb) for p in kb.rglob("*")) == before


@pytest.mark.parametrize("arg, message", [("missing.txt", "does not exist"), (".", "is a folder")])
def test_missing_file_or_folder_is_a_usage_error(run, kb, tmp_path, monkeypatch, arg, message):
    monkeypatch.chdir(tmp_path)
    result = run("draft", arg, "-d", str(kb))
    assert result.exit_code == 2 and message in result.stderr and result.stdout == ""


def test_every_figure_form_drafted_validates_once_confirmed(run, kb, tmp_path):
    """Comparators almost/nearly, an equivalent in a second currency, a relative goal: what the
    draft writes is a valid record once the marks are gone and the TODOs written."""
    text = tmp_path / "forms.txt"
    text.write_text("https://example.com/forms\n\nThe MIIT issued a plan on May 2, 2024. Output reached almost twice "
                    "the 2020 figure. Revenue was 138.7 billion yuan ($19.2 billion). They sold nearly 300 robots, "
                    "and it aims to double sales from 2020 levels by 2027.\n", encoding="utf-8")
    drafted = draft_json(run, kb, str(text))
    policy = next(d for d in drafted if d["kind"] == "policy")["record"]
    assert [f.get("comparator") for f in policy["figures"]][:1] == ["almost"]
    assert any(f.get("equivalent") == {"value": 19200000000, "currency": "USD"} for f in policy["figures"])
    for d in drafted:
        path = Path(d["path"])
        body = re.sub(r"  # UNCONFIRMED: .*", "", path.read_text(encoding="utf-8"))
        body = re.sub(r'^(\s*(?:- )?[\w-]+: )"?TODO[^\n]*$', r"\1Written by the analyst.", body, flags=re.M)
        path.write_text(body, encoding="utf-8")
    assert run("validate", str(kb)).exit_code == 0, run("validate", str(kb)).stdout
