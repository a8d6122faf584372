"""The bundled knowledge base (data/): it loads cleanly and holds the facts of its source.

The seed dataset comes from the MERICS "China Industries" newsletter of 1 March 2023. These tests
pin a representative set of its facts and check the integrity rules every record must follow.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from chinaind.records.kinds import FOLDERS
from chinaind.store.loader import load
from chinaind.records.models import MODELS

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
SOURCE = Path(__file__).resolve().parents[2] / "shared/sources/merics-china-industries-2023-03-01.txt"

PUBLICATION = "MERICS China Industries"
SEED_SOURCE = "merics-china-industries-2023-03-01"
ISSUE_DATE = "2023-03-01"
CIC_NOTICE = "complete-industrial-chain-notice-2022"


@pytest.fixture(scope="module")
def kb():
    return load(Path(__file__).parent.parent / "data", use_cache=False)


@pytest.fixture(scope="module")
def records(kb):
    return kb.records


def of_type(records, rtype):
    return {rid: r for rid, r in records.items() if r["type"] == rtype}


def target(policy, target_id):
    matches = [t for t in policy["figures"] if t["id"] == target_id]
    assert len(matches) == 1, f"{policy['id']} has no single target {target_id!r}"
    return matches[0]


# ------------------------------------------------------------------ loading


def test_loads_without_problems(kb):
    assert kb.problems == []
    assert len(kb.records) > 100


def test_every_type_is_present(records):
    for rtype in FOLDERS:
        assert of_type(records, rtype), f"no {rtype} records"


# ------------------------------------------------------------------ Top 5, item 1: Robot+


def test_robot_plus_plan(records):
    plan = records["robot-plus-implementation-plan-2023"]
    assert plan["type"] == "policy"
    assert plan["date"] == "2023-01-19"
    assert plan["title"] == 'Implementation Plan for "Robot +" Application Actions'
    assert plan["title_zh"] == "工业和信息化部等十七部门关于印发《“机器人+”应用行动实施方案》的通知"
    assert plan["issuers"][0] == "MIIT"
    assert plan["issuers"] == ["MIIT", "NDRC", "MOF", "MEE", "MOA", "SAMR"]
    assert plan["issuers_total"] == 17
    # MERICS's comment says the initiative entered the robotics plan: a link the comment states.
    assert [(l["to"], l["relation"], l["stated_by"]) for l in plan["links"]] == \
        [("robotics-14th-five-year-plan", "implements", "commentary")]
    orgs = {m["org"]: m for m in plan["organisations"]}
    for firm in ("tinavi-medical-technologies", "ecovacs-robotics", "keenon-robotics"):
        # Named only in the MERICS comment, not by the plan itself.
        assert orgs[firm]["in_commentary"] is True, firm
    # The chart's data sources belong to the source record's chart, not to the plan.
    assert not {"international-federation-of-robotics", "chinese-institute-of-electronics"} & set(orgs)
    areas = target(plan, "key-application-areas")
    assert (areas["kind"], areas["value"]) == ("tally", 10)
    assert {"manufacturing", "energy", "education"} <= set(areas["named"])


def test_robot_density_target(records):
    density = target(records["robot-plus-implementation-plan-2023"], "industrial-robot-density")
    assert density["value"] == 492
    assert density["deadline"] == "2025"
    assert density["baseline"]["year"] == 2020
    # "Double ... from 2020 levels": a relative goal, factor 2 over the 2020 baseline.
    assert density["change"] == {"factor": 2, "percent": None}
    # The source says "double the 2020 level" without giving the 2020 value: none is computed.
    assert density["baseline"]["value"] is None
    # The source states no comparator ("double ... to reach 492"): none is recorded, never a silent "exactly".
    assert density["comparator"] is None


def test_robot_plus_more_than_targets(records):
    plan = records["robot-plus-implementation-plan-2023"]
    assert target(plan, "application-technology-breakthroughs")["value"] == 100
    assert target(plan, "application-technology-breakthroughs")["comparator"] == "more-than"
    assert target(plan, "robotic-applications-promoted")["value"] == 200
    assert target(plan, "robotic-applications-promoted")["comparator"] == "more-than"
    # The advanced use cases are the plan's focus, not a condition on every one of the 200.
    assert "advanced" not in target(plan, "robotic-applications-promoted")["what"]


# ------------------------------------------------------------------ Top 5, item 2: Qiushi


def test_qiushi_article(records):
    article = records["qiushi-jin-zhuanglong-new-type-of-industrialization-2023"]
    assert article["kind"] == "article"
    assert article["date"] == "2023-02-16"
    assert article["issuers"] == ["QIUSHI"]
    assert article["republished_by"] == ["MIIT"]
    assert article["title_zh"] == "加快推进新型工业化"
    assert records["QIUSHI"]["kind"] == "journal"
    assert article["people"] == [{"person": "jin-zhuanglong", "role": "author"}]
    # The source calls Qiushi "the CCP's" journal, not the Central Committee's: no parent is recorded.
    assert records["QIUSHI"]["parent"] is None
    assert "Communist Party" in records["QIUSHI"]["description"]


def test_jin_zhuanglong(records):
    jin = records["jin-zhuanglong"]
    assert jin["type"] == "person"
    assert {p["agency"] for p in jin["positions"]} == {"MIIT"}
    titles = " / ".join(p["title"] for p in jin["positions"]).lower()
    assert "party secretary" in titles and "head" in titles
    # "Half a year into his new job": no start date is given, so none is recorded.
    assert all(p["since"] is None for p in jin["positions"])
    assert any(s["section"] == "Top 5, item 2" for s in jin["sources"])


# ------------------------------------------------------------------ Top 5, item 3: complete industrial chain


def test_cic_notice(records):
    notice = records[CIC_NOTICE]
    assert notice["date"] == "2023-01-30"
    assert notice["issuers"] == ["MIIT", "SASAC"]
    assert len(notice["technologies"]) == 16
    assert [(l["to"], l["relation"], l["stated_by"]) for l in notice["links"]] == [
        ("made-in-china-2025", "part-of", "commentary"), ("complete-industrial-chain-outline-2016", "follows", "commentary")]


def test_sixteen_listed_technologies(records):
    listed = [t for t in of_type(records, "technology").values() if CIC_NOTICE in t["listed_in"]]
    assert len(listed) == 16
    assert sorted(t["list_position"] for t in listed) == list(range(1, 17))
    assert {t["id"] for t in listed} == set(records[CIC_NOTICE]["technologies"])
    by_position = {t["list_position"]: t for t in listed}
    assert by_position[1]["name"] == "Industrial robot rotate vector reducer"
    assert by_position[7]["name"] == "Fiber laser"
    assert by_position[16]["name"] == "High-voltage cable insulation materials and shielding materials"


def test_technology_names_are_verbatim():
    if not SOURCE.is_file():
        pytest.skip("source text not available")
    text = SOURCE.read_text(encoding="utf-8")
    for rec in of_type(load(DATA, use_cache=False).records, "technology").values():
        if rec.get("list_position") and any(s["source"] == SEED_SOURCE for s in rec["sources"]):
            assert f"{rec['list_position']}. {rec['name']}" in text


def test_fiber_laser_group(records):
    laser = records["fiber-laser"]
    assert "fibre laser" in laser["aliases"]
    assert len(laser["groups"]) == 1
    group = laser["groups"][0]
    assert group["leads"] == ["wuhan-raycus"]
    assert len(group["partners"]) == 4
    assert "catl" in group["partners"]
    assert group["partners_total"] == 18
    assert group["partners_total_approximate"] is False


def test_rv_reducer_group(records):
    reducer = records["industrial-robot-rv-reducer"]
    (group,) = reducer["groups"]
    assert group["leads"] == ["qinchuan-machine-tool"]
    assert set(group["partners"]) == {"siasun-robotics", "gsk-cnc-equipment", "xian-jiaotong-university"}
    assert group["partners_total"] == 5
    assert "RV reducer" in reducer["aliases"]


def test_carbon_fiber_groups(records):
    carbon = records["high-end-carbon-fiber-and-aviation-prepreg"]
    assert len(carbon["groups"]) == 2
    for group in carbon["groups"]:
        assert group["partners_total"] == 10
        assert group["partners_total_approximate"] is True
        assert group["partners"] == []
    leads = [set(g["leads"]) for g in carbon["groups"]]
    assert {"avic-manufacturing-technology-institute", "weihai-tuozhan-fiber"} in leads
    assert {"zhongfu-shenyang-carbon-fiber"} in leads
    assert "high-end carbon fibre and aviation prepreg" in carbon["aliases"]
    # Aliases name the whole listed item, never one part of it.
    assert "carbon fibre" not in carbon["aliases"] and "prepreg" not in carbon["aliases"]


def test_aliases_name_whole_items(records):
    assert "scanning oscillator" not in records["additive-manufacturing-equipment-with-scanning-oscillator"]["aliases"]
    assert "GaN" not in records["gallium-nitride-microwave-millimeter-wave-devices"]["aliases"]
    assert "ball screw" not in records["cnc-machine-tool-spindle-ball-screw-linear-guide"]["aliases"]


def test_other_technologies_have_no_groups(records):
    grouped = {"industrial-robot-rv-reducer", "fiber-laser", "high-end-carbon-fiber-and-aviation-prepreg"}
    for rid, rec in of_type(records, "technology").items():
        if rid not in grouped:
            assert rec["groups"] == [], rid


def test_cic_outline_2016(records):
    outline = records["complete-industrial-chain-outline-2016"]
    assert outline["date"] == "2016"
    # The source says the programme was "first outlined" in 2016; it names no document.
    assert outline["title_descriptive"] is True
    assert outline["kind"] == "programme"
    assert outline["dates"][0]["role"] == "announced"
    areas = target(outline, "initial-focus-areas")
    assert (areas["kind"], areas["value"]) == ("tally", 16)
    assert "graphene" in areas["named"]
    assert "graphene" in outline["summary"]
    listed = target(records[CIC_NOTICE], "listed-technologies")
    assert (listed["kind"], listed["value"]) == ("tally", 16)
    assert set(listed["named_ids"]) == set(records[CIC_NOTICE]["technologies"])


# ------------------------------------------------------------------ Top 5, item 4: Industrial Internet


LISTS = ("industrial-internet-pilot-list-2022", "industrial-internet-software-products-list",
         "industrial-internet-app-solutions-list")


def test_industrial_internet_lists(records):
    ann = records["industrial-internet-pilot-list-2022"]
    assert ann["date"] == "2023-02-23"
    assert ann["issuers"] == ["MIIT"]
    assert ann["title_zh"] == "关于 2022 年工业互联网试点示范名单的公示"
    pilots = target(ann, "pilot-projects")
    assert (pilots["kind"], pilots["value"], pilots["comparator"]) == ("tally", 200, "about")
    lists = target(ann, "industrial-internet-lists")
    assert (lists["kind"], lists["value"]) == ("tally", 3)
    assert set(lists["named_ids"]) == set(LISTS)
    software = records["industrial-internet-software-products-list"]
    apps = records["industrial-internet-app-solutions-list"]
    assert (target(software, "software-products")["kind"], target(software, "software-products")["value"]) == ("tally", 68)
    assert target(software, "software-products")["comparator"] is None
    assert (target(apps, "app-solutions")["kind"], target(apps, "app-solutions")["value"]) == ("tally", 191)
    for rid in LISTS:
        assert records[rid]["issuers"] == ["MIIT"], rid
        assert set(LISTS) - {rid} <= set(records[rid]["refers_to"]), rid
    # The newsletter dates (and gives a Chinese title for) only the pilot list announcement.
    for rec in (software, apps):
        assert (rec["date"], rec["dates"], rec["title_zh"]) == (None, [], None), rec["id"]
        assert rec["kind"] == "list"
    roles = {m["org"]: m for m in ann["organisations"]}
    assert "pilot example" in roles["zhongtian-iron-and-steel-group"]["role"]
    assert roles["zhongtian-iron-and-steel-group"]["in_commentary"] is False
    assert roles["abb"]["in_commentary"] is True and roles["sap"]["in_commentary"] is True
    assert [m["org"] for m in apps["organisations"]] == ["tianjin-gongyan"]
    # "Tianjin Gongyan's app": the source does not say what kind of organisation it is.
    assert records["tianjin-gongyan"]["kind"] is None
    # ABB's and SAP's countries are the editors' (the source says only "foreign suppliers").
    assert records["abb"]["country"] == "CH"
    assert records["sap"]["country"] == "DE"


def test_smart_manufacturing_software_share(records):
    share = target(records["smart-manufacturing-14th-five-year-plan"], "indigenous-industrial-software-share")
    assert (share["value"], share["unit"], share["deadline"]) == (50, "percent", "2025")


# ------------------------------------------------------------------ Top 5, item 5: standards


def test_sac_guideline(records):
    guideline = records["tsib-application-guideline-2023-2025"]
    assert guideline["date"] == "2023-02-09"
    assert guideline["issuers"] == ["SAC"]
    new_bases = target(guideline, "new-tsibs")
    assert (new_bases["value"], new_bases["comparator"], new_bases["deadline"]) == (20, "up-to", "2025")
    strategy = target(records["national-standardization-development-strategy"], "national-tsibs")
    assert (strategy["value"], strategy["deadline"]) == (100, "2025")
    # "Double to 100": relative as well as absolute; the starting number is not given.
    assert strategy["change"] == {"factor": 2, "percent": None}
    assert strategy["baseline"]["value"] is None
    emerging = target(guideline, "emerging-priority-areas")
    assert (emerging["kind"], emerging["value"], len(emerging["named"])) == ("tally", 12, 11)
    key_areas = target(guideline, "socioeconomic-priority-areas")
    assert (key_areas["kind"], key_areas["value"], len(key_areas["named"])) == ("tally", 6, 6)
    first_call = records["tsib-first-call-2017"]
    assert first_call["date"] == "2017"
    assert first_call["title_descriptive"] is True
    assert first_call["kind"] == "other"  # the source says only "its first call"
    assert target(first_call, "national-tsibs")["value"] == 50


def test_undated_strategies_stay_undated(records):
    # The source gives no date for these; none may be invented.
    for rid in ("made-in-china-2025", "internet-plus-advanced-manufacturing",
                "national-standardization-development-strategy", "quality-superpower-strategy",
                "robotics-14th-five-year-plan", "smart-manufacturing-14th-five-year-plan"):
        assert records[rid]["date"] is None, rid
        assert records[rid]["title_zh"] is None, rid


# ------------------------------------------------------------------ Noteworthy


def test_policy_news(records):
    expected = {
        "mee-solid-waste-soil-pollution-technologies-notice-2023": ("2023-01-29", ["MEE"]),
        "nmpa-covid-antiviral-approvals-2023": ("2023-01-29", ["NMPA"]),
        "miit-nev-public-fleet-pilot-2023": ("2023-02-03", ["MIIT"]),
        "mee-power-sector-ghg-reporting-instructions-2023": ("2023-02-07", ["MEE"]),
        "samr-enterprise-measurement-capability-guidelines-2023": ("2023-02-08", ["SAMR", "MIIT"]),
        "ndrc-industrial-equipment-recycling-measures-2023": ("2023-02-14", ["NDRC"]),
    }
    for rid, (date, issuers) in expected.items():
        rec = records[rid]
        assert (rec["date"], rec["issuers"]) == (date, issuers), rid
        # The newsletter gives "January 29" without a year: the year is the editors' inference.
        assert all(d["year_inferred"] for d in rec["dates"]), rid
        assert rec["title_zh"] is None, rid
        assert any(s["section"] == "Noteworthy, Policy news" for s in rec["sources"]), rid
    nev = target(records["miit-nev-public-fleet-pilot-2023"], "nev-share-public-fleets")
    assert (nev["value"], nev["unit"], nev["deadline"]) == (80, "percent", "2025")
    drugs = target(records["nmpa-covid-antiviral-approvals-2023"], "drugs-approved")
    assert (drugs["kind"], drugs["value"]) == ("tally", 2)
    assert any("VV116" in d for d in drugs["named"])
    # "metal resources" is not a sector the text names: no non-ferrous metals tag.
    assert "non-ferrous-metals" not in records["ndrc-industrial-equipment-recycling-measures-2023"]["sectors"]


def test_evs_and_nevs_are_separate_sectors(records):
    assert "NEVs" in records["new-energy-vehicles"]["aliases"]
    assert "NEVs" not in records["electric-vehicles"]["aliases"]
    assert "new-energy-vehicles" in records["miit-nev-public-fleet-pilot-2023"]["sectors"]
    assert "new-energy-vehicles" in records["byd"]["sectors"]  # "NEV maker BYD"
    assert "electric-vehicles" in records["qiushi-jin-zhuanglong-new-type-of-industrialization-2023"]["sectors"]


def test_hesai_ipo(records):
    (ipo,) = [e for e in records["hesai-group"]["events"] if e["kind"] == "ipo"]
    assert ipo["date"] == "2023-02-09"
    assert ipo["dates"][0]["year_inferred"] is True
    assert ipo["amount"] == 190_000_000
    assert ipo["currency"] == "USD"
    assert ipo["venue"] == "Nasdaq"


def test_ymtc_order_cancellation(records):
    (event,) = records["ymtc"]["events"]
    assert event["kind"] == "order-cancellation"
    assert event["date"] == "2023-02-10"
    assert event["share_percent"] == 70
    assert event["share_comparator"] == "up-to"  # "up to 70 percent"
    # "YMTC reportedly cancels": the date is that of the report, its year inferred.
    assert [(d["role"], d["year_inferred"]) for d in event["dates"]] == [("reported", True)]
    assert event["organisations"] == ["naura-technology"]


def test_other_corporate_events(records):
    (xpeng,) = records["xpeng"]["events"]
    assert (xpeng["date"], xpeng["kind"], xpeng["agencies"]) == ("2023-01-31", "approval", ["CAAC"])
    (base_station,) = records["china-telecom-research-arm"]["events"]
    assert (base_station["date"], base_station["kind"]) == ("2023-02-03", "development")
    assert base_station["dates"][0]["role"] == "reported"  # "Yicai Global reported"
    assert xpeng["dates"][0]["role"] == "occurred" and xpeng["dates"][0]["year_inferred"] is True
    assert records["china-telecom-research-arm"]["parent"] == "china-telecom"
    (hiring,) = records["byd"]["events"]
    assert (hiring["date"], hiring["kind"]) == ("2023-02-13", "hiring")
    assert "Zhengzhou" in hiring["summary"]
    assert [(d["role"], d["year_inferred"]) for d in hiring["dates"]] == [("reported", True)]


def test_media_outlets_are_not_organisations(records):
    names = {r["name"].lower() for r in of_type(records, "company").values()}
    assert not names & {"yicai global", "yicai", "caixin", "investopedia", "south china morning post"}


# ------------------------------------------------------------------ the issue itself


def test_seed_source_record(records):
    seed = records[SEED_SOURCE]
    assert seed["kind"] == "newsletter-issue"
    assert seed["title"] is None  # the issue has no title beyond the publication's name
    assert seed["urls"] == []  # its links are placeholders
    top5 = {h["section"]: h["text"] for h in seed["headlines"] if re.fullmatch(r"Top 5, item \d", h["section"])}
    assert sorted(top5) == [f"Top 5, item {n}" for n in range(1, 6)]
    assert top5["Top 5, item 1"] == "Robots here, there, everywhere: Beijing to accelerate robot rollout"
    assert top5["Top 5, item 5"] == "New innovation bases to unite domestic firms on technical standards"
    (chart,) = seed["charts"]
    assert chart["title"] == "The robotics sector is booming in China"
    assert "by segment" in chart["measure"] and "USD billion" in chart["measure"]
    assert chart["data_sources"] == ["international-federation-of-robotics", "chinese-institute-of-electronics"]
    assert seed["authors"] == ["alexander-brown", "gregor-sebastian", "jeroen-groenewegen-lau"]
    assert seed["editors"] == ["claudia-wessling", "alexander-davey"]
    for pid in seed["authors"] + seed["editors"]:
        person = records[pid]
        assert person["type"] == "person", pid
        assert any(s["source"] == SEED_SOURCE for s in person["sources"]), pid
        assert [p["organisation"] for p in person["positions"]] == ["merics"], pid
    assert records["jeroen-groenewegen-lau"]["positions"][0]["title"] == "Head of Program"
    assert records["claudia-wessling"]["positions"][0]["title"] == "Director Communications and Publications"


def test_headlines_verbatim():
    if not SOURCE.is_file():
        pytest.skip("source text not available")
    text = SOURCE.read_text(encoding="utf-8")
    seed = load(DATA, use_cache=False).records[SEED_SOURCE]
    for headline in seed["headlines"]:
        assert headline["text"] in text, headline
    for chart in seed["charts"]:
        assert chart["title"] in text


def _in_text(value: str, text: str) -> bool:
    norm = lambda s: s.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"').lower()  # noqa: E731
    return re.search(r"(?<![0-9a-z])" + re.escape(norm(value)) + r"(?![0-9a-z])", norm(text)) is not None


def test_names_not_in_the_text_are_editorial(records):
    """Official Chinese names and aliases the newsletter does not give are marked as the editors'."""
    if not SOURCE.is_file():
        pytest.skip("source text not available")
    text = SOURCE.read_text(encoding="utf-8")
    checked = 0
    for rid, rec in records.items():
        if rec["type"] in ("sector", "source") or not any(s["source"] == SEED_SOURCE for s in rec["sources"]):
            continue
        editorial = set(rec.get("editorial") or [])
        for field in ("name_zh", "title_zh", "short_name_zh"):
            if rec.get(field) and rec[field] not in text:
                assert field in editorial, f"{rid}.{field}"
                checked += 1
        for alias in rec.get("aliases") or []:
            if not _in_text(alias, text):
                assert "aliases" in editorial or f"aliases:{alias}" in editorial, f"{rid}.aliases {alias}"
    assert checked > 20
    assert {"name_zh", "short_name_zh", "aliases"} <= set(records["MIIT"]["editorial"])
    assert "name_zh" in records["catl"]["editorial"]
    assert "aliases" in records["fiber-laser"]["editorial"]  # "fibre laser"
    # Countries the text does not state are the editors'; those it implies ("local producers",
    # "a Chinese issuer") are not.
    assert "country" in records["abb"]["editorial"] and "country" in records["sap"]["editorial"]
    assert "country" not in records["hesai-group"]["editorial"]
    assert "country" not in records["tinavi-medical-technologies"]["editorial"]
    # Sector tags the text does not support.
    assert "sectors" in records["catl"]["editorial"]
    # Chinese titles quoted by the newsletter are not editorial.
    assert "title_zh" not in records["robot-plus-implementation-plan-2023"]["editorial"]


