"""The knowledge graph: records as nodes, the references between them as typed edges.

Edges point the way an analyst reads them ("MIIT issued the notice", "Raycus leads the
fiber-laser chain"); a walk follows them both ways and names each step from where it stands
("catl -partner-> fiber-laser -listed_in-> cic-notice-2022"). Writers for Graphviz, Mermaid,
Gephi (GEXF) and JSON live in graph_formats.py. Nothing here prints.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterator

from chinaind.query.index import KnowledgeBase
from chinaind.records.kinds import RECORD_TYPES
from chinaind.query.listing import Column, Listing, col
from chinaind.records.text import display_name, norm

Record = dict[str, Any]

# Edge kind -> (label walking with the edge, label walking against it).
EDGE_KINDS: dict[str, tuple[str, str]] = {
    "issued": ("issued", "issued_by"),            # agency -> policy, the lead issuer
    "co-issued": ("co-issued", "co-issued_by"),   # agency -> policy, every other issuer
    "lists": ("lists", "listed_in"),              # policy -> technology
    "leads": ("lead", "led_by"),                  # organisation -> technology (chain lead)
    "partners": ("partner", "has_partner"),       # organisation -> technology (chain partner)
    "mentions": ("mentions", "mentioned_in"),     # policy -> organisation
    "in_sector": ("in_sector", "sector_of"),      # policy/technology/organisation -> sector
    "refers_to": ("refers_to", "referred_to_by"),  # policy -> policy
    "names": ("names", "named_in"),               # policy -> person (author, official quoted ...)
    "serves_in": ("serves_in", "has_official"),   # person -> agency or organisation (a post held)
    "wrote": ("wrote", "written_by"),             # person -> source (author)
    "edited": ("edited", "edited_by"),            # person -> source (editor)
    "event_party": ("event_with", "party_to_event_of"),  # organisation -> agency, organisation or person in its event
    "parent": ("part_of", "has_part"),            # organisation or agency -> its parent
    # Typed links (policy -> policy, organisation -> organisation), by their relation.
    "implements": ("implements", "implemented_by"),
    "part-of": ("part_of", "has_part"),
    "follows": ("follows", "followed_by"),
    "extends": ("extends", "extended_by"),
    "responds-to": ("responds_to", "answered_by"),
    "supersedes": ("supersedes", "superseded_by"),
    "subsidiary-of": ("subsidiary_of", "has_subsidiary"),
    "supplier-of": ("supplier_of", "supplied_by"),
    "customer-of": ("customer_of", "has_customer"),
    "partner-of": ("partner_of", "partner_of"),
    "investor-in": ("investor_in", "has_investor"),
    "linked": ("linked_to", "linked_from"),
}
# A typed link's relation -> its edge kind (a plain "refers-to" is refers_to's edge).
_LINK_EDGE = {"refers-to": "refers_to", "other": "linked"}
_TYPE_RANK = {t: n for n, t in enumerate(RECORD_TYPES)}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str


@dataclass(frozen=True)
class Step:
    """One edge as walked: from `start` to `end`, labelled from the walker's side."""

    start: str
    label: str
    end: str


@dataclass(frozen=True)
class Reached:
    id: str
    depth: int
    steps: tuple[Step, ...]

    @property
    def path(self) -> str:
        if not self.steps:
            return self.id
        return self.steps[0].start + "".join(f" -{s.label}-> {s.end}" for s in self.steps)


@dataclass
class Graph:
    nodes: dict[str, Record]  # id -> record, in type then id order
    edges: list[Edge]
    _adjacent: dict[str, list[tuple[str, str]]] | None = field(default=None, repr=False)

    def neighbours(self, rid: str) -> list[tuple[str, str]]:
        """(neighbour id, step label) pairs, in a stable order (type, then id, then label)."""
        if self._adjacent is None:
            adj: dict[str, list[tuple[str, str]]] = {n: [] for n in self.nodes}
            for e in self.edges:
                forward, backward = EDGE_KINDS[e.kind]
                adj[e.source].append((e.target, forward))
                adj[e.target].append((e.source, backward))
            for items in adj.values():
                items.sort(key=lambda item: (self.rank(item[0]), item[1]))
            self._adjacent = adj
        return self._adjacent.get(rid, [])

    def rank(self, rid: str) -> tuple[int, str]:
        return (_TYPE_RANK.get(self.nodes[rid]["type"], 99), rid)

    def subgraph(self, ids: set[str]) -> "Graph":
        nodes = {i: r for i, r in self.nodes.items() if i in ids}
        return Graph(nodes, [e for e in self.edges if e.source in ids and e.target in ids])


def build(kb: KnowledgeBase) -> Graph:
    """Every record is a node; every reference listed in EDGE_KINDS is one edge (deduplicated).
    References to records that are missing (a base loaded with --skip-invalid) are dropped."""
    nodes = {r["id"]: r for t in RECORD_TYPES for r in kb.of_type(t)}
    seen: dict[tuple[str, str, str], None] = {}
    for source, target, kind in _references(kb):
        if source in nodes and target in nodes and source != target:
            seen.setdefault((source, target, kind), None)
    return Graph(nodes, [Edge(s, t, k) for s, t, k in seen])


