"""The command-line contract on the fixture knowledge base: exact stdout, stderr and exit codes."""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml

from conftest import FIXTURE_KB

# tsv gives the issuers (joined by |) and the number the source counts apart: no "(+15 not named)".
AGENCY_MIIT_2023_TSV = (
    "miit-month-item\t2023-01\tmeasures\tMIIT\t\tA MIIT item dated only to a month\n"
    'robot-plus\t2023-01-19\tplan\tMIIT|NDRC\t17\tImplementation Plan for "Robot +" Application Actions\n'
    "cic-notice-2022\t2023-01-30\tnotice\tMIIT|SASAC\t\tNotice on the 2022 complete industrial chain directions\n"
)


def test_agency_tsv_is_default_off_a_terminal(fx):
    r = fx("agency", "MIIT", "--since", "2023-01")
    note = "chinaind: note: 1 policy without a date left out; --undated include shows them, --undated only lists them\n"
    assert (r.exit_code, r.stdout, r.stderr) == (0, AGENCY_MIIT_2023_TSV, note)


@pytest.mark.parametrize("name", ["MIIT", "miit", "工信部", "工业和信息化部", "Ministry of Industry and Information Technology",
                                  "ministry of industry and information technology", " MIIT ", "“MIIT”"])
def test_agency_resolves_every_name(fx, name):
    r = fx("agency", name, "--since", "2023-01")
    assert (r.exit_code, r.stdout) == (0, AGENCY_MIIT_2023_TSV)


def test_exact_abbreviation_beats_fuzzy(fx):
    r = fx("agency", "SAC", "-f", "ids")
    assert (r.exit_code, r.stdout) == (0, "inferred-news\nsac-guideline\n")


@pytest.mark.parametrize("name, closest", [("MITT", "MIIT"), ("SASA", "SASAC"), ("Ministry of Foreign Affairs", None)])
def test_unknown_agency_exit_1_one_line(fx, name, closest):
    r = fx("agency", name)
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr.startswith(f"chinaind: no agency matches {name!r}")
    assert r.stderr.count("\n") == 1
    if closest:
        assert f"closest: {closest}" in r.stderr


def test_agency_with_coissuer(fx):
    r = fx("agency", "MIIT", "--with", "SASAC", "-f", "ids")
    assert (r.exit_code, r.stdout) == (0, "cic-notice-2022\n")
    r = fx("agency", "MIIT", "--with", "SASAC", "--with", "NDRC", "-f", "ids")
    assert (r.exit_code, r.stdout) == (0, "")


@pytest.mark.parametrize("args, expected", [
    (["--until", "2023-01"], ["miit-month-item", "robot-plus", "cic-notice-2022"]),
    (["--since", "2023-01-31"], ["miit-month-item"]),
    (["--since", "2023-02"], []),
    (["--since", "2023-01-20", "--until", "2023-01-30"], ["miit-month-item", "cic-notice-2022"]),
    (["--since", "2023-01-19", "--until", "2023-01-19"], ["miit-month-item", "robot-plus"]),
    (["--since", "2023"], ["miit-month-item", "robot-plus", "cic-notice-2022"]),
    (["--until", "2022"], []),
    (["--sector", "lasers"], ["cic-notice-2022"]),
])
def test_agency_date_spans_overlap(fx, args, expected):
    r = fx("agency", "MIIT", *args, "-f", "ids")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == expected


@pytest.mark.parametrize("bad", ["2023-13", "2023-02-30", "23-01", "2023/01", "yesterday", ""])
def test_impossible_dates_are_usage_errors(fx, bad):
    r = fx("agency", "MIIT", "--since", bad)
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.startswith("chinaind: --since: ")
    assert r.stderr.count("\n") == 1


def test_search_ranks_exact_then_substring(fx):
    r = fx("search", "RV reducer", "-f", "tsv")
    assert r.exit_code == 0
    assert r.stdout.splitlines()[0] == "technology\trv-reducer\t2023-01-30\tIndustrial robot rotate vector reducer\texact"


def test_search_robot_lists_kinds(fx):
    r = fx("search", "robot")
    assert r.exit_code == 0
    assert r.stdout == (
        'policy\trobot-plus\t2023-01-19\tImplementation Plan for "Robot +" Application Actions\tsubstring\n'
        "technology\trv-reducer\t2023-01-30\tIndustrial robot rotate vector reducer\tsubstring\n"
        "sector\trobotics\t\tRobotics\tsubstring\n"
        "policy\tfuture-roadmap\t\tRoadmap for future industries\tsubstring\n"
        "policy\tcic-notice-2022\t2023-01-30\tNotice on the 2022 complete industrial chain directions\tsubstring\n"
        "company\tqinchuan\t\tQinchuan Machine Tool\tsubstring\n"
    )