def test_cie_kind_matches_its_description(records):
    cie = records["chinese-institute-of-electronics"]
    assert cie["kind"] == "other"
    assert "kind" in cie["editorial"]
    assert "industry association" in cie["description"]  # says what it is not


# ------------------------------------------------------------------ agencies


def test_agency_names_in_both_languages(records):
    miit = records["MIIT"]
    assert miit["name"] == "Ministry of Industry and Information Technology"
    assert miit["short_name_zh"] == "工信部"
    assert "工信部" in miit["aliases"]
    assert "工业和信息化部" in miit["aliases"]
    sasac = records["SASAC"]
    # The source's own expansion is the name; the official long form is the editors' alias.
    assert sasac["name"] == "State-owned Assets Supervision and Administration Commission"
    assert "State-owned Assets Supervision and Administration Commission of the State Council" in sasac["aliases"]
    # Marked one by one: "SASAC" and 国务院国资委 are in the source, the others are the editors'.
    assert "aliases" not in sasac["editorial"]
    assert {e for e in sasac["editorial"] if e.startswith("aliases:")} == {
        "aliases:State-owned Assets Supervision and Administration Commission of the State Council",
        "aliases:国有资产监督管理委员会", "aliases:国资委"}
    assert "国资委" in sasac["aliases"]
    # The source writes only "MOA" and "MOF": the full names are the editors'.
    assert records["MOA"]["name"] == "Ministry of Agriculture and Rural Affairs"
    assert "name" in records["MOA"]["editorial"] and "name" in records["MOF"]["editorial"]


