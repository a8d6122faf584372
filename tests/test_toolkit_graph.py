"""`chinaind graph`: every format parses, and labels survive quotes, brackets, newlines, CJK."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

GEXF = "{http://www.gexf.net/1.2draft}"
SVG = "{http://www.w3.org/2000/svg}"
# A name with everything that breaks a careless writer: quotes, brackets, markup, a newline,
# a backslash, HTML, a Mermaid entity, a backtick, Chinese and an escape character.
NASTY_YAML = 'name: "CATL \\"Q\\" [x] {y}\\nline2 <b>&amp;</b> #quot; `t` \\\\ 宁德 \\e[31m"\n'
NASTY_FIRST, NASTY_SECOND = 'CATL "Q" [x] {y}', "line2 <b>&amp;</b> #quot; `t` \\ 宁德 \\x1b[31m"
EDGES = 31  # the fixture's references, people's posts and authorship included


@pytest.fixture
def nasty_kb(kb_copy: Path) -> Path:
    path = kb_copy / "companies" / "catl.yaml"
    path.write_text(re.sub(r"^name: .*\n", lambda _: NASTY_YAML, path.read_text(encoding="utf-8"), flags=re.M), encoding="utf-8")
    return kb_copy


def graph(run, kb: Path, fmt: str, *extra: str) -> str:
    result = run("--data-dir", str(kb), "graph", "-f", fmt, *extra)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_json_nodes_and_edges(fx):
    data = json.loads(fx("graph", "-f", "json").stdout)
    assert (data["directed"], data["multigraph"], data["graph"]) == (True, False, {"name": "chinaind"})
    assert len(data["nodes"]) == 25 and len(data["links"]) == EDGES and "edges" not in data
    kinds = {(e["source"], e["kind"], e["target"]) for e in data["links"]}
    assert {("MIIT", "issued", "cic-notice-2022"), ("SASAC", "co-issued", "cic-notice-2022"),
            ("cic-notice-2022", "lists", "fiber-laser"), ("wuhan-raycus", "leads", "fiber-laser"),
            ("catl", "partners", "fiber-laser"), ("cic-notice-2022", "mentions", "catl"),
            ("qinchuan", "in_sector", "robotics")} <= kinds
    assert {e["kind"] for e in data["links"]} == {"issued", "co-issued", "lists", "leads", "partners",
                                                  "mentions", "in_sector", "names", "serves_in", "wrote"}
    assert {("future-roadmap", "names", "li-ming"), ("li-ming", "serves_in", "MIIT"),
            ("li-ming", "wrote", "test-web-page")} <= kinds
    robotics = next(n for n in data["nodes"] if n["id"] == "robotics")
    assert robotics == {"id": "robotics", "type": "sector", "label": "Robotics", "label_zh": "机器人", "date": None}


def test_json_label_round_trips(run, nasty_kb):
    data = json.loads(graph(run, nasty_kb, "json"))
    catl = next(n for n in data["nodes"] if n["id"] == "catl")
    assert catl["label"] == f"{NASTY_FIRST}\n{NASTY_SECOND}".replace("\\x1b", "\x1b")


def test_gexf_parses_and_keeps_labels(run, nasty_kb):
    root = ET.fromstring(graph(run, nasty_kb, "gexf").encode("utf-8"))
    assert root.tag == f"{GEXF}gexf" and root.get("version") == "1.2"
    nodes = {n.get("id"): n for n in root.iter(f"{GEXF}node")}
    edges = list(root.iter(f"{GEXF}edge"))
    assert len(nodes) == 25 and len(edges) == EDGES
    assert all(e.get("source") in nodes and e.get("target") in nodes for e in edges)
    # XML cannot carry ESC: it is written as a visible escape; the newline survives.
    assert nodes["catl"].get("label") == f"{NASTY_FIRST}\n{NASTY_SECOND}"
    values = {v.get("for"): v.get("value") for v in nodes["robotics"].iter(f"{GEXF}attvalue")}
    assert values == {"0": "sector", "1": "机器人"}


# --- networkx reads what Gephi and scripts get ---------------------------------------------------
def node_link_graph(data: dict):
    """networkx 3.6+ wants edges="links" (it defaults to "edges"); 3.2-3.3 have no such argument."""
    nx = pytest.importorskip("networkx")
    try:
        return nx.node_link_graph(data, edges="links")
    except TypeError:
        return nx.node_link_graph(data)


def test_networkx_reads_gexf(run, nasty_kb, tmp_path):
    nx = pytest.importorskip("networkx")
    path = tmp_path / "kb.gexf"
    path.write_text(graph(run, nasty_kb, "gexf"), encoding="utf-8")
    g = nx.read_gexf(path)
    assert isinstance(g, nx.DiGraph) and not g.is_multigraph()
    assert g.number_of_nodes() == 25 and g.number_of_edges() == EDGES
    assert g.nodes["catl"]["label"] == f"{NASTY_FIRST}\n{NASTY_SECOND}"
    assert g.nodes["robotics"] == {"label": "Robotics", "type": "sector", "label_zh": "机器人"}
    assert g.edges["MIIT", "cic-notice-2022"]["kind"] == "issued"
    assert g.edges["MIIT", "cic-notice-2022"]["label"] == "issued"
    assert g.has_edge("cic-notice-2022", "catl") and not g.has_edge("catl", "cic-notice-2022")


def test_networkx_reads_node_link_json(run, nasty_kb):
    nx = pytest.importorskip("networkx")
    g = node_link_graph(json.loads(graph(run, nasty_kb, "json")))
    assert isinstance(g, nx.DiGraph) and not g.is_multigraph()
    assert g.number_of_nodes() == 25 and g.number_of_edges() == EDGES
    assert g.graph == {"name": "chinaind"}
    assert g.nodes["catl"]["label"] == f"{NASTY_FIRST}\n{NASTY_SECOND}".replace("\\x1b", "\x1b")
    assert g.edges["wuhan-raycus", "fiber-laser"] == {"kind": "leads"}
    assert g.has_edge("cic-notice-2022", "catl") and not g.has_edge("catl", "cic-notice-2022")


@pytest.fixture
def parallel_kb(kb_copy: Path) -> Path:
    """li-ming both wrote and edited test-web-page: two edges of different kinds, one pair."""
    path = kb_copy / "sources" / "test-web-page.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("authors:\n  - li-ming\n",
                                                             "authors:\n  - li-ming\neditors:\n  - li-ming\n"),
                    encoding="utf-8")
    return kb_copy


def test_parallel_edges_load_as_a_multigraph(run, parallel_kb, tmp_path):
    nx = pytest.importorskip("networkx")
    data = json.loads(graph(run, parallel_kb, "json"))
    assert data["multigraph"] is True
    assert [x for x in data["links"] if x["source"] == "li-ming" and x["target"] == "test-web-page"] == [
        {"source": "li-ming", "target": "test-web-page", "kind": "wrote", "key": "wrote"},
        {"source": "li-ming", "target": "test-web-page", "kind": "edited", "key": "edited"}]
    g = node_link_graph(data)
    assert isinstance(g, nx.MultiDiGraph) and g.number_of_edges() == EDGES + 1
    assert dict(g["li-ming"]["test-web-page"]) == {"wrote": {"kind": "wrote"}, "edited": {"kind": "edited"}}
    path = tmp_path / "kb.gexf"
    path.write_text(graph(run, parallel_kb, "gexf"), encoding="utf-8")
    h = nx.read_gexf(path)
    assert isinstance(h, nx.MultiDiGraph) and h.number_of_edges() == EDGES + 1
    assert sorted(d["kind"] for d in h["li-ming"]["test-web-page"].values()) == ["edited", "wrote"]


def test_dot_renders_with_graphviz(run, nasty_kb):
    out = graph(run, nasty_kb, "dot")
    assert out.startswith("digraph chinaind {\n") and out.endswith("}\n")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot is not installed; structural checks only")
    svg = subprocess.run(["dot", "-Tsvg"], input=out.encode("utf-8"), capture_output=True, check=True).stdout
    root = ET.fromstring(svg)
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") in ("node", "edge")]
    assert sum(g.get("class") == "node" for g in groups) == 25
    assert sum(g.get("class") == "edge" for g in groups) == EDGES
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert NASTY_FIRST in texts and NASTY_SECOND in texts  # two lines, every character literal
    assert "工业和信息化部" in texts


def test_dot_structure(fx):
    lines = fx("graph").stdout.splitlines()  # dot is the default
    node_re = re.compile(r'^  "([^"\\]|\\.)+" \[label=".*", shape=\w+, tooltip=".*"\];$')
    edge_re = re.compile(r'^  "[\w-]+" -> "[\w-]+" \[label="[\w-]+"\];$')
    body = lines[3:-1]
    assert sum(bool(node_re.match(x)) for x in body) == 25
    assert sum(bool(edge_re.match(x)) for x in body) == EDGES
    assert '  "MIIT" -> "cic-notice-2022" [label="issued"];' in lines


def test_mermaid_structure(run, nasty_kb):
    lines = graph(run, nasty_kb, "mermaid").splitlines()
    assert lines[0] == "flowchart LR"
    node_re = re.compile(r'^  (r_\w+)(\["|\(\["|\{\{"|\("|\[/")([^"]*)("\]|"\]\)|"\}\}|"\)|"/\])$')
    edge_re = re.compile(r"^  (r_\w+) -->\|([\w-]+)\| (r_\w+)$")
    nodes = {m.group(1): m.group(3) for x in lines if (m := node_re.match(x))}
    edges = [m.groups() for x in lines if (m := edge_re.match(x))]
    assert len(nodes) == 25 and len(edges) == EDGES
    assert all(s in nodes and t in nodes for s, _, t in edges)
    others = [x for x in lines[1:] if not node_re.match(x) and not edge_re.match(x)]
    assert all(x.startswith(("  classDef ", "  class ")) for x in others)
    label = nodes["r_catl"]
    assert label == ("CATL #quot;Q#quot; [x] {y}<br/>line2 #lt;b#gt;#amp;amp;#lt;/b#gt; #35;quot; #96;t#96; "
                     "\\ 宁德 \\x1b[31m<br/>宁德时代")
    assert "r_fiber_laser" in nodes and "r_MIIT" in nodes


def test_mermaid_ids_never_collide():
    from chinaind.output.graph_formats import mermaid_ids

    assert mermaid_ids(["a-b", "a_b", "end", "a-b_2"]) == {"a-b": "r_a_b", "a_b": "r_a_b_2", "end": "r_end",
                                                         "a-b_2": "r_a_b_2_2"}


def test_around_limits_the_graph(fx):
    data = json.loads(fx("graph", "-f", "json", "--around", "etching-gas", "--depth", "1").stdout)
    assert [n["id"] for n in data["nodes"]] == ["cic-notice-2022", "etching-gas", "semiconductors"]
    assert len(data["links"]) == 3


def test_unknown_graph_format_exit_2(fx):
    result = fx("graph", "-f", "tsv")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == "chinaind: --format: unknown graph format 'tsv'; choose one of dot, mermaid, gexf, json\n"


def test_unknown_around_exit_1(fx):
    result = fx("graph", "--around", "xyzzy")
    assert result.exit_code == 1 and result.stderr == "chinaind: no record matches 'xyzzy'\n"


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.text())
def test_escaped_labels_stay_inside_their_quotes(text):
    from chinaind.output.graph_formats import dot_string, mermaid_label

    dot = dot_string(text)
    inner = dot[1:-1]
    assert dot[0] == dot[-1] == '"' and "\n" not in dot and "\r" not in dot
    # every quote inside is escaped: strip escaped pairs, no bare quote remains
    assert '"' not in re.sub(r"\\.", "", inner)
    label = mermaid_label(text)
    plain = label.replace("<br/>", "")
    assert not set(plain) & set('"\n\r<>`')