@pytest.mark.parametrize("query, first_id", [("robto", "robot-plus"), ("fibre lazer", "fiber-laser"),
                                             ("机器人", "robotics"), ("机器", "robotics"), ("宁德时代", "catl"),
                                             ("Raycus", "wuhan-raycus"), ("raycus fiber", "wuhan-raycus")])
def test_search_finds(fx, query, first_id):
    r = fx("search", query, "-f", "ids")
    assert r.exit_code == 0
    assert first_id in r.stdout.splitlines()


def test_search_kind_and_limit(fx):
    r = fx("search", "robot", "--kind", "policy", "-f", "ids")
    assert r.stdout == "robot-plus\nfuture-roadmap\ncic-notice-2022\n"
    r = fx("search", "robot", "--limit", "1", "-f", "ids")
    assert r.stdout == "robot-plus\n"
    r = fx("search", "robot", "--kind", "firm")
    assert r.exit_code == 2 and "--kind" in r.stderr


def test_search_json_carries_match_tier(fx):
    r = fx("search", "CATL", "-f", "json")
    data = json.loads(r.stdout)
    assert data[0]["id"] == "catl" and data[0]["match"] == "exact" and data[0]["type"] == "company"


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_search_is_usage_error(fx, query):
    r = fx("search", query)
    assert r.exit_code == 2 and r.stderr.startswith("chinaind: search: the query is empty")


def test_no_results_exit_0(fx):
    for fmt, out in [("tsv", ""), ("json", "[]\n"), ("jsonl", ""), ("ids", ""), ("yaml", "[]\n"), ("csv", "type,id,date,name,match\n")]:
        # (CliRunner folds CRLF to LF; test_pipes checks the real CRLF of CSV)
        r = fx("search", "zzzzqqqq", "-f", fmt)
        assert (r.exit_code, r.stdout, r.stderr) == (0, out, ""), fmt


@pytest.mark.parametrize("name", ["fiber laser", "Fibre laser", "fiber lazer", "fiber-laser", "FIBER LASERS"])
def test_chain_resolves_fuzzily(fx, name):
    r = fx("chain", name)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == (
        "1\tlead\twuhan-raycus\tWuhan Raycus Fiber Laser\t\n"
        "1\tpartner\thust\tHuazhong University of Science and Technology\t\n"
        "1\tpartner\tcatl\tCATL\t\n"
        "1\tpartner\t\t+16 more not named\t16\n"
    )


def test_chain_json(fx):
    data = json.loads(fx("chain", "fiber laser", "-f", "json").stdout)
    assert len(data) == 1
    tech = data[0]
    assert tech["id"] == "fiber-laser" and tech["date"] == "2023-01-30"
    assert tech["groups"][0]["partners_total"] == 18
    assert tech["listed_in_policies"] == [{"id": "cic-notice-2022", "title": "Notice on the 2022 complete industrial chain directions", "date": "2023-01-30"}]
    assert tech["members"][-1] == {"group": 1, "role": "partner", "id": None, "name": "+16 more not named", "unnamed": 16}