def test_agency_ids_are_capitalised(records):
    for rid in of_type(records, "agency"):
        assert re.fullmatch(r"[A-Z]+(-[A-Z]+)*", rid), rid


def test_other_ids_are_kebab_case(records):
    for rid, rec in records.items():
        if rec["type"] != "agency":
            assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", rid), rid


# ------------------------------------------------------------------ integrity


def _record_files():
    for folder in FOLDERS.values():
        yield from sorted((DATA / folder).rglob("*.yaml"))


def test_ids_unique_and_match_file_stems():
    seen: dict[str, Path] = {}
    for path in _record_files():
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        assert data["id"] == path.stem, path
        assert data["id"] not in seen, f"{path} and {seen.get(data['id'])} share an id"
        seen[data["id"]] = path


def test_files_have_schema_header_and_no_tabs():
    for path in _record_files():
        text = path.read_text(encoding="utf-8")
        rtype = next(t for t, f in FOLDERS.items() if path.parent.name == f)
        assert text.splitlines()[0] == f"# yaml-language-server: $schema=../schema/{rtype}.json", path
        assert "\t" not in text, path


def test_every_record_is_sourced(records):
    """Every record but the sector vocabulary and the sources themselves cites a source record."""
    seed = records[SEED_SOURCE]
    assert (seed["publication"], seed["issue_date"]) == (PUBLICATION, ISSUE_DATE)
    for rid, rec in records.items():
        if rec["type"] in ("sector", "source"):
            continue
        sources = list(rec["sources"])
        for event in rec.get("events", []):
            assert event["sources"], rid
            sources.extend(event["sources"])
        assert sources, rid
        for source in sources:
            assert records[source["source"]]["type"] == "source", rid
            assert source["section"].strip(), rid
            if source["source"] == SEED_SOURCE:
                # The newsletter's links are placeholders: no URL may be recorded.
                assert source["url"] is None, rid


