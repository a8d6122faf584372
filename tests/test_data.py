"""The bundled knowledge base (data/): it loads cleanly and holds the facts of its source.

The seed dataset comes from the MERICS "China Industries" newsletter of 1 March 2023. These tests
pin a representative set of its facts and check the integrity rules every record must follow.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from chinaind.kinds import FOLDERS
from chinaind.loader import load
from chinaind.models import MODELS

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
        if rtype == "person":
            continue  # TODO(#11): the seed's people (Jin Zhuanglong, the authors) come with the re-modelled seed
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
    assert "robotics-14th-five-year-plan" in plan["refers_to"]
    orgs = {m["org"] for m in plan["organisations"]}
    assert {"tinavi-medical-technologies", "ecovacs-robotics", "keenon-robotics"} <= orgs


def test_robot_density_target(records):
    density = target(records["robot-plus-implementation-plan-2023"], "industrial-robot-density")
    assert density["value"] == 492
    assert density["deadline"] == "2025"
    assert density["baseline"]["year"] == 2020
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


# ------------------------------------------------------------------ Top 5, item 2: Qiushi


def test_qiushi_article(records):
    article = records["qiushi-jin-zhuanglong-new-type-of-industrialization-2023"]
    assert article["kind"] == "article"
    assert article["date"] == "2023-02-16"
    assert article["issuers"] == ["QIUSHI"]
    assert article["republished_by"] == ["MIIT"]
    assert article["title_zh"] == "加快推进新型工业化"
    assert records["QIUSHI"]["kind"] == "journal"


# ------------------------------------------------------------------ Top 5, item 3: complete industrial chain


def test_cic_notice(records):
    notice = records[CIC_NOTICE]
    assert notice["date"] == "2023-01-30"
    assert notice["issuers"] == ["MIIT", "SASAC"]
    assert len(notice["technologies"]) == 16
    assert "made-in-china-2025" in notice["refers_to"]


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
    assert "carbon fibre" in carbon["aliases"]


def test_other_technologies_have_no_groups(records):
    grouped = {"industrial-robot-rv-reducer", "fiber-laser", "high-end-carbon-fiber-and-aviation-prepreg"}
    for rid, rec in of_type(records, "technology").items():
        if rid not in grouped:
            assert rec["groups"] == [], rid


def test_cic_outline_2016(records):
    outline = records["complete-industrial-chain-outline-2016"]
    assert outline["date"] == "2016"
    assert target(outline, "initial-focus-areas")["value"] == 16
    assert "graphene" in outline["summary"]


# ------------------------------------------------------------------ Top 5, item 4: Industrial Internet


def test_industrial_internet_lists(records):
    ann = records["industrial-internet-pilot-list-2022"]
    assert ann["date"] == "2023-02-23"
    assert ann["issuers"] == ["MIIT"]
    pilots = target(ann, "pilot-projects")
    assert (pilots["value"], pilots["comparator"]) == (200, "about")
    assert target(ann, "software-products")["value"] == 68
    assert target(ann, "app-solutions")["value"] == 191
    roles = {m["org"]: m["role"] for m in ann["organisations"]}
    assert "pilot example" in roles["zhongtian-iron-and-steel-group"]
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
    first_call = records["tsib-first-call-2017"]
    assert first_call["date"] == "2017"
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
        assert rec["title_zh"] is None, rid
        assert any(s["section"] == "Noteworthy, Policy news" for s in rec["sources"]), rid
    nev = target(records["miit-nev-public-fleet-pilot-2023"], "nev-share-public-fleets")
    assert (nev["value"], nev["unit"], nev["deadline"]) == (80, "percent", "2025")


def test_hesai_ipo(records):
    (ipo,) = [e for e in records["hesai-group"]["events"] if e["kind"] == "ipo"]
    assert ipo["date"] == "2023-02-09"
    assert ipo["amount"] == 190_000_000
    assert ipo["currency"] == "USD"
    assert ipo["venue"] == "Nasdaq"


def test_ymtc_order_cancellation(records):
    (event,) = records["ymtc"]["events"]
    assert event["kind"] == "order-cancellation"
    assert event["date"] == "2023-02-10"
    assert event["share_percent"] == 70
    assert event["organisations"] == ["naura-technology"]


def test_other_corporate_events(records):
    (xpeng,) = records["xpeng"]["events"]
    assert (xpeng["date"], xpeng["kind"], xpeng["agencies"]) == ("2023-01-31", "approval", ["CAAC"])
    (base_station,) = records["china-telecom-research-arm"]["events"]
    assert (base_station["date"], base_station["kind"]) == ("2023-02-03", "development")
    assert records["china-telecom-research-arm"]["parent"] == "china-telecom"
    (hiring,) = records["byd"]["events"]
    assert (hiring["date"], hiring["kind"]) == ("2023-02-13", "hiring")
    assert "Zhengzhou" in hiring["summary"]


def test_media_outlets_are_not_organisations(records):
    names = {r["name"].lower() for r in of_type(records, "company").values()}
    assert not names & {"yicai global", "yicai", "caixin", "investopedia", "south china morning post"}


# ------------------------------------------------------------------ agencies


def test_agency_names_in_both_languages(records):
    miit = records["MIIT"]
    assert miit["name"] == "Ministry of Industry and Information Technology"
    assert miit["short_name_zh"] == "工信部"
    assert "工信部" in miit["aliases"]
    assert "工业和信息化部" in miit["aliases"]
    sasac = records["SASAC"]
    assert "State-owned Assets Supervision and Administration Commission" in sasac["aliases"]
    assert "国资委" in sasac["aliases"]
    assert records["MOA"]["name"] == "Ministry of Agriculture and Rural Affairs"


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
    cli_module = pytest.importorskip("chinaind.cli")
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


def test_cli_show_robot_plus(cli):
    import json

    result = cli("show", "robot-plus-implementation-plan-2023", "-f", "json")
    assert result.exit_code == 0, result.output
    (plan,) = json.loads(result.stdout)
    assert plan["date"] == "2023-01-19"
    assert plan["issuers_total"] == 17