def test_chain_without_named_firms_still_answers(fx):
    r = fx("chain", "etching gas", "-f", "json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)[0]["groups"] == []
    assert fx("chain", "etching gas").stdout == ""


def test_chain_ids_pipe_into_show(fx):
    ids = fx("chain", "fiber laser", "-f", "ids").stdout
    assert ids == "wuhan-raycus\nhust\ncatl\n"
    r = fx("show", "-", "-f", "ids", input=ids)
    assert (r.exit_code, r.stdout) == (0, ids)


def test_unknown_technology(fx):
    r = fx("chain", "quantum teleporter")
    assert r.exit_code == 1 and r.stderr.startswith("chinaind: no technology matches 'quantum teleporter'")


def test_company_relations(fx):
    r = fx("company", "CATL")
    assert r.exit_code == 0
    assert r.stdout == (
        "chain partner\tfiber-laser\t2023-01-30\tFiber laser\tgroup 1\n"
        "mentioned in\tcic-notice-2022\t2023-01-30\tNotice on the 2022 complete industrial chain directions\tchain partner\n"
        "event: other\t\t2023-02-10\tA fixture event with [bold]markup[/] in it\tUSD 190,000,000; Nasdaq\n"
    )
    data = json.loads(fx("company", "宁德时代", "-f", "json").stdout)[0]
    assert data["chain_roles"][0]["id"] == "fiber-laser"
    assert data["events"][0]["amount"] == 190000000


def test_sector(fx):
    r = fx("sector", "机器人", "-f", "ids")
    assert r.stdout == "robot-plus\ncic-notice-2022\nfuture-roadmap\nrv-reducer\nqinchuan\n"
    r = fx("sector", "robots", "--since", "2023-01-25", "-f", "ids")
    assert (r.stdout, r.stderr) == ("cic-notice-2022\nrv-reducer\n", "chinaind: note: 1 record without a date left out; "
                                    "--undated include shows them, --undated only lists them\n")
    r = fx("sector", "robots", "--since", "2023-01-25", "--undated", "only", "-f", "ids")
    assert (r.stdout, r.stderr) == ("future-roadmap\n", "")


def test_targets_sorted_and_filtered(fx):
    r = fx("targets")
    assert r.stdout == (
        "2023\tproductivity\tfuture-roadmap\tproductivity of key enterprises\t\tat-least\t\t\t\t\t\t\t20\t\t\t\t\t\t\tdocument\t\n"
        "2025\trobot-density\trobot-plus\tindustrial robot density\t\t\t492\trobots per 10,000 manufacturing workers"
        "\t\t\t\t\t\t\t\t2020\tfalse\t\t\tdocument\t\n"
        "2025\tapplications\trobot-plus\trobot applications promoted\t\tmore-than\t200\tapplications\t\t\t\t\t\t\t\t\t\t\t\tdocument\t\n"
        "2025\tnew-bases\tsac-guideline\tnew national technical standard innovation bases\t\tup-to\t20\tbases"
        "\t\t\t\t\t\t\t\t\t\t\t\tdocument\t\n"
        "2025\tdoctors\tfuture-roadmap\trobot engineers\t\t\t26\tengineers\t\t10000\tpeople\t\t\t\t\t\t\t\t\tdocument\t\n"
        "2025\tdoctors-top\tfuture-roadmap\tshare of provinces covered\tdoctors\tat-least\t10\tpercent"
        "\t\t\t\t\t\t\t\t\t\t\t\tdocument\t\n"
        "2027\tlandscape\tfuture-roadmap\ta development landscape linking future and traditional industries"
        "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\tdocument\t\n"
    )
    header = fx("targets", "-f", "tsv", "--header").stdout.splitlines()[0].split("\t")
    assert header == ["deadline", "id", "record_id", "what", "part_of", "comparator", "value", "unit", "currency",
                      "per_value", "per_unit", "change_factor", "change_percent", "baseline_value", "baseline_unit",
                      "baseline_year", "baseline_approximate", "baseline_note", "scope", "stated_by", "according_to"]
    assert fx("targets", "-f", "csv").stdout.splitlines()[0] == ",".join(header)
    assert fx("targets", "--agency", "SAC", "-f", "ids").stdout == "sac-guideline\n"
    assert fx("targets", "--due-by", "2023", "-f", "ids").stdout == "future-roadmap\n"
    r = fx("targets", "--due-by", "2022")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    assert fx("targets", "--sector", "robotics", "-f", "ids").stdout == "future-roadmap\nrobot-plus\n"
    goals = json.loads(fx("targets", "-f", "json").stdout)
    t = goals[1]
    assert t["record"]["id"] == "robot-plus" and t["value"] == 492 and t["baseline"]["year"] == 2020
    assert t["kind"] == "goal" and t["comparator"] is None  # the source gives none: never a silent "exactly"
    assert goals[0]["change"] == {"factor": None, "percent": 20} and goals[0]["value"] is None
    assert {g["stated_by"] for g in goals} == {"document"}  # no figure or record says otherwise


@pytest.mark.parametrize("what, first", [("policies", "miit-month-item"), ("companies", "catl"), ("technologies", "etching-gas"),
                                         ("agencies", "MIIT"), ("sectors", "lasers")])
def test_list(fx, what, first):
    r = fx("list", what, "-f", "ids")
    assert r.exit_code == 0 and r.stdout.splitlines()[0] == first


def test_list_undated_policies_last_and_filters(fx):
    assert fx("list", "policies", "-f", "ids").stdout.splitlines()[-1] == "made-in-china-2025"
    assert fx("list", "policies", "--agency", "SAC", "-f", "ids").stdout == "inferred-news\nsac-guideline\n"
    assert fx("list", "companies", "--sector", "lasers", "-f", "ids").stdout == "wuhan-raycus\n"
    r = fx("list", "companies", "--since", "2023")
    assert r.exit_code == 2
    r = fx("list", "widgets")
    assert r.exit_code == 2 and "unknown record type 'widgets'" in r.stderr


def test_show(fx):
    r = fx("show", "robot-plus", "MIIT", "-f", "json")
    data = json.loads(r.stdout)
    assert [d["id"] for d in data] == ["robot-plus", "MIIT"]
    assert data[0]["title_zh"] == "《“机器人+”应用行动实施方案》"
    assert "机器人" in r.stdout  # UTF-8, not \u escapes
    r = fx("show", "robot-pluss")
    assert r.exit_code == 1 and "closest: robot-plus" in r.stderr


def test_show_stdin_skips_blank_lines(fx):
    r = fx("show", "-", "-f", "ids", input="robot-plus\n\n  MIIT  \n")
    assert r.stdout == "robot-plus\nMIIT\n"


@pytest.mark.parametrize("fmt", ["tsv", "csv", "json", "jsonl", "yaml", "ids", "table"])
def test_every_format_round_trips(fx, fmt):
    r = fx("list", "policies", "-f", fmt)
    assert r.exit_code == 0 and "\x1b[" not in r.stdout
    if fmt == "json":
        assert len(json.loads(r.stdout)) == 7
    elif fmt == "jsonl":
        assert [json.loads(line)["id"] for line in r.stdout.splitlines()][0] == "miit-month-item"
    elif fmt == "yaml":
        assert [d["id"] for d in yaml.safe_load(r.stdout)][-1] == "made-in-china-2025"
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(r.stdout)))
        assert rows[0] == ["id", "date", "kind", "issuers", "issuers_total", "title"] and len(rows) == 8
        assert rows[2][3:5] == ["MIIT|NDRC", "17"]  # robot-plus: named issuers, and how many the source counts
    elif fmt == "table":
        lines = r.stdout.splitlines()
        assert lines[0].split() == ["ID", "DATE", "KIND", "ISSUERS", "TITLE"]
        assert all(len(line) < 200 for line in lines) and "─" not in r.stdout
    else:
        assert len(r.stdout.splitlines()) == 7