def test_every_policy_has_summary(records):
    for rid, rec in of_type(records, "policy").items():
        assert rec["summary"].strip(), rid


def test_chinese_titles_are_verbatim(records):
    if not SOURCE.is_file():
        pytest.skip("source text not available")
    text = SOURCE.read_text(encoding="utf-8")
    for rid, rec in of_type(records, "policy").items():
        if rec["title_zh"]:
            assert rec["title_zh"] in text, rid


def _words(text: str) -> list[str]:
    text = text.replace("’", "'").replace("‘", "'").lower()
    return re.findall(r"[a-z0-9]+(?:'[a-z0-9]+)?", text)


def _prose(records):
    """Every free-text passage written for the knowledge base: (where, text)."""
    for rid, rec in records.items():
        for key in ("summary", "analysis", "description"):
            if rec.get(key):
                yield f"{rid}.{key}", rec[key]
        for i, event in enumerate(rec.get("events", [])):
            yield f"{rid}.events.{i}.summary", event["summary"]
        for t in rec.get("figures", []):
            if t.get("note"):
                yield f"{rid}.figures.{t['id']}.note", t["note"]


RUN = 12


def test_no_prose_copied_from_the_source(records):
    if not SOURCE.is_file():
        pytest.skip("source text not available")
    words = _words(SOURCE.read_text(encoding="utf-8"))
    source_runs = {tuple(words[i:i + RUN]) for i in range(len(words) - RUN + 1)}
    copied = []
    for where, text in _prose(records):
        mine = _words(text)
        for i in range(len(mine) - RUN + 1):
            if tuple(mine[i:i + RUN]) in source_runs:
                copied.append(f"{where}: {' '.join(mine[i:i + RUN])}")
                break
    assert not copied, "passages copied from the newsletter:\n" + "\n".join(copied)


