"""The six news texts of issue #20 (shared/sources/news/), as encoded in data/.

Each text was drafted with `chinaind draft`, every drafted value checked against the text (kept,
changed or dropped), and what the draft missed added by hand. These tests pin the facts the texts
state: issuers, dates with their roles (none where a text gives only "last week"), periods, goals
with their units, comparators and deadlines as written, statistics with what they were measured
at, people with their posts, and the provenance of every record. The tests that read the texts
themselves skip when ../shared/sources/news is absent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chinaind.store.loader import load
from conftest import BUNDLED_KB

NEWS = Path(__file__).resolve().parents[2] / "shared" / "sources" / "news"
NO_TEXTS = "the news texts (../shared/sources/news) are not available"

ASIATIMES = "asiatimes-nev-plan-2021-2035"
CHEAA = "cheaa-5g-base-stations-2021"
CHINADAILY = "chinadaily-auto-guideline-2017"
ENVICOOL = "envicool-ict-14th-fyp"
FUELS = "fuelsandlubes-nev-plan-2020"
WINDOW = "window-to-china-technology-transfer-2017"

# source id -> (text file, publication, editorial publication, title, issue date, address)
SOURCES = {
    ASIATIMES: ("asiatimes-nev-plan-2021-2035.txt", "asiatimes.com", True, None, "2020-11",
                "https://asiatimes.com/2020/11/china-unveils-plan-for-new-energy-vehicle-sector/"),
    CHEAA: ("cheaa-5g-base-stations-2021.txt", "China Daily", False, None, None,
            "https://en.cheaa.org/contents/468/9430.html"),
    CHINADAILY: ("chinadaily-auto-guideline-2017.txt", "covid-19.chinadaily.com.cn", True,
                 "China takes road to global auto power", "2017-04-26",
                 "https://covid-19.chinadaily.com.cn/cndy/2017-04/26/content_29086700.htm"),
    ENVICOOL: ("envicool-ict-14th-fyp.txt", "envicool.net", True, None, None,
               "http://envicool.net/product/index31.html"),
    FUELS: ("fuelsandlubes-nev-plan-2020.txt", "fuelsandlubes.com", True,
            "China announces plan to boost growth in new energy vehicles", None,
            "https://fuelsandlubes.com/china-announces-plan-to-boost-growth-in-new-energy-vehicles"),
    WINDOW: ("window-to-china-technology-transfer-2017.txt", "window-to-china.eu", True, None, "2017-09",
             "https://window-to-china.eu/2017/09/26/china-plans-to-complete-national-technology-transfer-system-by-2025/"),
}

NEV_PLAN = "nev-industry-development-plan-2021-2035"
G5_PLAN = "miit-5g-rollout-plan-2021"
AUTO_GUIDELINE = "auto-industry-guideline-2017"
ICT_PLAN = "miit-ict-industry-14th-five-year-plan"
NEV_MEETING = "state-council-nev-industry-plan-executive-meeting"
TECH_TRANSFER = "state-council-national-technology-transfer-system-2017"
# policy id -> its source
POLICIES = {NEV_PLAN: ASIATIMES, G5_PLAN: CHEAA, AUTO_GUIDELINE: CHINADAILY, ICT_PLAN: ENVICOOL,
            NEV_MEETING: FUELS, TECH_TRANSFER: WINDOW}
# Every other record drawn from the news texts, with its source.
OTHERS = {"STATE-COUNCIL": ASIATIMES, "xiao-yaqing": CHEAA, "xiang-ligang": CHEAA,
          "information-consumption-alliance": CHEAA, "industrial-securities": CHEAA,
          "li-keqiang": FUELS, "chinese-academy-of-sciences": WINDOW}


@pytest.fixture(scope="module")
def kb():
    return load(BUNDLED_KB, use_cache=False)


@pytest.fixture(scope="module")
def records(kb):
    return kb.records


@pytest.fixture
def cli(run):
    def invoke(*args: str):
        return run("--data-dir", str(BUNDLED_KB), *args)

    return invoke


def figures(record) -> dict:
    return {f["id"]: f for f in record["figures"]}


def form(f) -> tuple:
    """A figure as (kind, value, unit, comparator, deadline)."""
    return (f["kind"], f["value"], f["unit"], f["comparator"], f["deadline"])


def cited(record) -> set[str]:
    return {c["source"] for c in record.get("sources") or []}


def ids_of(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line]


def test_loads_without_problems(kb):
    assert kb.problems == []


# ------------------------------------------------------------------ the source records


@pytest.mark.parametrize("source_id", list(SOURCES))
def test_source_record_per_text(records, source_id):
    _, publication, editorial, title, issue_date, url = SOURCES[source_id]
    src = records[source_id]
    assert (src["type"], src["kind"], src["publication"], src["title"]) == ("source", "web-page", publication, title)
    assert (src["issue_date"], src["urls"]) == (issue_date, [url])
    # A publication the page does not name is the site's address, marked as the editors'.
    assert ("publication" in src["editorial"]) == editorial
    assert src["description"]


@pytest.mark.parametrize("source_id", list(SOURCES))
def test_source_address_is_the_texts_first_line(source_id):
    path = NEWS / SOURCES[source_id][0]
    if not path.is_file():
        pytest.skip(NO_TEXTS)
    assert path.read_text(encoding="utf-8").splitlines()[0].strip() == SOURCES[source_id][5]


def test_every_news_record_cites_its_text_as_article(records):
    for rid, source_id in {**POLICIES, **OTHERS}.items():
        assert [(c["source"], c["section"]) for c in records[rid]["sources"]] == [(source_id, "Article")], rid


def test_no_draft_marks_left_in_the_files():
    for rid in {**POLICIES, **OTHERS, **dict.fromkeys(SOURCES)}:
        [path] = BUNDLED_KB.glob(f"*/{rid}.yaml")
        text = path.read_text(encoding="utf-8")
        assert "UNCONFIRMED" not in text and "Drafted by" not in text and "TODO" not in text, path


# ------------------------------------------------------------------ Asia Times: the NEV plan 2021-2035


def test_nev_plan_2021_2035(records):
    p = records[NEV_PLAN]
    assert (p["kind"], p["title_descriptive"], p["issuers"], p["issuers_total"]) == ("plan", True, ["STATE-COUNCIL"], None)
    assert stated(p["period"]) == {"start": "2021", "end": "2035"}
    # "unveiled ... Monday": no day; the address gives the month of the report.
    assert [(d["role"], d["date"]) for d in p["dates"]] == [("reported", "2020-11")]
    assert p["sectors"] == ["new-energy-vehicles", "automotive"]  # not new-energy: "new energy vehicle" is one term
    f = figures(p)
    assert (f["strategic-tasks"]["kind"], f["strategic-tasks"]["value"], len(f["strategic-tasks"]["named"])) == ("tally", 5, 5)
    # "down to 12 kWh/100 km and raising ... to 20% by 2025": the deadline is written after the second target only.
    assert form(f["bev-power-consumption"]) == ("goal", 12, "kWh/100 km", None, None)
    assert form(f["nev-share-of-new-vehicle-sales"]) == ("goal", 20, "percent", None, "2025")
    assert form(f["bev-mainstream-in-sales"]) == ("goal", None, None, None, "2035")
    assert form(f["public-transport-electrified"]) == ("goal", None, None, None, "2035")


def test_asiatimes_market_share_is_the_articles_not_the_plans(records):
    share = figures(records[ASIATIMES])["china-share-of-global-nev-sales"]
    assert form(share) == ("statistic", 55, "percent", None, None)
    assert "china-share-of-global-nev-sales" not in figures(records[NEV_PLAN])


def test_state_council(records):
    sc = records["STATE-COUNCIL"]
    assert (sc["name"], sc["kind"], sc["short_name_zh"]) == ("State Council", "state-council", "国务院")
    assert set(sc["editorial"]) == {"name_zh", "short_name_zh", "aliases"}


# ------------------------------------------------------------------ China Daily via cheaa.org: 5G in 2021


def test_5g_rollout_plan_2021(records):
    p = records[G5_PLAN]
    assert (p["kind"], p["title_descriptive"], p["issuers"]) == ("plan", True, ["MIIT"])
    assert stated(p["period"]) == {"start": "2021", "end": "2021"}
    # No date line: December 2020 follows from "as of mid-December" and "next year" (2021), so marked inferred.
    assert [(d["role"], d["date"], d["year_inferred"]) for d in p["dates"]] == [("reported", "2020-12", True)]
    assert (p["technologies"], p["sectors"]) == (["5g"], ["telecoms", "industrial-internet"])
    assert [m["org"] for m in p["organisations"]] == ["information-consumption-alliance", "industrial-securities"]
    assert [m["person"] for m in p["people"]] == ["xiao-yaqing", "xiang-ligang"]


def test_5g_rollout_figures(records):
    f = figures(records[G5_PLAN])
    assert form(f["new-5g-base-stations-2021"]) == ("goal", 600000, "5G base stations", "more-than", "2021")
    built = f["5g-base-stations-built"]
    assert (form(built), built["as_of"]) == (("statistic", 718000, "5G base stations", "more-than", None), "2020-12")
    cities = f["cities-with-5g-signal"]
    assert (form(cities), cities["as_of"]) == (("statistic", 300, "cities", "more-than", None), "2020-12")
    assert form(f["industrial-5g-pilot-industries"]) == ("goal", 10, "key industries", None, None)
    assert form(f["industrial-5g-application-scenarios"]) == ("goal", 20, "application scenarios", None, None)
    projects = f["5g-industrial-internet-projects"]
    assert (form(projects), projects["as_of"]) == (("statistic", 1100, "projects", "more-than", None), "2020-11")


def test_5g_people_and_organisations(records):
    xiao, xiang = records["xiao-yaqing"], records["xiang-ligang"]
    assert [(p["title"], p["agency"], p["as_of"]) for p in xiao["positions"]] == [
        ("minister of industry and information technology", "MIIT", "2020-12")]
    assert [(p["title"], p["organisation"]) for p in xiang["positions"]] == [
        ("director-general of the Information Consumption Alliance", "information-consumption-alliance")]
    assert xiao["editorial"] == xiang["editorial"] == ["name_zh"]
    assert records["information-consumption-alliance"]["kind"] == "industry-group"
    firm = records["industrial-securities"]
    assert (firm["kind"], firm["country"], firm["editorial"]) == ("firm", "CN", ["name_zh"])


# ------------------------------------------------------------------ China Daily: the 2017 auto guideline


def test_auto_guideline_2017(records):
    g = records[AUTO_GUIDELINE]
    # The article names no issuer.
    assert (g["kind"], g["title_descriptive"], g["issuers"], g["issuers_total"]) == ("guideline", True, [], None)
    # "released on Tuesday" in the paper of Wednesday 26 April 2017 (its address).
    assert [(d["role"], d["date"]) for d in g["dates"]] == [("issued", "2017-04-25")]
    assert g["period"] is None
    f = figures(g)
    # "within 10 years" is the goal's time frame, not a number of it.
    assert form(f["globally-competitive-auto-industry"]) == ("goal", None, None, None, None)
    assert f["nev-and-smart-car-leadership"]["part_of"] == "globally-competitive-auto-industry"
    assert form(f["nev-sales-2020"]) == ("goal", 2000000, "cars", None, "2020")
    assert form(f["nev-share-of-auto-sales-2025"]) == ("goal", 20, "percent", None, "2025")


# ------------------------------------------------------------------ envicool.net: the ICT industry plan


def test_ict_industry_plan(records):
    p = records[ICT_PLAN]
    assert (p["kind"], p["title_descriptive"], p["issuers"]) == ("plan", False, ["MIIT"])
    assert p["title"] == '"14th Five-Year Plan" Information and Communication Industry Development Plan'
    assert [(d["role"], d["date"]) for d in p["dates"]] == [("issued", "2021")]
    # The text says "the 14th Five-Year Plan period"; its years are the editors'.
    assert (stated(p["period"]), p["editorial"]) == ({"start": "2021", "end": "2025"}, ["period"])
    assert (p["refers_to"], p["technologies"], p["sectors"]) == (["14th-five-year-plan"], ["5g"], ["telecoms"])


def test_ict_industry_figures(records):
    f = figures(records[ICT_PLAN])
    density = f["5g-base-station-density"]
    assert form(density) == ("goal", 26, "5G base stations", None, "2025")
    assert density["per"] == {"value": 10000, "unit": "people"}
    assert form(f["5g-base-stations-2025"]) == ("goal", 3600000, "5G base stations", "more-than", "2025")
    built = f["5g-base-stations-built-2021-09"]
    assert (form(built), built["as_of"]) == (("statistic", 1195000, "5G base stations", None, None), "2021-09")
    # "in the next four years": no end year is written, so no deadline.
    assert form(f["5g-base-stations-to-build"]) == ("goal", 2445000, "5G base stations", "at-least", None)
    assert form(f["5g-base-stations-per-year"]) == ("goal", 600000, "5G base stations", None, None)
    assert not any(x["unit"] == "years" for x in f.values())


# ------------------------------------------------------------------ fuelsandlubes.com: the executive meeting


def test_nev_plan_passed_at_executive_meeting(records):
    p = records[NEV_MEETING]
    assert (p["kind"], p["title_descriptive"], p["issuers"]) == ("plan", True, ["STATE-COUNCIL"])
    # "last week" in an undated capture: no date at all.
    assert (p["dates"], p["date"], p["period"]) == ([], None, None)
    assert [(m["person"], "chaired" in m["role"]) for m in p["people"]] == [("li-keqiang", True)]
    assert p["sectors"] == ["new-energy-vehicles", "automotive"]
    [goal] = p["figures"]
    assert form(goal) == ("goal", 80, "percent", "at-least", None)
    assert all(zone in goal["scope"] for zone in ("Fujian", "Jiangxi", "Guizhou", "Hainan"))
    li = records["li-keqiang"]
    assert [(x["title"], x["agency"]) for x in li["positions"]] == [("Premier", "STATE-COUNCIL")]


def stated(period):
    """A period's parts the record states (the model has optional parts, such as a duration)."""
    return {k: v for k, v in period.items() if v is not None} if period else period