def test_format_from_environment(fx):
    r = fx("list", "agencies", env={"CHINAIND_FORMAT": "ids"})
    assert r.stdout == "MIIT\nNDRC\nSAC\nSASAC\n"
    r = fx("list", "agencies", env={"CHINAIND_FORMAT": "xml"})
    assert r.exit_code == 2 and r.stderr.startswith("chinaind: CHINAIND_FORMAT: unknown format 'xml'")


def test_data_dir_from_environment(run):
    r = run("list", "agencies", "-f", "ids", env={"CHINAIND_DATA": str(FIXTURE_KB)})
    assert r.stdout == "MIIT\nNDRC\nSAC\nSASAC\n"


@pytest.mark.parametrize("path, fragment", [("/nonexistent/kb", "does not exist"), ("/etc/hostname", "is a file"),
                                            ("/tmp", "is not a knowledge base")])
def test_bad_data_dir(run, path, fragment):
    r = run("--data-dir", path, "list", "policies")
    assert r.exit_code == 2 and fragment in r.stderr and r.stderr.count("\n") == 1


def test_version_and_help(run):
    r = run("--version")
    assert (r.exit_code, r.stdout) == (0, "chinaind 0.1.0\n")
    r = run("--help")
    assert r.exit_code == 0 and "search" in r.stdout and "validate" in r.stdout
    r = run()
    assert r.exit_code == 0 and r.stdout.startswith("Usage: chinaind")


@pytest.mark.parametrize("args", [["search"], ["agency", "MIIT", "--bogus"], ["nosuchcommand"], ["search", "x", "--limit", "-1"]])
def test_usage_errors_one_line_exit_2(fx, args):
    r = fx(*args)
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.startswith("chinaind: usage error: ") and r.stderr.count("\n") == 1


def test_validate_fixture(run):
    r = run("validate", str(FIXTURE_KB))
    assert r.exit_code == 0
    assert r.stdout == f"valid: 25 records in {FIXTURE_KB} (4 agency, 4 company, 1 person, 7 policy, 4 sector, 2 source, 3 technology)\n"
    assert json.loads(run("validate", str(FIXTURE_KB), "-f", "json").stdout) == []