# ------------------------------------------------------------------ through the command line


@pytest.fixture
def cli():
    cli_module = pytest.importorskip("chinaind.cli.commands")
    from typer.testing import CliRunner

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli_module.app, ["--data-dir", str(DATA), "--no-cache", *args], prog_name="chinaind")

    return invoke


def test_cli_validates_bundled_data(cli):
    result = cli("validate", str(DATA))
    assert result.exit_code == 0, result.output


def test_cli_chain_by_british_alias(cli):
    import json

    result = cli("chain", "fibre laser", "-f", "json")
    assert result.exit_code == 0, result.output
    text = json.dumps(json.loads(result.stdout), ensure_ascii=False)
    assert "wuhan-raycus" in text
    assert "catl" in text


def test_cli_headlines_searchable(cli):
    for word in ("everywhere", "catalogs", "hand-in-hand"):
        result = cli("search", word, "-f", "ids")
        assert result.exit_code == 0, result.output
        assert SEED_SOURCE in result.stdout.split(), word


def test_cli_targets_leave_out_tallies(cli):
    import json

    result = cli("targets", "-f", "json")
    assert result.exit_code == 0, result.output
    goals = json.loads(result.stdout)
    assert goals and all(g["kind"] == "goal" for g in goals)
    listed = {(g["record"]["id"], g["id"]) for g in goals}
    for tally in (("industrial-internet-pilot-list-2022", "pilot-projects"),
                  ("industrial-internet-software-products-list", "software-products"),
                  ("industrial-internet-app-solutions-list", "app-solutions"),
                  ("complete-industrial-chain-outline-2016", "initial-focus-areas"),
                  ("robot-plus-implementation-plan-2023", "key-application-areas")):
        assert tally not in listed, tally
    assert ("robot-plus-implementation-plan-2023", "industrial-robot-density") in listed
    density = next(g for g in goals if g["id"] == "industrial-robot-density")
    assert density["change"]["factor"] == 2 and density["baseline"]["year"] == 2020


