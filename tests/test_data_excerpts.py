"""The five MERICS China Industries excerpts of issue #11 (shared/sources/excerpts/), as encoded in data/.

Each excerpt is the opening of one MERICS web page: one source record per page, and records for
its lead story and everything that story names. These tests pin those facts (issuers and their
counts, goals with their form and deadline, tallies and statistics that are not goals, dates only
where a page gives them) and check them through the library and through the command line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chinaind.store.loader import load
from conftest import BUNDLED_KB

EXCERPTS = Path(__file__).resolve().parents[2] / "shared" / "sources" / "excerpts"
PUBLICATION = "MERICS China Industries"

OCT_2020 = "merics-china-industries-briefing-2020-10"
FUTURE = "merics-china-industries-future-industries-data-factor-auto-chips"
IIOT = "merics-china-industries-industrial-internet-medical-equipment-two-zones"
REAL = "merics-china-industries-real-economy-digitalization-energy-supply-chains"
TRANSPORT = "merics-china-industries-transport-innovation-hydrogen-energy-storage"
EXCERPT_SOURCES = (OCT_2020, FUTURE, IIOT, REAL, TRANSPORT)

# source id -> (excerpt file, title as shown, address, issue date, headlines shown)
SOURCES = {
    OCT_2020: ("briefing-october-2020-fifth-plenum.txt", "MERICS China Industries Briefing - October 2020",
               "https://new.merics.org/en/briefing/merics-china-industries-briefing-october-2020", "2020-10",
               [("item 1", "Fifth Plenum places innovation at the center of China's modernization")]),
    FUTURE: ("future-industries-data-factor-auto-chips.txt",
             "New roadmap for future industries + Data as a factor of production + Auto chips",
             "https://www.merics.org/en/merics-briefs/new-roadmap-future-industries-data-factor-production-auto-chips",
             None, [("Top 5, item 1", "China seeks first-mover advantage with roadmap for future industries")]),
    IIOT: ("industrial-internet-medical-equipment-two-zones.txt",
           'Medical equipment industry + Tech-upgrade + "Two Zones" construction plan',
           "https://merics.org/en/merics-briefs/medical-equipment-industry-tech-upgrade-two-zones-construction-plan",
           None, [("item 1", "MIIT accelerates Industrial Internet applications and standard setting in "
                             "traditional manufacturing")]),
    REAL: ("real-economy-digitalization-energy-supply-chains.txt",
           "Real economy digitalization + Energy sector upgrade + Supply chains",
           "https://merics.org/de/merics-briefs/real-economy-digitalization-energy-sector-upgrade-supply-chains",
           None, [("Top 5, item 1", "“Matchmaker state”: Mating SMEs and MNCs while fostering real economy "
                                    "digitalization")]),
    TRANSPORT: ("transport-innovation-hydrogen-energy-storage.txt", "Innovation in transport + Hydrogen + Energy storage",
                "https://www.merics.org/en/merics-briefs/innovation-transport-hydrogen-energy-storage", None,
                [("Top 5, item 1", "Long-term innovation plan to propel transportation industry up the value chain")]),
}

# Policy records of the excerpts, by page.
COMMUNIQUE = "ccp-cc-fifth-plenum-communique"
PROPOSALS = "14th-five-year-plan-proposals"
FYP14 = "14th-five-year-plan"
OBJECTIVES_2035 = "long-range-objectives-2035"
DUAL_CIRCULATION = "dual-circulation-strategy"
FUTURE_PLAN = "miit-future-industries-plan"
IIOT_PLAN = "miit-industrial-internet-three-year-action-plan"
IIOT_EXPLANATION = "miit-industrial-internet-action-plan-explanation"
IIOT_PREDECESSOR = "industrial-internet-plan-2018-2020"
IOT_DRAFT = "miit-iot-standards-draft"
SME_NOTICE = "miit-sme-mnc-integration-notice"
PARKS_INSTRUCTIONS = "miit-hundred-cities-thousand-parks-instructions"
PARKS_ACTIVITY = "hundred-cities-and-thousand-parks-activity"
TRANSPORT_PLAN = "mot-most-transport-innovation-plan-2021-2035"
EXCERPT_POLICIES = {COMMUNIQUE, PROPOSALS, FYP14, OBJECTIVES_2035, DUAL_CIRCULATION, FUTURE_PLAN, IIOT_PLAN,
                    IIOT_EXPLANATION, IIOT_PREDECESSOR, IOT_DRAFT, SME_NOTICE, PARKS_INSTRUCTIONS, PARKS_ACTIVITY,
                    TRANSPORT_PLAN}
MIIT_UNDATED = {FUTURE_PLAN, IIOT_PLAN, IIOT_EXPLANATION, IOT_DRAFT, SME_NOTICE, PARKS_INSTRUCTIONS}

FUTURE_TECHNOLOGIES = ["humanoid-robots", "quantum-computers", "advanced-visual-displays", "brain-computer-interfaces",
                       "6g-equipment", "ultra-large-smart-data-centers", "third-generation-internet"]
PARKS_TECHNOLOGIES = ["5g", "time-sensitive-networks", "industrial-optical-networks"]
TRANSPORT_TECHNOLOGIES = ["super-long-span-bridges", "submerged-floating-tunnels", "high-speed-heavy-duty-railways",
                          "power-transmission-systems", "high-power-ship-turbochargers", "automotive-grade-chips"]

UNDATED_NOTE = "policies without a date left out; --undated include shows them, --undated only lists them"


@pytest.fixture(scope="module")
def kb():
    return load(BUNDLED_KB, use_cache=False)


@pytest.fixture(scope="module")
def records(kb):
    return kb.records


@pytest.fixture
def cli(run, bundled_cache):
    def invoke(*args: str):
        return run("--data-dir", str(BUNDLED_KB), *args)

    return invoke


def figure(record, fid):
    found = [f for f in record["figures"] if f["id"] == fid]
    assert len(found) == 1, f"{record['id']} has no single figure {fid!r}"
    return found[0]


def goal_forms(record):
    """Every goal of a record as (id, value, unit, comparator, change, deadline, part_of)."""
    return {f["id"]: (f["value"], f["unit"], f["comparator"], f["change"], f["deadline"], f["part_of"])
            for f in record["figures"] if f["kind"] == "goal"}


def ids_of(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line]


def cited_sources(record) -> set[str]:
    return {c["source"] for c in record.get("sources") or []}


def test_loads_without_problems(kb):
    assert kb.problems == []


# ------------------------------------------------------------------ the source records


@pytest.mark.parametrize("source_id", list(SOURCES))
def test_source_record_per_page(records, source_id):
    _, title, url, issue_date, headlines = SOURCES[source_id]
    src = records[source_id]
    assert src["type"] == "source"
    assert (src["kind"], src["publication"], src["title"]) == ("web-page", PUBLICATION, title)
    assert src["urls"] == [url]
    # Only the October 2020 briefing states its date (in its title, to the month).
    assert src["issue_date"] == issue_date
    assert [(h["section"], h["text"]) for h in src["headlines"]] == headlines


@pytest.mark.parametrize("source_id", list(SOURCES))
def test_source_address_is_the_excerpts_first_line(source_id):
    path = EXCERPTS / SOURCES[source_id][0]
    if not path.is_file():
        pytest.skip("excerpt not available")
    assert path.read_text(encoding="utf-8").splitlines()[0].strip() == SOURCES[source_id][2]


# ------------------------------------------------------------------ October 2020: the Fifth Plenum


def test_plenum_communique(records):
    c = records[COMMUNIQUE]
    assert (c["kind"], c["title_descriptive"], c["draft"]) == ("communique", True, False)
    assert (c["issuers"], c["issuers_total"]) == (["CCP-CC"], 1)
    assert records["CCP-CC"]["kind"] == "party-central-committee"
    # The page gives no date for the plenum or its communiqué.
    assert (c["dates"], c["date"], c["period"]) == ([], None, None)
    assert set(c["refers_to"]) == {PROPOSALS, FYP14, OBJECTIVES_2035, DUAL_CIRCULATION}
    assert [(t["zh"], t["en"]) for t in c["terms"]] == [
        ("双循环", "dual circulation"), ("科技自立自强", "science and technology independence and self-reliance")]
    assert cited_sources(c) == {OCT_2020}


def test_plenum_tally_and_statistic(records):
    c = records[COMMUNIQUE]
    priorities = figure(c, "policy-priorities")
    assert (priorities["kind"], priorities["value"], priorities["unit"]) == ("tally", 12, "priorities")
    assert len(priorities["named"]) == 3
    assert priorities["deadline"] is None and priorities["comparator"] is None
    assert any("双循环" in n for n in priorities["named"])
    days = figure(c, "plenary-meeting-days")
    assert (days["kind"], days["value"], days["unit"]) == ("statistic", 4, "days")
    assert {f["kind"] for f in c["figures"]} == {"tally", "statistic"}


def test_long_range_objectives_2035(records):
    o = records[OBJECTIVES_2035]
    assert (o["kind"], o["title_descriptive"], o["issuers"], o["issuers_total"]) == ("other", True, ["CCP-CC"], 1)
    assert (o["date"], o["period"]) == (None, None)
    # Qualitative goals: no value, no comparator, all due in 2035; per capita GDP qualifies the economy goal.
    assert goal_forms(o) == {
        "modernised-economy": (None, None, None, None, "2035", None),
        "per-capita-gdp": (None, None, None, None, "2035", "modernised-economy"),
        "economic-and-technological-strength": (None, None, None, None, "2035", None),
        "core-technology-breakthroughs": (None, None, None, None, "2035", None),
        "global-innovation-leader": (None, None, None, None, "2035", None),
    }
    assert "moderately developed countries" in figure(o, "per-capita-gdp")["what"]


def test_fourteenth_five_year_plan_and_proposals(records):
    plan = records[FYP14]
    assert (plan["kind"], plan["title"], plan["title_descriptive"]) == ("plan", "14th Five-Year Plan", False)
    assert plan["period"] == {"start": "2021", "end": "2025", "duration": None}
    assert (plan["dates"], plan["issuers"], plan["issuers_total"]) == ([], [], None)
    assert [t["zh"] for t in plan["terms"]] == ["科技自立自强"]
    # Cited by the October 2020 briefing and by the future-industries comment (which says the plan implements it).
    assert cited_sources(plan) == {OCT_2020, FUTURE}
    proposals = records[PROPOSALS]
    assert (proposals["kind"], proposals["draft"], proposals["title_descriptive"]) == ("proposal", True, True)
    assert (proposals["issuers"], proposals["issuers_total"], proposals["date"]) == (["CCP-CC"], 1, None)
    assert proposals["refers_to"] == [FYP14]
    dual = records[DUAL_CIRCULATION]
    assert (dual["kind"], [t["zh"] for t in dual["terms"]]) == ("strategy", ["双循环"])


# ------------------------------------------------------------------ future industries


def test_future_industries_plan(records):
    p = records[FUTURE_PLAN]
    assert (p["kind"], p["title_descriptive"], p["draft"]) == ("plan", True, False)
    assert (p["issuers"], p["issuers_total"]) == (["MIIT"], 7)
    assert (p["dates"], p["date"], p["period"]) == ([], None, None)
    assert (p["refers_to"], [(l["to"], l["relation"], l["stated_by"]) for l in p["links"]]) == \
        ([], [(FYP14, "implements", "commentary")])
    assert p["technologies"] == FUTURE_TECHNOLOGIES
    assert "sectors" in p["editorial"]


def test_future_industries_goals(records):
    assert goal_forms(records[FUTURE_PLAN]) == {
        "incubators-and-pilot-zones": (None, None, None, None, "2025", None),
        "key-core-technology-breakthroughs": (100, "technologies", None, None, "2025", None),
        "innovative-products": (100, "products", None, None, "2025", None),
        "leading-enterprises": (100, "enterprises", None, None, "2025", None),
        "key-standards": (100, "standards", None, None, "2025", None),
        "professional-organisations": (100, "organisations", None, None, "2025", None),
        "major-core-technology-breakthroughs": (None, None, None, None, "2027", None),
        "world-leading-enterprises": (None, None, None, None, "2027", None),
        "linked-industrial-landscape": (None, None, None, None, "2027", None),
    }


@pytest.mark.parametrize("position, tech_id", list(enumerate(FUTURE_TECHNOLOGIES, start=1)))
def test_future_industries_technologies(records, position, tech_id):
    t = records[tech_id]
    assert t["type"] == "technology"
    assert (t["listed_in"], t["list_position"]) == ([FUTURE_PLAN], position)
    assert cited_sources(t) == {FUTURE}


# ------------------------------------------------------------------ the Industrial Internet action plan


def test_industrial_internet_action_plan(records):
    p = records[IIOT_PLAN]
    assert (p["kind"], p["title_descriptive"], p["issuers"], p["issuers_total"]) == ("plan", True, ["MIIT"], 1)
    # "issued in January", no year: a yearless date, so the plan has no primary date.
    assert [(d["role"], d["date"], d["year_inferred"]) for d in p["dates"]] == [("issued", "--01", False)]
    assert (p["date"], p["period"]) == (None, None)
    assert p["refers_to"] == ["belt-and-road-initiative"]
    assert [(l["to"], l["relation"], l["stated_by"]) for l in p["links"]] == [(IIOT_PREDECESSOR, "follows", "commentary")]
    assert {"industrial-internet", "automotive", "machinery", "consumer-goods"} <= set(p["sectors"])
    assert [(m["org"], m["in_commentary"]) for m in p["organisations"]] == [("european-union", False)]


def test_industrial_internet_goals_for_2023(records):
    p = records[IIOT_PLAN]
    assert goal_forms(p) == {
        "5g-connected-factories": (None, None, None, None, "2023", None),
        "standard-system": (None, None, None, None, "2023", None),
        "key-enterprise-productivity": (None, None, "at-least", {"factor": None, "percent": 20}, "2023", None),
        "eu-bri-cooperation-mechanism": (None, None, None, None, "2023", None),
    }
    assert figure(p, "key-enterprise-productivity")["scope"] == "key enterprises, as identified by provincial authorities"
    assert figure(p, "eu-bri-cooperation-mechanism")["named_ids"] == ["european-union", "belt-and-road-initiative"]


def test_industrial_internet_explanation_and_predecessor(records):
    e = records[IIOT_EXPLANATION]
    assert (e["kind"], e["issuers"], e["issuers_total"], e["date"]) == ("other", ["MIIT"], 1, None)
    assert e["refers_to"] == [IIOT_PLAN]
    pre = records[IIOT_PREDECESSOR]
    assert (pre["kind"], pre["title_descriptive"], pre["issuers"]) == ("plan", True, [])
    assert pre["period"] == {"start": "2018", "end": "2020", "duration": None}
    invest = figure(pre, "digital-infrastructure-investment")
    assert (invest["kind"], invest["value"], invest["currency"], invest["unit"]) == ("statistic", 70000000000, "CNY", None)
    assert invest["period"] == {"start": "2018", "end": "2020", "duration": None}
    assert invest["deadline"] is None
    # Only the MERICS comment speaks of the predecessor.
    assert [c["section"] for c in pre["sources"]] == ["item 1, MERICS comment"]


def test_iot_standards_draft(records):
    d = records[IOT_DRAFT]
    assert (d["draft"], d["title_descriptive"], d["issuers"], d["issuers_total"]) == (True, True, ["MIIT"], 1)
    assert [(x["role"], x["date"]) for x in d["dates"]] == [("circulated", "--01")]  # "the MIIT circulated a draft"
    assert d["date"] is None
    assert goal_forms(d) == {"iot-standards": (30, "standards", "more-than", None, "2025", None)}
    assert [c["section"] for c in d["sources"]] == ["item 1, MERICS comment"]
    # The draft's goal is not the action plan's.
    assert "iot-standards" not in goal_forms(records[IIOT_PLAN])


# ------------------------------------------------------------------ the "matchmaker state" documents


def test_sme_mnc_notice(records):
    n = records[SME_NOTICE]
    assert (n["kind"], n["title_descriptive"], n["issuers"], n["issuers_total"]) == ("notice", True, ["MIIT"], 4)
    assert (n["dates"], n["date"], n["figures"]) == ([], None, [])


def test_hundred_cities_thousand_parks(records):
    i = records[PARKS_INSTRUCTIONS]
    assert (i["kind"], i["issuers"], i["issuers_total"], i["date"]) == ("instructions", ["MIIT"], 1, None)
    assert i["refers_to"] == [PARKS_ACTIVITY]
    assert i["technologies"] == PARKS_TECHNOLOGIES
    a = records[PARKS_ACTIVITY]
    assert (a["kind"], a["title"], a["title_descriptive"]) == ("activity", '"Hundred cities and thousand parks" activity', False)
    assert (a["issuers"], a["date"]) == ([], None)
    assert a["period"] == {"start": "2025", "end": "2025", "duration": None}
    # "for 2025" is the activity's year (its period), not a deadline for its aim.
    assert goal_forms(a) == {"industrial-internet-in-parks": (None, None, None, None, None, None)}
    for position, tech_id in enumerate(PARKS_TECHNOLOGIES, start=1):
        assert (records[tech_id]["listed_in"], records[tech_id]["list_position"]) == ([PARKS_INSTRUCTIONS], position)


# ------------------------------------------------------------------ the transport innovation plan


def test_transport_plan(records):
    p = records[TRANSPORT_PLAN]
    assert (p["kind"], p["title_descriptive"], p["issuers"], p["issuers_total"]) == ("plan", True, ["MOT", "MOST"], 2)
    assert (p["dates"], p["date"]) == ([], None)
    assert p["period"] == {"start": "2021", "end": "2035", "duration": None}
    assert p["technologies"] == TRANSPORT_TECHNOLOGIES
    assert {"transport", "shipbuilding", "rail"} <= set(p["sectors"])
    # The firms are named only in the MERICS comment.
    assert [(m["org"], m["in_commentary"]) for m in p["organisations"]] == [("rolls-royce", True), ("mercedes-benz", True)]
    for position, tech_id in enumerate(TRANSPORT_TECHNOLOGIES, start=1):
        assert (records[tech_id]["listed_in"], records[tech_id]["list_position"]) == ([TRANSPORT_PLAN], position)


def test_new_agencies(records):
    for aid, name, zh in (("MOT", "Ministry of Transport", "交通运输部"), ("MOST", "Ministry of Science and Technology", "科技部")):
        a = records[aid]
        assert (a["type"], a["kind"], a["name"], a["short_name_zh"]) == ("agency", "ministry", name, zh)
        # Chinese names come from general knowledge, not from the page.
        assert set(a["editorial"]) == {"name_zh", "short_name_zh"}
        assert cited_sources(a) == {TRANSPORT}


def test_foreign_firms_country_is_editorial(records):
    rr, mb = records["rolls-royce"], records["mercedes-benz"]
    assert (rr["name"], rr["kind"], rr["country"]) == ("Rolls Royce", "firm", "GB")
    assert (mb["name"], mb["kind"], mb["country"]) == ("Mercedes-Benz", "firm", "DE")
    assert "country" in rr["editorial"] and "country" in mb["editorial"]
    for firm in (rr, mb):
        assert [c["section"] for c in firm["sources"]] == ["Top 5, item 1, MERICS comment"]
    eu = records["european-union"]
    assert (eu["kind"], eu["aliases"], eu["editorial"]) == ("other", ["EU"], ["name"])


def test_new_sectors(records):
    assert {sid: records[sid]["parent"] for sid in ("transport", "shipbuilding", "machinery", "consumer-goods")} == {
        "transport": None, "shipbuilding": "transport", "machinery": "manufacturing", "consumer-goods": "manufacturing"}


# ------------------------------------------------------------------ provenance and wording


def excerpt_records(records):
    return {rid: r for rid, r in records.items() if cited_sources(r) & set(EXCERPT_SOURCES)}


def test_every_excerpt_record_cites_a_page_section(records):
    mine = excerpt_records(records)
    assert EXCERPT_POLICIES <= set(mine)
    sections = {OCT_2020: {"item 1", "item 1, MERICS comment"}, IIOT: {"item 1", "item 1, MERICS comment"}}
    for rid, rec in mine.items():
        for c in rec["sources"]:
            if c["source"] in EXCERPT_SOURCES:
                allowed = sections.get(c["source"], {"Top 5, item 1", "Top 5, item 1, MERICS comment"})
                assert c["section"] in allowed, f"{rid}: section {c['section']!r}"


def test_descriptive_titles_only_where_the_page_gives_none(records):
    descriptive = {rid for rid in EXCERPT_POLICIES if records[rid]["title_descriptive"]}
    assert descriptive == EXCERPT_POLICIES - {FYP14, DUAL_CIRCULATION, PARKS_ACTIVITY}
    # No Chinese title is given by any page.
    assert all(records[rid]["title_zh"] is None for rid in EXCERPT_POLICIES)


RUN = 8


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'\-/]+", text.lower().replace("’", "'"))


def _prose(value, key=""):
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in ("sources", "urls", "headlines", "type", "id"):
                yield from _prose(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _prose(v, key)


def test_no_run_of_eight_words_copied_from_the_pages(records):
    texts = [p.read_text(encoding="utf-8") for p in sorted(EXCERPTS.glob("*.txt"))] if EXCERPTS.is_dir() else []
    if not texts:
        pytest.skip("excerpts not available")
    words = _words("\n".join(texts))
    runs = {tuple(words[i:i + RUN]) for i in range(len(words) - RUN + 1)}
    copied = []
    for rid, rec in excerpt_records(records).items():
        for key, text in _prose(rec):
            if rec["type"] == "source" and key == "title":
                continue  # a page's title is recorded as shown
            mine = _words(text)
            copied += [f"{rid}.{key}: {' '.join(mine[i:i + RUN])}" for i in range(len(mine) - RUN + 1)
                       if tuple(mine[i:i + RUN]) in runs]
    assert not copied, "passages copied from the pages:\n" + "\n".join(copied)


# ------------------------------------------------------------------ through the command line


def test_targets_lists_the_goals_and_not_tallies_or_statistics(cli, records):
    r = cli("targets", "-f", "json")
    assert r.exit_code == 0
    listed = {(row["record"]["id"], row["id"]): row for row in json.loads(r.stdout)}
    expected = {(rid, f["id"]) for rid in EXCERPT_POLICIES for f in records[rid]["figures"] if f["kind"] == "goal"}
    assert {key for key in listed if key[0] in EXCERPT_POLICIES} == expected
    assert len(expected) == 5 + 9 + 4 + 1 + 1
    for key in ((COMMUNIQUE, "policy-priorities"), (COMMUNIQUE, "plenary-meeting-days"),
                (IIOT_PREDECESSOR, "digital-infrastructure-investment")):
        assert key not in listed
    productivity = listed[(IIOT_PLAN, "key-enterprise-productivity")]
    assert (productivity["comparator"], productivity["change"]["percent"], productivity["deadline"]) == ("at-least", 20, "2023")
    iot = listed[(IOT_DRAFT, "iot-standards")]
    assert (iot["value"], iot["comparator"], iot["deadline"]) == (30, "more-than", "2025")


def test_targets_due_by_2023(cli):
    r = cli("targets", "--due-by", "2023", "-f", "json")
    assert r.exit_code == 0
    due = {(row["record"]["id"], row["id"]) for row in json.loads(r.stdout) if row["record"]["id"] in EXCERPT_POLICIES}
    assert due == {(IIOT_PLAN, g) for g in ("5g-connected-factories", "standard-system", "key-enterprise-productivity",
                                            "eu-bri-cooperation-mechanism")}


def test_timeline_places_statistic_and_keeps_tally_undated(cli):
    r = cli("timeline", "--until", "2020", "-f", "json")
    assert r.exit_code == 0
    rows = {(row["id"], row["type"]): row for row in json.loads(r.stdout)}
    stat = rows[(IIOT_PREDECESSOR, "statistic")]
    assert (stat["date"], stat["figure"]["value"], stat["figure"]["currency"]) == ("2020", 70000000000, "CNY")
    assert (COMMUNIQUE, "tally") not in rows
    r = cli("timeline", "--undated", "only", "-f", "json")
    undated = {(row["id"], row["type"]) for row in json.loads(r.stdout)}
    assert {(COMMUNIQUE, "tally"), (COMMUNIQUE, "statistic"), (COMMUNIQUE, "policy"), (IIOT_PLAN, "policy")} <= undated


def test_miit_undated_documents_are_counted_then_listed(cli):
    r = cli("agency", "MIIT", "--since", "2020", "-f", "ids")
    assert r.exit_code == 0
    assert not MIIT_UNDATED & set(ids_of(r.stdout))
    only = cli("agency", "MIIT", "--since", "2020", "--undated", "only", "-f", "ids")
    assert only.exit_code == 0
    assert set(ids_of(only.stdout)) & EXCERPT_POLICIES == MIIT_UNDATED
    assert r.stderr == f"chinaind: note: {len(ids_of(only.stdout))} {UNDATED_NOTE}\n"
    included = cli("agency", "MIIT", "--since", "2020", "--undated", "include", "-f", "ids")
    assert (included.exit_code, included.stderr) == (0, "")
    assert ids_of(included.stdout) == ids_of(r.stdout) + ids_of(only.stdout)


def test_transport_ministries_undated(cli):
    r = cli("agency", "MOST", "--since", "2021", "-f", "ids")
    assert (r.exit_code, r.stdout) == (0, "")
    assert r.stderr == ("chinaind: note: 1 policy without a date left out; --undated include shows them, "
                        "--undated only lists them\n")
    r = cli("agency", "Ministry of Transport", "--undated", "include", "-f", "ids")
    assert (r.exit_code, r.stdout) == (0, f"{TRANSPORT_PLAN}\n")
    r = cli("agency", "科技部", "-f", "ids")
    assert (r.exit_code, r.stdout) == (0, f"{TRANSPORT_PLAN}\n")


def test_central_committee_documents_undated(cli):
    r = cli("agency", "CCP-CC", "--since", "2020", "-f", "ids")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", f"chinaind: note: 3 {UNDATED_NOTE}\n")
    r = cli("agency", "CCP-CC", "--since", "2020", "--undated", "include", "-f", "ids")
    assert (r.exit_code, set(ids_of(r.stdout)), r.stderr) == (0, {COMMUNIQUE, PROPOSALS, OBJECTIVES_2035}, "")


@pytest.mark.parametrize("args, expected", [
    (["--since", "2026"], {TRANSPORT_PLAN}),
    (["--until", "2020"], {IIOT_PREDECESSOR}),
    (["--since", "2025", "--until", "2025"], {FYP14, PARKS_ACTIVITY, TRANSPORT_PLAN}),
])
def test_periods_covered(cli, args, expected):
    r = cli("list", "policies", "--date-role", "period", *args, "-f", "ids")
    assert r.exit_code == 0
    assert set(ids_of(r.stdout)) & EXCERPT_POLICIES == expected


@pytest.mark.parametrize("term, expected", [
    ("双循环", {COMMUNIQUE, DUAL_CIRCULATION}),
    ("科技自立自强", {COMMUNIQUE, FYP14}),
])
def test_chinese_terms_found_by_search(cli, term, expected):
    r = cli("search", term, "-f", "ids")
    assert r.exit_code == 0
    assert set(ids_of(r.stdout)) == expected


@pytest.mark.parametrize("query, record_id", [
    ("humanoid robots", "humanoid-robots"), ("quantum computers", "quantum-computers"),
    ("advanced visual displays", "advanced-visual-displays"), ("brain-computer interfaces", "brain-computer-interfaces"),
    ("6G equipment", "6g-equipment"), ("ultra-large smart data centers", "ultra-large-smart-data-centers"),
    ("third-generation internet", "third-generation-internet"), ("resource exploration", FUTURE_PLAN),
    ("national key laboratories", FUTURE_PLAN), ("innovation consortia", FUTURE_PLAN),
    ("strategic emerging industries", COMMUNIQUE), ("moderately developed countries", OBJECTIVES_2035),
    ("5G-connected factories", IIOT_PLAN), ("Belt and Road", IIOT_PLAN), ("EU", "european-union"),
    ("Internet of Things standards", IOT_DRAFT), ("digital infrastructure", IIOT_PREDECESSOR),
    ("Hundred cities and thousand parks", PARKS_ACTIVITY), ("time-sensitive networks", "time-sensitive-networks"),
    ("industrial optical networks", "industrial-optical-networks"), ("5G", "5g"),
    ("multinational corporations", SME_NOTICE), ("export-oriented SMEs", SME_NOTICE),
    ("super-long span bridges", "super-long-span-bridges"), ("submerged floating tunnels", "submerged-floating-tunnels"),
    ("heavy-duty railways", "high-speed-heavy-duty-railways"), ("power transmission systems", "power-transmission-systems"),
    ("ship turbochargers", "high-power-ship-turbochargers"), ("automotive-grade chips", "automotive-grade-chips"),
    ("intelligent connected vehicles", TRANSPORT_PLAN), ("cruise ships", TRANSPORT_PLAN),
    ("heavy-duty helicopters", TRANSPORT_PLAN), ("flying cars", TRANSPORT_PLAN),
    ("Rolls Royce", "rolls-royce"), ("Mercedes-Benz", "mercedes-benz"),
    ("Ministry of Transport", "MOT"), ("MOST", "MOST"),
])
def test_named_items_are_searchable(cli, query, record_id):
    r = cli("search", query, "--limit", "0", "-f", "ids")
    assert r.exit_code == 0
    assert record_id in ids_of(r.stdout)
