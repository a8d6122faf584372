"""Writing the knowledge graph for other tools: Graphviz (dot), Mermaid (Markdown), Gephi
(GEXF) and JSON. Each writer returns text; each escapes labels by its own format's rules, so
quotes, brackets, newlines, backslashes and control characters in records cannot break the
file or inject syntax, and Chinese passes through as UTF-8.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from chinaind.query.graph import Edge, Graph
from chinaind.core.escape import json_safe, visible
from chinaind.records.text import display_name

Record = dict[str, Any]
GRAPH_FORMATS = ("dot", "mermaid", "gexf", "json")


def write(graph: Graph, fmt: str, *, ascii_only: bool = False) -> str:
    """`ascii_only`: for an output that cannot encode everything, JSON escapes all else."""
    if fmt == "json":
        return to_json(graph, ascii_only=ascii_only)
    writers: dict[str, Callable[[Graph], str]] = {"dot": to_dot, "mermaid": to_mermaid, "gexf": to_gexf}
    return writers[fmt](graph)


def node_data(rec: Record) -> dict[str, Any]:
    """What every format says about a node."""
    return {"id": rec["id"], "type": rec["type"], "label": display_name(rec),
            "label_zh": rec.get("title_zh") or rec.get("name_zh"), "date": rec.get("date")}


# --- JSON ------------------------------------------------------------------------------------
def parallel_edges(graph: Graph) -> bool:
    """Whether two edges of different kinds join the same pair the same way (a person who
    wrote and edited one source): readers then need a multigraph to keep both."""
    pairs = {(e.source, e.target) for e in graph.edges}
    return len(pairs) < len(graph.edges)


def to_json(graph: Graph, *, ascii_only: bool = False) -> str:
    """networkx's node-link layout: `links` is the key every networkx version reads (3.6+
    needs `edges="links"`); without `directed` a reader would load the graph undirected.
    In a multigraph each link's `key` is its kind, which keeps parallel edges apart."""
    multigraph = parallel_edges(graph)

    def link(e: Edge) -> dict[str, str]:
        data = {"source": e.source, "target": e.target, "kind": e.kind}
        return {**data, "key": e.kind} if multigraph else data

    data = {"directed": True, "multigraph": multigraph, "graph": {"name": "chinaind"},
            "nodes": [node_data(r) for r in graph.nodes.values()],
            "links": [link(e) for e in graph.edges]}
    return json_safe(json.dumps(data, ensure_ascii=ascii_only, indent=2)) + "\n"


# --- Graphviz ----------------------------------------------------------------------------------
_DOT_SHAPES = {"policy": "note", "agency": "house", "technology": "component",
               "company": "box", "sector": "folder"}


def dot_string(text: str) -> str:
    """A DOT double-quoted string. Inside one only \\" is an escape, but labels also read
    \\n, \\l, \\N... (so a literal backslash is doubled) and HTML entities such as &amp;
    (so every & is written &amp;); newlines become \\n, controls are made visible, a TAB
    shows as \\t (as everywhere a label stays on its line)."""
    # Controls first (visible() writes backslashes), then the escapes, CR/LF last.
    text = _tab_shown(visible(text.replace("\r\n", "\n").replace("\r", "\n"))).replace("&", "&amp;")
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + text + '"'