def test_cli_person_jin_zhuanglong(cli):
    result = cli("person", "jin-zhuanglong")
    assert result.exit_code == 0, result.output
    assert "qiushi-jin-zhuanglong-new-type-of-industrialization-2023" in result.stdout
    assert "author" in result.stdout


def test_cli_show_robot_plus(cli):
    import json

    result = cli("show", "robot-plus-implementation-plan-2023", "-f", "json")
    assert result.exit_code == 0, result.output
    (plan,) = json.loads(result.stdout)
    assert plan["date"] == "2023-01-19"
    assert plan["issuers_total"] == 17


# ------------------------------------------------------------------ the audit of issue #19


def test_outside_facts_are_marked_editorial(records):
    telecom = records["china-telecom"]
    assert "kind" in telecom["editorial"]  # no source says it is state-owned
    assert "state-owned" not in telecom["description"].lower()
    for firm in ("ecovacs-robotics", "tinavi-medical-technologies", "keenon-robotics", "siasun-robotics",
                 "gsk-cnc-equipment", "qinchuan-machine-tool", "naura-technology"):
        assert "aliases" in records[firm]["editorial"], firm
    ifr = records["international-federation-of-robotics"]
    assert "kind" in ifr["editorial"] and "association" not in ifr["description"]
    assert "2022" not in records["tianjin-gongyan"]["description"]  # the app list has no year
    assert "later" not in records["14th-five-year-plan"]["analysis"]  # that page has no date