def test_chain_tree_off_terminal(fx):
    r = fx("chain", "fibre laser", "-f", "tree")
    assert r.exit_code == 0
    assert r.stdout == (
        "Fiber laser [fiber-laser] · listed in cic-notice-2022 (2023-01-30)\n"
        "└── group 1\n"
        "    └── lead: Wuhan Raycus Fiber Laser [wuhan-raycus]\n"
        "        └── partners: 2 of 18 named\n"
        "            ├── Huazhong University of Science and Technology [hust]\n"
        "            ├── CATL 宁德时代 [catl]\n"
        "            └── +16 more not named\n"
    )


def test_tree_is_only_for_chain(fx):
    r = fx("list", "policies", "-f", "tree")
    assert r.exit_code == 2 and "unknown format 'tree'" in r.stderr


def test_partial_names_resolve_when_unambiguous(fx):
    assert fx("chain", "etching", "-f", "json").exit_code == 0
    r = fx("agency", "commission")
    assert r.exit_code == 1 and r.stderr.startswith("chinaind: agency: 'commission' matches several of them, give one: NDRC")


def test_show_needs_ids_but_an_empty_pipe_is_fine(fx):
    r = fx("show", "")
    assert r.exit_code == 2 and r.stderr == "chinaind: show: no ids given; pass record ids, or - to read them from stdin\n"
    r = fx("show", "-", "-f", "json", input="")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "[]\n", "")


def test_company_shows_events_of_others_that_name_it(run):
    """Naura has no events of its own; YMTC's cancelled orders name it (bundled data)."""
    data = json.loads(run("company", "Naura", "-f", "json").stdout)[0]
    assert [(e["id"], e["date"]) for e in data["named_in_events"]] == [("ymtc", "2023-02-10")]
    assert run("company", "Naura", "-f", "ids").stdout == "ymtc\n"


def test_tables_keep_phrases_machine_formats_split_them(fx):
    table = fx("targets", "-f", "table").stdout
    assert "492 robots per 10,000 manufacturing workers" in table and "26 engineers per 10,000 people" in table
    assert table.splitlines()[0].split() == ["DEADLINE", "RECORD", "WHAT", "TARGET", "BASELINE", "SCOPE", "STATED", "BY"]
    policies = fx("list", "policies", "-f", "table").stdout
    assert "MIIT, NDRC (+15 not named)" in policies


def test_tsv_header_only_when_asked(fx):
    plain = fx("list", "agencies", "-f", "tsv").stdout
    headed = fx("list", "agencies", "-f", "tsv", "--header").stdout
    assert headed == "id\tname\tname_zh\tshort_name_zh\tkind\n" + plain
    assert fx("list", "agencies", "-f", "csv", "--header").stdout == fx("list", "agencies", "-f", "csv").stdout
    assert fx("list", "agencies", "-f", "json", "--header").stdout == fx("list", "agencies", "-f", "json").stdout


@pytest.mark.parametrize("argv", [["agency", "MIIT"], ["list", "policies"], ["sector", "robotics"], ["timeline"],
                                  ["targets"], ["related", "MIIT"], ["search", "robot"]])
def test_limit_on_every_listing_command_says_what_it_cut(fx, argv):
    import json

    full = fx(*argv, "-f", "json", "--limit", "0")
    cut = fx(*argv, "-f", "json", "-n", "1")
    assert full.exit_code == cut.exit_code == 0, cut.stderr
    total = len(json.loads(full.stdout))
    assert total > 1 and json.loads(cut.stdout) == json.loads(full.stdout)[:1]
    assert f"chinaind: note: showing 1 of {total}" in cut.stderr


@pytest.mark.parametrize("command, usage", [("search", "Usage: chinaind search [OPTIONS] QUERY"),
                                            ("show", "Usage: chinaind show [OPTIONS] ID..."),
                                            ("validate", "Usage: chinaind validate [OPTIONS] [DIR]")])
def test_usage_lines_name_arguments_plainly(run, command, usage):
    assert run(command, "--help").stdout.splitlines()[0] == usage


def test_command_summaries_are_whole_at_120_columns():
    """In a real process: Click's CliRunner forces help to 80 columns."""
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "chinaind", "--help"], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "120"}, check=True)
    lines = done.stdout.splitlines()
    search = next(line for line in lines if line.strip().startswith("search "))
    assert search.strip().endswith("then close spellings.") and "..." not in search