def _references(kb: KnowledgeBase) -> Iterator[tuple[str, str, str]]:
    for p in kb.of_type("policy"):
        pid = p["id"]
        for n, agency in enumerate(dict.fromkeys(p.get("issuers") or [])):
            yield agency, pid, "issued" if n == 0 else "co-issued"
        for tech in p.get("technologies") or []:
            yield pid, tech, "lists"
        for m in p.get("organisations") or []:
            yield pid, m["org"], "mentions"
        for sector in p.get("sectors") or []:
            yield pid, sector, "in_sector"
        for other in p.get("refers_to") or []:
            yield pid, other, "refers_to"
        for link in p.get("links") or []:
            yield pid, link["to"], _LINK_EDGE.get(link["relation"], link["relation"])
    for t in kb.of_type("technology"):
        tid = t["id"]
        for policy in t.get("listed_in") or []:
            yield policy, tid, "lists"
        for group in t.get("groups") or []:
            for org in group.get("leads") or []:
                yield org, tid, "leads"
            for org in group.get("partners") or []:
                yield org, tid, "partners"
        for sector in t.get("sectors") or []:
            yield tid, sector, "in_sector"
    for c in kb.of_type("company"):
        for sector in c.get("sectors") or []:
            yield c["id"], sector, "in_sector"
        for link in c.get("links") or []:
            yield c["id"], link["to"], _LINK_EDGE.get(link["relation"], link["relation"])
        for event in c.get("events") or []:
            for key in ("agencies", "organisations", "people"):
                for party in event.get(key) or []:
                    yield c["id"], party, "event_party"
    for rtype in ("company", "agency"):
        for r in kb.of_type(rtype):
            if r.get("parent"):
                yield r["id"], r["parent"], "parent"
    yield from _people_references(kb)


def _people_references(kb: KnowledgeBase) -> Iterator[tuple[str, str, str]]:
    for p in kb.of_type("policy"):
        for m in p.get("people") or []:
            yield p["id"], m["person"], "names"
    for person in kb.of_type("person"):
        for post in person.get("positions") or []:
            for where in (post.get("agency"), post.get("organisation")):
                if where:
                    yield person["id"], where, "serves_in"
    for src in kb.of_type("source"):
        for author in src.get("authors") or []:
            yield author, src["id"], "wrote"
        for editor in src.get("editors") or []:
            yield editor, src["id"], "edited"


def walk(graph: Graph, start: str, depth: int) -> list[Reached]:
    """Breadth-first from `start` up to `depth` steps, following edges both ways. Each record
    is reached once, by the first shortest path in stable order; the start is not included."""
    reached: dict[str, Reached] = {start: Reached(start, 0, ())}
    frontier = deque([start])
    while frontier:
        here = reached[frontier.popleft()]
        if here.depth >= depth:
            continue
        for other, label in graph.neighbours(here.id):
            if other not in reached:
                reached[other] = Reached(other, here.depth + 1, here.steps + (Step(here.id, label, other),))
                frontier.append(other)
    found = [r for r in reached.values() if r.id != start]
    found.sort(key=lambda r: (r.depth, graph.rank(r.id)))
    return found


def related(kb: KnowledgeBase, name: str, depth: int) -> Listing:
    """The records within `depth` steps of the one `name` finds, each with the path to it."""
    start = find_record(kb, name)
    found = walk(build(kb), start["id"], depth)
    rows = [{"depth": r.depth, "type": kb.records[r.id]["type"], "id": r.id, "name": display_name(kb.records[r.id]),
             "path": r.path, "steps": [{"from": s.start, "relation": s.label, "to": s.end} for s in r.steps]}
            for r in found]
    columns = [col("DEPTH", "depth"), col("TYPE", "type"), col("ID", "id"), col("NAME", "name", wide=True),
               Column("PATH", lambda r: r["path"], wide=True)]
    noun = "step" if depth == 1 else "steps"
    title = f"{display_name(start)} [{start['type']} {start['id']}]: {len(rows)} records within {depth} {noun}"
    return Listing(rows, columns, title=title)


def find_record(kb: KnowledgeBase, name: str) -> Record:
    """A record of any type: by id, then by exact name or alias (types in RECORD_TYPES order),
    then by a confident fuzzy match within one type. NotFoundError names the closest records."""
    from chinaind.core.errors import NotFoundError

    text = name.strip()
    if not text:
        raise NotFoundError("record", name)
    rec = kb.get(text)
    if rec is not None:
        return rec
    key = norm(text)
    table = kb.all_names()
    if key in table:
        return kb.records[table[key][0]]
    for rtype in RECORD_TYPES:
        try:
            return kb.resolve(rtype, text)
        except NotFoundError:
            continue
    from chinaind.query.search import fuzzy_names

    close = list(dict.fromkeys(table[n][0] for n, _ in fuzzy_names(key, list(table))))
    raise NotFoundError("record", name, [kb.label(i) for i in close[:3]])