NOTEWORTHY_POLICIES = ("mee-solid-waste-soil-pollution-technologies-notice-2023",
                       "mee-power-sector-ghg-reporting-instructions-2023", "nmpa-covid-antiviral-approvals-2023",
                       "miit-nev-public-fleet-pilot-2023", "samr-enterprise-measurement-capability-guidelines-2023",
                       "ndrc-industrial-equipment-recycling-measures-2023")


@pytest.mark.parametrize("rid", NOTEWORTHY_POLICIES)
def test_noteworthy_items_have_descriptive_titles(records, rid):
    # The newsletter's one-line items give no document title.
    assert records[rid]["title_descriptive"] is True


COMMENTARY_ONLY = {"robotics-14th-five-year-plan": ["1"], "smart-manufacturing-14th-five-year-plan": ["4"],
                   "internet-plus-advanced-manufacturing": ["4"], "made-in-china-2025": ["3", "4", "5"],
                   "complete-industrial-chain-outline-2016": ["3"],
                   "national-standardization-development-strategy": ["5"], "quality-superpower-strategy": ["5"],
                   "tsib-first-call-2017": ["5"], "belt-and-road-initiative": ["5"]}


@pytest.mark.parametrize("rid", sorted(COMMENTARY_ONLY))
def test_records_drawn_from_commentary_cite_the_comment(records, rid):
    sections = [c["section"] for c in records[rid]["sources"]]
    assert sections == [f"Top 5, item {i}, MERICS comment" for i in COMMENTARY_ONLY[rid]]