def to_dot(graph: Graph) -> str:
    lines = ["digraph chinaind {", "  graph [rankdir=LR];", "  node [style=rounded];"]
    for rec in graph.nodes.values():
        d = node_data(rec)
        label = d["label"] + (f"\n{d['label_zh']}" if d["label_zh"] else "")
        shape = _DOT_SHAPES.get(d["type"], "box")
        lines.append(f"  {dot_string(d['id'])} [label={dot_string(label)}, shape={shape}, "
                     f"tooltip={dot_string(d['type'] + ': ' + d['id'])}];")
    for e in graph.edges:
        lines.append(f"  {dot_string(e.source)} -> {dot_string(e.target)} [label={dot_string(e.kind)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- Mermaid -----------------------------------------------------------------------------------
# Shapes by type; every label is a quoted string, so brackets inside it are plain text.
_MERMAID_SHAPES = {"policy": ('["', '"]'), "agency": ('(["', '"])'), "technology": ('{{"', '"}}'),
                   "company": ('("', '")'), "sector": ('[/"', '"/]')}
# Mermaid has no backslash escapes: it reads entity codes (#quot;, #35;) in labels. '#' goes
# first so the codes written afterwards are not escaped again; '<' '>' '&' would be HTML, and
# '%' because Mermaid obeys a `%%{init: ...}%%` directive anywhere in the text, even in a label.
_MERMAID_ENTITIES = [("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"),
                     ("&", "#amp;"), ("`", "#96;"), ("%", "#37;")]
_MERMAID_COLOURS = {"policy": "#fde8c8", "agency": "#d8e6f8", "technology": "#dff3df",
                    "company": "#eee", "sector": "#f6e1f3"}
_MERMAID_ID_RE = re.compile(r"[^A-Za-z0-9_]")


def _tab_shown(text: str) -> str:
    """visible() keeps TABs, layout in a table cell; in a graph label they are data."""
    return text.replace("\t", "\\t")


def mermaid_label(text: str) -> str:
    text = _tab_shown(visible(text.replace("\r\n", "\n").replace("\r", "\n")))
    for char, code in _MERMAID_ENTITIES:
        text = text.replace(char, code)
    return text.replace("\n", "<br/>")


def mermaid_ids(ids: list[str]) -> dict[str, str]:
    """Safe node names: record ids may hold '-' (read as an arrow) or be keywords (end)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for rid in ids:
        base = "r_" + _MERMAID_ID_RE.sub("_", rid)
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        out[rid] = name
    return out


def to_mermaid(graph: Graph) -> str:
    names = mermaid_ids(list(graph.nodes))
    lines = ["flowchart LR"]
    for rec in graph.nodes.values():
        d = node_data(rec)
        label = d["label"] + (f"\n{d['label_zh']}" if d["label_zh"] else "")
        opening, closing = _MERMAID_SHAPES.get(d["type"], ('["', '"]'))
        lines.append(f"  {names[d['id']]}{opening}{mermaid_label(label)}{closing}")
    for e in graph.edges:
        lines.append(f"  {names[e.source]} -->|{e.kind}| {names[e.target]}")
    for rtype, colour in _MERMAID_COLOURS.items():
        lines.append(f"  classDef {rtype} fill:{colour}")
    for rtype in _MERMAID_SHAPES:
        members = [names[i] for i, r in graph.nodes.items() if r["type"] == rtype]
        if members:
            lines.append(f"  class {','.join(members)} {rtype}")
    return "\n".join(lines) + "\n"


# --- GEXF --------------------------------------------------------------------------------------
# GEXF 1.2draft, not 1.3: Gephi reads both, but networkx 3.2-3.5 reject 1.3 files.
GEXF_NS = "http://www.gexf.net/1.2draft"
GEXF_VERSION = "1.2"
_GEXF_ATTRS = ("type", "label_zh", "date")
# XML 1.0 cannot carry most control characters even as references: show them as escapes.
_XML_BAD_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _XML_BAD_RE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                           else f"\\u{ord(m.group()):04x}", visible(text))


def to_gexf(graph: Graph) -> str:
    import xml.etree.ElementTree as ET

    root = ET.Element("gexf", {"xmlns": GEXF_NS, "version": GEXF_VERSION})
    meta = ET.SubElement(root, "meta")
    ET.SubElement(meta, "creator").text = "chinaind"
    g = ET.SubElement(root, "graph", {"defaultedgetype": "directed", "mode": "static"})
    attrs = ET.SubElement(g, "attributes", {"class": "node", "mode": "static"})
    for n, title in enumerate(_GEXF_ATTRS):
        ET.SubElement(attrs, "attribute", {"id": str(n), "title": title, "type": "string"})
    # The kind as an edge attribute too: Gephi filters and colours by attributes, not labels.
    edge_attrs = ET.SubElement(g, "attributes", {"class": "edge", "mode": "static"})
    ET.SubElement(edge_attrs, "attribute", {"id": "0", "title": "kind", "type": "string"})
    nodes = ET.SubElement(g, "nodes")
    for rec in graph.nodes.values():
        d = node_data(rec)
        node = ET.SubElement(nodes, "node", {"id": _xml_text(d["id"]), "label": _xml_text(d["label"])})
        values = ET.SubElement(node, "attvalues")
        for n, title in enumerate(_GEXF_ATTRS):
            if d.get(title):
                ET.SubElement(values, "attvalue", {"for": str(n), "value": _xml_text(str(d[title]))})
    edges = ET.SubElement(g, "edges")
    for n, e in enumerate(graph.edges):
        edge = ET.SubElement(edges, "edge", {"id": str(n), "source": _xml_text(e.source),
                                             "target": _xml_text(e.target), "label": e.kind})
        ET.SubElement(ET.SubElement(edge, "attvalues"), "attvalue", {"for": "0", "value": e.kind})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
