"""The Python front door: chinaind.open() and the notebook API. Each method answers with exactly
what the matching command prints with -f json; its warnings are on the answer, not printed; its
names and signatures are public surface and are pinned here."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

import chinaind
from chinaind.core.errors import InvalidKnowledgeBase, NotFoundError, UsageError

from conftest import FIXTURE_COUNT, FIXTURE_KB


@pytest.fixture(scope="module")
def kb():
    with chinaind.open(FIXTURE_KB) as base:
        yield base


# (method call, the same question on the command line)
SAME_QUESTIONS = [
    (lambda kb: kb.search("robot"), ["search", "robot"]),
    (lambda kb: kb.search("robot", kind="policy", limit=1), ["search", "robot", "--kind", "policy", "--limit", "1"]),
    (lambda kb: kb.chain("fiber laser"), ["chain", "fiber laser"]),
    (lambda kb: kb.agency("MIIT", since="2023-01"), ["agency", "MIIT", "--since", "2023-01"]),
    (lambda kb: kb.agency("MIIT", with_=["NDRC"], undated="include"), ["agency", "MIIT", "--with", "NDRC", "--undated", "include"]),
    (lambda kb: kb.company("catl"), ["company", "catl"]),
    (lambda kb: kb.person("li-ming"), ["person", "li-ming"]),
    (lambda kb: kb.source("test-web-page"), ["source", "test-web-page"]),
    (lambda kb: kb.sector("robotics"), ["sector", "robotics"]),
    (lambda kb: kb.targets(due_by=2025), ["targets", "--due-by", "2025"]),
    (lambda kb: kb.list("policies", since="2020"), ["list", "policies", "--since", "2020"]),
    (lambda kb: kb.show("MIIT", "robot-plus"), ["show", "MIIT", "robot-plus"]),
    (lambda kb: kb.related("catl", depth=1), ["related", "catl", "--depth", "1"]),
    (lambda kb: kb.chains(), ["chains"]),
    (lambda kb: kb.chains(coverage=True), ["chains", "--coverage"]),
    (lambda kb: kb.timeline(since="2023"), ["timeline", "--since", "2023"]),
    (lambda kb: kb.stats(), ["stats"]),
]


@pytest.mark.parametrize("ask, argv", SAME_QUESTIONS, ids=[" ".join(a) for _, a in SAME_QUESTIONS])
def test_each_method_answers_what_json_prints(kb, fx, ask, argv):
    printed = fx(*argv, "-f", "json")
    assert printed.exit_code == 0, printed.stderr
    answer = ask(kb)
    assert list(answer) == json.loads(printed.stdout)
    assert all(type(row) is dict for row in answer)
    # What the command says on stderr in a pipe is on the answer.
    said = [line.removeprefix("chinaind: note: ") for line in printed.stderr.splitlines()]
    assert answer.warnings == said


def test_a_limit_that_cuts_says_so(kb):
    answer = kb.search("robot", limit=1)
    assert len(answer) == 1 and answer.warnings == [f"showing 1 of {len(kb.search('robot', limit=None))} results; use --limit 0 for all"]
    assert kb.search("robot", limit=None).warnings == []


def test_undated_records_left_out_are_counted_on_the_answer(kb):
    answer = kb.agency("MIIT", since="2023")
    assert "future-roadmap" not in answer.ids
    assert answer.warnings == ["1 policy without a date left out; --undated include shows them, --undated only lists them"]


def test_answers_are_plain_copies(kb):
    first = kb.show("MIIT")
    first[0]["name"] = "changed"
    assert kb.show("MIIT")[0]["name"] != "changed"
    assert kb.get("MIIT")["name"] != "changed" and kb.get("no-such-id") is None


def test_errors_are_the_command_lines(kb):
    with pytest.raises(NotFoundError):
        kb.agency("Ministry of Magic")
    with pytest.raises(UsageError, match=r"^since: '2023-13' has no month 13"):
        kb.agency("MIIT", since="2023-13")
    with pytest.raises(UsageError, match="^kind: unknown kind 'memo'"):
        kb.search("robot", kind="memo")
    with pytest.raises(UsageError, match="^undated: unknown mode"):
        kb.timeline(undated="sometimes")


def test_list_takes_the_singular_too(kb):
    assert kb.list("policy") == kb.list("policies")
    with pytest.raises(UsageError, match="^unknown record type 'memos'; choose one of policies"):
        kb.list("memos")


def test_open_resolves_like_the_cli(monkeypatch):
    monkeypatch.setenv("CHINAIND_DATA", str(FIXTURE_KB))
    with chinaind.open() as base:
        assert len(base) == FIXTURE_COUNT and base.data_dir == FIXTURE_KB and base.problems == []
    monkeypatch.delenv("CHINAIND_DATA")
    with chinaind.open() as bundled:
        assert bundled.data_dir.name in ("data", "_data") and len(bundled) > FIXTURE_COUNT


@pytest.mark.parametrize("cache", [True, False])
def test_open_with_and_without_the_cache_agree(cache):
    with chinaind.open(FIXTURE_KB, cache=cache) as base:
        assert sorted(base.records) == sorted(chinaind.open(FIXTURE_KB).records)


def test_an_invalid_base_raises_unless_skipped(kb_copy):
    (kb_copy / "sectors" / "broken.yaml").write_text("id: broken\nname: [unclosed\n", encoding="utf-8")
    with pytest.raises(InvalidKnowledgeBase) as raised:
        chinaind.open(kb_copy)
    assert any("broken.yaml" in p.path for p in raised.value.problems)
    with chinaind.open(kb_copy, skip_invalid=True) as base:
        assert [Path(p.path).name for p in base.problems] == ["broken.yaml"]
        assert "broken" not in base.records and len(base.search("robot")) > 0


def test_a_missing_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        chinaind.open(tmp_path / "nowhere")


def test_close_is_idempotent_and_records_read_stay():
    base = chinaind.open(FIXTURE_KB)
    name = base.index.records["MIIT"]["name"]
    base.close()
    base.close()
    assert base.index.records["MIIT"]["name"] == name
    assert "closed" in repr(base)


# The public surface, pinned: changing a name or a default here is a breaking change.
SIGNATURES = {
    "search": "(query: 'str', kind: 'str | None' = None, limit: 'int | None' = 20) -> 'Answer'",
    "chain": "(technology: 'str') -> 'Answer'",
    "agency": "(name: 'str', since: 'str | None' = None, until: 'str | None' = None, with_: 'Iterable[str]' = (), "
              "undated: 'str' = 'exclude', date_role: 'str | None' = None, sector: 'str | None' = None) -> 'Answer'",
    "company": "(name: 'str') -> 'Answer'",
    "person": "(name: 'str') -> 'Answer'",
    "source": "(name: 'str') -> 'Answer'",
    "sector": "(name: 'str', since: 'str | None' = None, until: 'str | None' = None, undated: 'str' = 'exclude', "
              "date_role: 'str | None' = None) -> 'Answer'",
    "targets": "(due_by: 'int | None' = None, agency: 'str | None' = None, sector: 'str | None' = None, "
               "undated: 'str' = 'exclude') -> 'Answer'",
    "list": "(what: 'str', since: 'str | None' = None, until: 'str | None' = None, agency: 'str | None' = None, "
            "sector: 'str | None' = None, undated: 'str' = 'exclude', date_role: 'str | None' = None) -> 'Answer'",
    "show": "(*ids: 'str') -> 'Answer'",
    "related": "(name: 'str', depth: 'int' = 2) -> 'Answer'",
    "chains": "(coverage: 'bool' = False) -> 'Answer'",
    "timeline": "(since: 'str | None' = None, until: 'str | None' = None, agency: 'str | None' = None, "
                "sector: 'str | None' = None, undated: 'str' = 'exclude') -> 'Answer'",
    "stats": "(since: 'str | None' = None, until: 'str | None' = None, undated: 'str' = 'exclude') -> 'Answer'",
    "get": "(rid: 'str') -> 'Record | None'",
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_public_signatures_are_stable(name):
    method = getattr(chinaind.OpenKnowledgeBase, name)
    params = list(inspect.signature(method).parameters.values())[1:]  # without self
    shown = str(inspect.Signature(params, return_annotation=inspect.signature(method).return_annotation))
    assert shown == SIGNATURES[name]


def test_open_signature_is_stable():
    assert str(inspect.signature(chinaind.open)) == (
        "(data_dir: 'str | os.PathLike[str] | None' = None, *, cache: 'bool' = True, "
        "skip_invalid: 'bool' = False) -> 'OpenKnowledgeBase'")


def test_importing_chinaind_loads_no_query_code():
    """The CLI imports the package on every run and TAB: the API must cost it nothing."""
    code = "import sys, chinaind; print(sorted(m for m in sys.modules if m.startswith('chinaind')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['chinaind', 'chinaind.core', 'chinaind.core.version']"


def test_the_readme_python_example_runs_as_shown():
    """The README's ```pycon block is a doctest on the bundled data."""
    import doctest
    import re

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```pycon\n(.*?)```", readme, re.S)
    assert blocks, "no pycon example in README.md"
    for block in blocks:
        test = doctest.DocTestParser().get_doctest(block, {}, "README", "README.md", 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test)
        assert runner.failures == 0, f"README example failed: see the doctest report above"


def test_a_close_guess_is_on_the_answer(kb):
    answer = kb.agency("MIIIT")
    assert answer.warnings[0] == "no agency is named 'MIIIT'; answering for the closest, MIIT (Ministry of Industry and Information Technology)"
    assert kb.agency("MIIT").warnings == []  # the guess of one question is not said again


def test_a_close_guess_is_said_in_a_pipe(fx):
    r = fx("agency", "MIIIT", "-f", "ids")
    assert r.exit_code == 0 and r.stdout.split()
    assert r.stderr.splitlines()[0] == ("chinaind: note: no agency is named 'MIIIT'; answering for the closest, "
                                        "MIIT (Ministry of Industry and Information Technology)")
