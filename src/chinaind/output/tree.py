"""A chain technology as a tree: technology -> group -> lead -> partners.

`chain_tree` gives plain lines (for pipes and tests), `rich_tree` a Rich Tree for a terminal.
Both come from one node structure, so they always say the same thing. Labels are one line of
plain text (escape.one_line: a newline in a name must not draw a line of its own); Rich gets
`Text` objects, never markup, because names in records may hold brackets ("[bold]") that Rich
would otherwise swallow or restyle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chinaind.query.queries import unnamed_partners
from chinaind.core.escape import one_line

if TYPE_CHECKING:  # Rich is imported only when a terminal tree is drawn.
    from rich.tree import Tree

    from chinaind.query.index import KnowledgeBase

Record = dict[str, Any]
NO_ORGS = "no organisations named in the source"
NOT_A_CHAIN = "not a chain programme technology: the source only mentions it"


@dataclass
class Node:
    label: str
    style: str = ""  # a Rich style name, ignored by the plain lines
    children: list["Node"] = field(default_factory=list)


def chain_nodes(kb: "KnowledgeBase", tech: Record) -> Node:
    """The tree of one technology record (as loaded, or as returned by queries.chain)."""
    listed = [p for pid in tech.get("listed_in") or [] if (p := kb.get(pid))]
    head = f"{tech['name']} [{tech['id']}]"
    if tech.get("name_zh"):
        head += f" {tech['name_zh']}"
    if listed:
        head += " · listed in " + "; ".join(f"{p['id']} ({p.get('date') or 'undated'})" for p in listed)
    root = Node(head, "bold")
    groups = tech.get("groups") or []
    if not groups:
        root.children.append(Node(NO_ORGS if tech.get("programme") else NOT_A_CHAIN, "dim"))
    for n, group in enumerate(groups, start=1):
        root.children.append(_group_node(kb, n, group))
    return root


def _group_node(kb: "KnowledgeBase", n: int, group: Record) -> Node:
    leads = group.get("leads") or []
    partners = group.get("partners") or []
    total = group.get("partners_total")
    about = "about " if group.get("partners_total_approximate") else ""
    partner_nodes = [Node(_org(kb, oid)) for oid in partners]
    unnamed, _ = unnamed_partners(group)
    if unnamed:
        partner_nodes.append(Node(f"+{about}{unnamed} more not named", "dim"))
    if total is None:
        summary = f"{len(partners)} named"
    else:
        summary = f"{len(partners)} of {about}{total} named"
    # One lead line per group (several leads share it), so every group reads the same way:
    # group -> lead -> partners, whatever the number of leads.
    title = "lead" if len(leads) == 1 else "leads"
    lead_node = Node(f"{title}: " + "; ".join(_org(kb, oid) for oid in leads), "bold")
    if partner_nodes:
        lead_node.children.append(Node(f"partners: {summary}", "", partner_nodes))
    else:
        lead_node.children.append(Node("partners: none named", "dim"))
    return Node(f"group {n}", "", [lead_node])


def _org(kb: "KnowledgeBase", oid: str) -> str:
    rec = kb.get(oid)
    if rec is None:
        return oid
    zh = f" {rec['name_zh']}" if rec.get("name_zh") else ""
    return f"{rec['name']}{zh} [{oid}]"


def lines_of(node: Node) -> list[str]:
    """Plain lines drawn with the same guides Rich uses."""
    out = [one_line(node.label)]
    _append(node.children, "", out)
    return out


def _append(children: list[Node], prefix: str, out: list[str]) -> None:
    for i, child in enumerate(children):
        last = i == len(children) - 1
        out.append(prefix + ("└── " if last else "├── ") + one_line(child.label))
        _append(child.children, prefix + ("    " if last else "│   "), out)


def chain_tree(kb: "KnowledgeBase", tech: Record) -> list[str]:
    """The tree of a chain technology as plain text lines (no trailing newlines)."""
    return lines_of(chain_nodes(kb, tech))


def rich_tree(kb: "KnowledgeBase", tech: Record) -> "Tree":
    """The same tree as a Rich Tree of Text labels, for a terminal console."""
    from rich.text import Text
    from rich.tree import Tree

    def build(node: Node, parent: Tree | None) -> Tree:
        label = Text(one_line(node.label), style=node.style)
        branch = Tree(label, guide_style="dim") if parent is None else parent.add(label)
        for child in node.children:
            build(child, branch)
        return branch

    return build(chain_nodes(kb, tech), None)
