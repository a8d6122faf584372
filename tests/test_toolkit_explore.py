"""The analyst's toolkit, exploring: related, chains, timeline, stats, and the chain tree."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from chinaind.output.render import FORMATS

FIXTURE_KB = Path(__file__).resolve().parent / "fixtures" / "kb"


def tsv(result) -> list[str]:
    assert result.exit_code == 0, result.stderr
    return result.stdout.splitlines()


def one_line_error(result, code: int) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


@pytest.fixture(scope="module")
def kb():
    import chinaind

    with chinaind.open(FIXTURE_KB, cache=False) as base:
        yield base.index


# --- related -----------------------------------------------------------------------------------
def test_related_depth_one_exact(fx):
    assert tsv(fx("related", "catl", "--depth", "1")) == [
        "1\tpolicy\tcic-notice-2022\tNotice on the 2022 complete industrial chain directions\tcatl -mentioned_in-> cic-notice-2022",
        "1\ttechnology\tfiber-laser\tFiber laser\tcatl -partner-> fiber-laser",
    ]


def test_related_default_depth_two_reaches_agencies_through_the_notice(fx):
    lines = tsv(fx("related", "CATL"))
    assert "2\tagency\tMIIT\tMinistry of Industry and Information Technology\tcatl -mentioned_in-> cic-notice-2022 -issued_by-> MIIT" in lines
    assert "2\tagency\tSASAC\tState-owned Assets Supervision and Administration Commission\tcatl -mentioned_in-> cic-notice-2022 -co-issued_by-> SASAC" in lines
    assert "2\tcompany\twuhan-raycus\tWuhan Raycus Fiber Laser\tcatl -partner-> fiber-laser -led_by-> wuhan-raycus" in lines
    assert [line.split("\t")[0] for line in lines] == sorted(line.split("\t")[0] for line in lines)
    assert not any(line.split("\t")[2] == "catl" for line in lines)  # the start is not a result


def test_related_from_an_agency_by_chinese_short_name(fx):
    ids = tsv(fx("related", "工信部", "--depth", "2", "-f", "ids"))
    # its policies, then their technologies, firms, co-issuers and sectors
    assert ids[:4] == ["cic-notice-2022", "future-roadmap", "miit-month-item", "robot-plus"]
    assert {"rv-reducer", "fiber-laser", "etching-gas", "catl", "qinchuan", "NDRC", "SASAC"} <= set(ids)
    assert "sac-guideline" not in ids  # SAC's guideline shares nothing with MIIT within 2 steps


def test_related_json_carries_the_steps(fx):
    result = fx("related", "fiber laser", "--depth", "1", "-f", "json")
    rows = json.loads(result.stdout)
    assert rows[0] == {"depth": 1, "type": "policy", "id": "cic-notice-2022",
                       "name": "Notice on the 2022 complete industrial chain directions",
                       "path": "fiber-laser -listed_in-> cic-notice-2022",
                       "steps": [{"from": "fiber-laser", "relation": "listed_in", "to": "cic-notice-2022"}]}


def test_related_unknown_name_exit_1_with_closest(fx):
    line = one_line_error(fx("related", "MIIX"), 1)
    assert line == ("chinaind: no record matches 'MIIX'; closest: MIIT (Ministry of Industry and Information "
                    "Technology), miit-month-item (A MIIT item dated only to a month)")


@pytest.mark.parametrize("args", [["--depth", "0"], ["--depth", "x"], ["-f", "xml"]])
def test_related_bad_options_exit_2(fx, args):
    result = fx("related", "catl", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("chinaind: usage error") or "unknown format" in result.stderr


# --- chains ------------------------------------------------------------------------------------
def test_chains_exact(fx):
    assert tsv(fx("chains")) == [
        "1\trv-reducer\tIndustrial robot rotate vector reducer\t1\t1\t0\t5\tfalse\tpartly named",
        "7\tfiber-laser\tFiber laser\t1\t1\t2\t18\tfalse\tpartly named",
        "12\tetching-gas\tSemiconductor etching gas\t0\t0\t0\t\tfalse\tblank",
    ]


def test_chains_csv_header_and_table_note(fx):
    assert fx("chains", "-f", "csv").stdout.splitlines()[0] == \
        "list_position,id,name,groups,leads_named,partners_named,partners_total,partners_total_approximate,status"
    from chinaind.query.chains import chains
    import chinaind

    with chinaind.open(FIXTURE_KB, cache=False) as base:
        listing = chains(base.index)
    assert listing.notes == ["3 technologies: 0 named, 2 partly named, 1 blank; 2 leads and 2 of 23 partners named"]


def test_chains_json_names_leads_and_partners(fx):
    rows = json.loads(fx("chains", "-f", "json").stdout)
    laser = next(r for r in rows if r["id"] == "fiber-laser")
    assert laser["leads"] == [{"id": "wuhan-raycus", "name": "Wuhan Raycus Fiber Laser"}]
    assert [p["id"] for p in laser["partners"]] == ["hust", "catl"]


def test_chains_coverage_exact(fx):
    assert tsv(fx("chains", "--coverage")) == [
        "named\t0\t0\t0\t0\t0\tfalse\t",
        "partly named\t2\t2\t2\t2\t23\tfalse\t8.7",
        "blank\t1\t0\t0\t0\t0\tfalse\t",
        "all\t3\t2\t2\t2\t23\tfalse\t8.7",
    ]


# --- timeline ----------------------------------------------------------------------------------
TIMELINE = [
    "2020\tstatistic\tfuture-roadmap\tinvestment in digital infrastructure under the predecessor plan: CNY 70 billion",
    "2023\tgoal\tfuture-roadmap\tproductivity of key enterprises: at least +20%",
    "2023-01\tpolicy\tmiit-month-item\tA MIIT item dated only to a month",
    "2023-01-19\tpolicy\trobot-plus\tImplementation Plan for \"Robot +\" Application Actions",
    "2023-01-29\tpolicy\tinferred-news\tSAC notice on measurement standards",
    "2023-01-30\tpolicy\tcic-notice-2022\tNotice on the 2022 complete industrial chain directions",
    "2023-02-09\tpolicy\tsac-guideline\tApplication Guideline for National Technical Standard Innovation Bases",
    "2023-02-10\tevent\tcatl\tCATL: A fixture event with [bold]markup[/] in it",
    "2025\tgoal\tfuture-roadmap\trobot engineers: 26 engineers per 10,000 people",
    "2025\tgoal\tfuture-roadmap\tshare of provinces covered: at least 10 percent",
    "2025\tgoal\trobot-plus\tindustrial robot density: 492 robots per 10,000 manufacturing workers",
    "2025\tgoal\trobot-plus\trobot applications promoted: more than 200 applications",
    "2025\tgoal\tsac-guideline\tnew national technical standard innovation bases: up to 20 bases",
    "2027\tgoal\tfuture-roadmap\ta development landscape linking future and traditional industries",
]
UNDATED_NOTE = "chinaind: note: {} items without a date left out; --undated include shows them, --undated only lists them\n"


def test_timeline_exact(fx):
    r = fx("timeline")
    assert (tsv(r), r.stderr) == (TIMELINE, UNDATED_NOTE.format(3))


def test_timeline_undated_include_and_only(fx):
    r = fx("timeline", "--undated", "only")
    assert (tsv(r), r.stderr) == ([
        "\tpolicy\tfuture-roadmap\tRoadmap for future industries",
        "\tpolicy\tmade-in-china-2025\tMade in China 2025",
        "\ttally\tfuture-roadmap\thigh-level priorities: 12 (2 of 12 named)",
    ], "")
    assert tsv(fx("timeline", "--undated", "include"))[:len(TIMELINE)] == TIMELINE


def test_timeline_filters(fx):
    assert tsv(fx("timeline", "--since", "2023-02", "--until", "2023-02")) == [TIMELINE[1], *TIMELINE[6:8]]
    assert tsv(fx("timeline", "--agency", "MIIT", "--until", "2023-01-25")) == TIMELINE[:4]
    assert tsv(fx("timeline", "--sector", "机器人")) == [*TIMELINE[:2], TIMELINE[3], TIMELINE[5], *TIMELINE[8:12], TIMELINE[13]]
    assert tsv(fx("timeline", "--agency", "SAC", "--since", "2024")) == [TIMELINE[12]]


def test_timeline_table_groups_by_month(fx):
    lines = fx("timeline", "-f", "table").stdout.splitlines()
    assert lines[0].split() == ["MONTH", "DATE", "TYPE", "ID", "WHAT"]
    months = [line.split()[0] for line in lines[1:] if line and not line.startswith(" ")]
    assert months == ["2020", "2023", "2023-01", "2023-02", "2025", "2027"]
    assert sum(1 for line in lines[1:] if not line.strip()) == 5  # one empty row between months
    assert "[bold]markup[/]" in fx("timeline", "-f", "table").stdout  # no markup parsing


def test_timeline_month_column_only_on_a_table(fx):
    assert fx("timeline", "-f", "csv").stdout.splitlines()[0] == "date,type,id,what"
    rows = json.loads(fx("timeline", "-f", "json").stdout)
    assert [r["type"] for r in rows] == ["statistic", "goal"] + ["policy"] * 5 + ["event"] + ["goal"] * 6
    assert "month" not in rows[0]
    assert rows[10]["figure"]["id"] == "robot-density"


def test_timeline_errors(fx):
    assert one_line_error(fx("timeline", "--agency", "MIIX"), 1).startswith("chinaind: no agency matches 'MIIX'; closest: MIIT")
    assert one_line_error(fx("timeline", "--since", "2023-13"), 2).startswith("chinaind: --since:")


# --- stats -------------------------------------------------------------------------------------
def test_stats_exact(fx):
    assert tsv(fx("stats")) == [
        "kind\tpolicy\t7", "kind\tcompany\t4", "kind\ttechnology\t3", "kind\tagency\t4", "kind\tsector\t4",
        "kind\tperson\t1", "kind\tsource\t2",
        "agency\tMIIT\t4", "agency\tSAC\t2", "agency\tNDRC\t1", "agency\tSASAC\t1",
        "sector\trobotics\t5", "sector\tlasers\t3", "sector\tsemiconductors\t2", "sector\tstandards\t1",
        "month\t2023-01\t4", "month\t2023-02\t1", "month\tundated\t2",
    ]
    r = fx("stats", "--since", "2023-02")
    assert "month\t2023-02\t1" in tsv(r) and "month\t2023-01\t4" not in tsv(r)
    assert r.stderr == "chinaind: note: 2 policies without a date left out; --undated include shows them, --undated only lists them\n"


def test_stats_bad_format_exit_2(fx):
    assert one_line_error(fx("stats", "-f", "xml"), 2).startswith("chinaind: --format: unknown format 'xml'")


# --- every listing command in every format -------------------------------------------------------
COMMANDS = [["related", "catl"], ["chains"], ["chains", "--coverage"], ["timeline"], ["stats"]]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_every_format(fx, args, fmt):
    result = fx(*args, "-f", fmt)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    if fmt == "json":
        assert isinstance(json.loads(out), list) and json.loads(out)
    elif fmt == "jsonl":
        assert all(json.loads(line) for line in out.splitlines()) and out
    elif fmt == "yaml":
        assert isinstance(yaml.safe_load(out), list)
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(out, newline="")))
        assert len({len(r) for r in rows}) == 1 and len(rows) > 1
    elif fmt == "ids":
        # Rows that are records (related, chains, timeline) give ids; counts give none.
        assert bool(out) == (args[0] in ("related", "timeline") or args == ["chains"])
        assert all(line and "\t" not in line for line in out.splitlines())
    else:
        assert out.strip()


# --- the chain tree ----------------------------------------------------------------------------
def test_chain_tree_lines(kb):
    from chinaind.output.tree import chain_tree

    assert chain_tree(kb, kb.get("fiber-laser")) == [
        "Fiber laser [fiber-laser] · listed in cic-notice-2022 (2023-01-30)",
        "└── group 1",
        "    └── lead: Wuhan Raycus Fiber Laser [wuhan-raycus]",
        "        └── partners: 2 of 18 named",
        "            ├── Huazhong University of Science and Technology [hust]",
        "            ├── CATL 宁德时代 [catl]",
        "            └── +16 more not named",
    ]
    assert chain_tree(kb, kb.get("etching-gas")) == [
        "Semiconductor etching gas [etching-gas] · listed in cic-notice-2022 (2023-01-30)",
        "└── no organisations named in the source",
    ]
    assert chain_tree(kb, kb.get("rv-reducer"))[-2:] == [
        "        └── partners: 0 of 5 named", "            └── +5 more not named"]


def test_chain_tree_accepts_the_chain_query_record(kb):
    from chinaind.query import queries
    from chinaind.output.tree import chain_tree

    record = queries.chain(kb, "fibre laser").records[0]
    assert chain_tree(kb, record) == chain_tree(kb, kb.get("fiber-laser"))


def test_chain_tree_several_leads_and_approximate_totals(kb):
    from chinaind.output.tree import chain_tree

    tech = {**kb.get("fiber-laser"), "groups": [
        {"leads": ["wuhan-raycus", "hust"], "partners": [], "partners_total": 30, "partners_total_approximate": True},
        {"leads": ["qinchuan"], "partners": [], "partners_total": None}]}
    assert chain_tree(kb, tech)[1:] == [
        "├── group 1",
        "│   └── leads: Wuhan Raycus Fiber Laser [wuhan-raycus]; Huazhong University of Science and Technology [hust]",
        "│       └── partners: 0 of about 30 named",
        "│           └── +about 30 more not named",
        "└── group 2",
        "    └── lead: Qinchuan Machine Tool [qinchuan]",
        "        └── partners: none named",
    ]


def test_rich_tree_prints_brackets_and_controls_as_text(kb_copy):
    from rich.console import Console
    from rich.tree import Tree

    import chinaind
    from chinaind.output.tree import chain_tree, rich_tree

    hust = kb_copy / "companies" / "hust.yaml"
    text = hust.read_text(encoding="utf-8")
    hust.write_text(text.replace("name: Huazhong University of Science and Technology",
                                 'name: "HUST [bold]lab[/] \\e[31mred"'), encoding="utf-8")
    base = chinaind.open(kb_copy, cache=False)
    patched = base.index
    tree = rich_tree(patched, patched.get("fiber-laser"))
    assert isinstance(tree, Tree)
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(tree)
    assert out.getvalue().splitlines() == chain_tree(patched, patched.get("fiber-laser"))
    assert "HUST [bold]lab[/] \\x1b[31mred [hust]" in out.getvalue()