def test_car_market_statistics_sit_on_the_source(records):
    f = figures(records[FUELS])
    assert {k: (x["value"], x["unit"], x["comparator"], stated(x["period"])) for k, x in f.items()} == {
        "car-sales-decline-2019": (8.2, "percent", None, {"start": "2019", "end": "2019"}),
        "car-sales-decline-2018": (2.8, "percent", None, {"start": "2018", "end": "2018"}),
        "car-sales-decline-february": (79, "percent", "more-than", None),
        "car-sales-growth-2020-08": (11.6, "percent", None, {"start": "2020-08", "end": "2020-08"}),
        "car-sales-2020-08": (2200000, "units", None, {"start": "2020-08", "end": "2020-08"}),
        "car-sales-decline-2020-01-08": (9.7, "percent", None, {"start": "2020-01", "end": "2020-08"}),
        "car-sales-2020-01-08": (14600000, "units", None, {"start": "2020-01", "end": "2020-08"}),
    }
    assert {x["kind"] for x in f.values()} == {"statistic"}


# ------------------------------------------------------------------ Window to China: technology transfer


def test_technology_transfer_system(records):
    p = records[TECH_TRANSFER]
    # The text names no kind of document: "plan" is the editors'.
    assert (p["kind"], p["editorial"], p["issuers"]) == ("plan", ["kind"], ["STATE-COUNCIL"])
    # The date is the CAS release's, a report of the plan, not its issue.
    assert [(d["role"], d["date"]) for d in p["dates"]] == [("reported", "2017-09-27")]
    f = figures(p)
    assert form(f["national-technology-transfer-system"]) == ("goal", None, None, None, "2020")
    assert f["unified-open-technology-market"]["part_of"] == "national-technology-transfer-system"
    # Nothing read from the date line's "27".
    assert not any(x["value"] == 27 for x in f.values())
    assert [m["org"] for m in p["organisations"]] == ["chinese-academy-of-sciences"]
    cas = records["chinese-academy-of-sciences"]
    assert (cas["aliases"], set(cas["editorial"])) == (["CAS"], {"name", "name_zh", "kind", "country"})