def test_distortions_corrected(records):
    naura = records["naura-technology"]["description"]
    assert "February 2023" not in naura and "10 February" in naura and "report" in naura
    activity = records["hundred-cities-and-thousand-parks-activity"]
    (aim,) = activity["figures"]
    assert aim["deadline"] is None and activity["period"] == {"start": "2025", "end": "2025", "duration": None}
    qiushi = records["qiushi-jin-zhuanglong-new-type-of-industrialization-2023"]["summary"]
    assert "consolidating companies" in qiushi and "consolidating traditional industries" not in qiushi
    (approval,) = records["xpeng"]["events"]
    assert "crewed tests" in approval["summary"] and "flight" not in approval["summary"]
    assert "vehicle" in approval["summary"] and "aircraft" not in approval["summary"]
    software = records["industrial-internet-software-products-list"]["summary"]
    assert "ERP" not in software and "enterprise resource planning" not in software
    assert "company resource planning" in software and "manufacturing operating management system" in software
    density = target(records["robot-plus-implementation-plan-2023"], "industrial-robot-density")
    assert (density["unit"], density["per"]) == ("robots", {"value": 10000, "unit": "manufacturing workers"})


def test_omissions_filled(records):
    fourth = target(records["robot-plus-implementation-plan-2023"], "benchmark-enterprises-and-centres")
    assert fourth["kind"] == "goal" and fourth["value"] is None and fourth["deadline"] is None
    assert "benchmark enterprises" in fourth["what"] and "test and verification centres" in fourth["what"]
    for rid in ("tsib-application-guideline-2023-2025", "mee-power-sector-ghg-reporting-instructions-2023"):
        assert records[rid]["period"] == {"start": "2023", "end": "2025", "duration": None}, rid
    merics = records["merics"]["description"]
    for detail in ("Klosterstraße 64", "10179 Berlin", "+49 30 3440 999 0", "info@merics.de", "www.merics.org"):
        assert detail in merics, detail