# ------------------------------------------------------------------ wording


RUN = 10


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'\-/]+", text.lower().replace("’", "'"))


def _prose(value, key=""):
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in ("sources", "urls", "type", "id"):
                yield from _prose(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _prose(v, key)


def test_no_run_of_ten_words_copied_from_the_texts(records):
    texts = [p.read_text(encoding="utf-8") for p in sorted(NEWS.glob("*.txt"))] if NEWS.is_dir() else []
    if not texts:
        pytest.skip(NO_TEXTS)
    words = _words("\n".join(texts))
    runs = {tuple(words[i:i + RUN]) for i in range(len(words) - RUN + 1)}
    copied = []
    for rid in {**POLICIES, **OTHERS, **dict.fromkeys(SOURCES)}:
        rec = records[rid]
        for key, text in _prose(rec):
            if rec["type"] == "source" and key == "title":
                continue  # a page's title is recorded as shown
            mine = _words(text)
            copied += [f"{rid}.{key}: {' '.join(mine[i:i + RUN])}" for i in range(len(mine) - RUN + 1)
                       if tuple(mine[i:i + RUN]) in runs]
    assert not copied, "passages copied from the texts:\n" + "\n".join(copied)


# ------------------------------------------------------------------ through the command line


def test_state_council_documents(cli):
    r = cli("agency", "State Council", "--undated", "include", "-f", "ids")
    assert (r.exit_code, set(ids_of(r.stdout))) == (0, {NEV_PLAN, NEV_MEETING, TECH_TRANSFER})
    r = cli("agency", "国务院", "--since", "2020", "-f", "ids")
    assert (r.exit_code, ids_of(r.stdout)) == (0, [NEV_PLAN])
    assert r.stderr == ("chinaind: note: 1 policy without a date left out; --undated include shows them, "
                        "--undated only lists them\n")


def test_targets_due_by_2021(cli):
    r = cli("targets", "--due-by", "2021", "-f", "json")
    assert r.exit_code == 0
    due = {(row["record"]["id"], row["id"]): row for row in json.loads(r.stdout) if row["record"]["id"] in POLICIES}
    assert set(due) == {(AUTO_GUIDELINE, "nev-sales-2020"), (TECH_TRANSFER, "national-technology-transfer-system"),
                        (G5_PLAN, "new-5g-base-stations-2021")}
    five_g = due[(G5_PLAN, "new-5g-base-stations-2021")]
    assert (five_g["value"], five_g["comparator"], five_g["deadline"]) == (600000, "more-than", "2021")


def test_source_lists_what_was_taken_from_it(cli):
    r = cli("source", CHEAA, "-f", "ids")
    assert r.exit_code == 0
    assert set(ids_of(r.stdout)) >= {G5_PLAN, "xiao-yaqing", "xiang-ligang", "information-consumption-alliance",
                                     "industrial-securities"}


@pytest.mark.parametrize("query, record_id", [
    ("Xiao Yaqing", "xiao-yaqing"), ("肖亚庆", "xiao-yaqing"), ("Information Consumption Alliance",
                                                               "information-consumption-alliance"),
    ("CAS", "chinese-academy-of-sciences"), ("Li Keqiang", "li-keqiang"), ("technology transfer", TECH_TRANSFER),
    ("ecological civilisation", NEV_MEETING), ("kWh/100 km", NEV_PLAN), ("gigabit", ICT_PLAN),
])
def test_news_records_are_searchable(cli, query, record_id):
    r = cli("search", query, "--limit", "0", "-f", "ids")
    assert r.exit_code == 0
    assert record_id in ids_of(r.stdout)
