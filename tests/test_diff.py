"""`chinaind diff`: records added, removed and changed between two knowledge bases, or between
a git revision of one and its working tree."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURE_KB
from chinaind.query.kbdiff import FieldChange, changed_fields, list_items

HAS_GIT = shutil.which("git") is not None
needs_git = pytest.mark.skipif(not HAS_GIT, reason="git is not installed")

ROBOT = 'Implementation Plan for "Robot +" Application Actions'
SAC = "Application Guideline for National Technical Standard Innovation Bases"
TSV = (f"changed\tpolicy\trobot-plus\t{ROBOT}\tdates[0], figures[robot-density, +robot-firms], summary\n"
       f"removed\tpolicy\tsac-guideline\t{SAC}\t\n"
       "added\tsector\toptics\tOptics\t\n")


def edit(kb: Path) -> None:
    """One record added, one removed, one changed (a date, a figure, a new figure, the summary)."""
    (kb / "policies" / "sac-guideline.yaml").unlink()
    (kb / "sectors" / "optics.yaml").write_text("id: optics\nname: Optics\n", encoding="utf-8")
    robot = kb / "policies" / "robot-plus.yaml"
    text = robot.read_text(encoding="utf-8")
    text = text.replace("2023-01-19", "2023-01-20").replace("value: 492", "value: 500")
    text = text.replace("figures:\n", "figures:\n  - {id: robot-firms, kind: goal, what: robot firms, value: 3}\n", 1)
    text = "\n".join("summary: Revised." if line.startswith("summary:") else line for line in text.split("\n"))
    robot.write_text(text, encoding="utf-8")


@pytest.fixture
def two(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(FIXTURE_KB, old)
    shutil.copytree(FIXTURE_KB, new)
    edit(new)
    return old, new


def test_two_folders_tsv(run, two):
    result = run("diff", *map(str, two))
    assert (result.exit_code, result.stdout, result.stderr) == (0, TSV, "")


def test_two_folders_json_names_the_changed_items(run, two):
    result = run("diff", *map(str, two), "-f", "json")
    assert json.loads(result.stdout) == [
        {"change": "changed", "type": "policy", "id": "robot-plus", "name": ROBOT,
         "fields": {"dates": ["0"], "figures": ["robot-density", "+robot-firms"], "summary": []}},
        {"change": "removed", "type": "policy", "id": "sac-guideline", "name": SAC, "fields": {}},
        {"change": "added", "type": "sector", "id": "optics", "name": "Optics", "fields": {}},
    ]


def test_two_folders_in_the_other_formats(run, two):
    args = ("diff", *map(str, two), "-f")
    assert run(*args, "ids").stdout == "robot-plus\nsac-guideline\noptics\n"
    assert run(*args, "csv").stdout == (
        "change,type,id,name,fields\n"
        'changed,policy,robot-plus,"Implementation Plan for ""Robot +"" Application Actions",'
        '"dates[0], figures[robot-density, +robot-firms], summary"\n'
        f"removed,policy,sac-guideline,{SAC},\n"
        "added,sector,optics,Optics,\n")
    jsonl = run(*args, "jsonl").stdout.splitlines()
    assert [json.loads(line)["id"] for line in jsonl] == ["robot-plus", "sac-guideline", "optics"]
    assert run(*args, "yaml").stdout.startswith(
        "- change: changed\n  type: policy\n  id: robot-plus\n"
        f"  name: {ROBOT}\n  fields:\n    dates:\n    - '0'\n    figures:\n    - robot-density\n    - +robot-firms\n")


def test_the_table_says_what_was_compared(run, two, monkeypatch):
    import chinaind.output.render as render

    monkeypatch.setattr(render, "isatty", lambda stream: True)
    old, new = two
    out = run("diff", str(old), str(new), "-f", "table", env={"COLUMNS": "200"}).stdout
    assert out.splitlines()[0] == f"{old} -> {new}: 1 added, 1 removed, 1 changed"
    assert run("diff", str(old), str(old), "-f", "table", env={"COLUMNS": "200"}).stdout.splitlines()[-1] == "no differences"


def test_no_differences_is_empty_and_exit_0(run, kb_copy):
    assert (lambda r: (r.exit_code, r.stdout))(run("diff", str(kb_copy), str(FIXTURE_KB))) == (0, "")
    assert run("diff", str(kb_copy), str(FIXTURE_KB), "-f", "json").stdout == "[]\n"


def test_exit_code_option(run, two):
    assert run("diff", *map(str, two), "--exit-code").exit_code == 1
    assert run("diff", str(two[0]), str(FIXTURE_KB), "--exit-code").exit_code == 0


def test_formatting_is_no_change(run, kb_copy):
    robot = kb_copy / "policies" / "robot-plus.yaml"
    robot.write_text("# a comment\n" + robot.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    assert run("diff", str(FIXTURE_KB), str(kb_copy)).stdout == ""


def test_an_invalid_side_is_exit_3_with_its_problems(run, two):
    old, new = two
    robot = new / "policies" / "robot-plus.yaml"
    robot.write_text(robot.read_text(encoding="utf-8").replace("kind: plan", "kind: plna"), encoding="utf-8")
    result = run("diff", str(old), str(new))
    assert result.exit_code == 3 and result.stdout == ""
    assert result.stderr.splitlines()[0].startswith(f"{robot}:4:7: kind: 'plna' is not allowed; did you mean 'plan'?")
    assert result.stderr.splitlines()[-1] == (
        "chinaind: the knowledge base has 1 problem; fix them (chinaind validate lists them) or pass --skip-invalid")


@pytest.mark.parametrize("args, message", [
    (["only-one"], "chinaind: diff: give two knowledge base folders (OLD NEW), or --rev REV [DIR]\n"),
    ([], "chinaind: diff: give two knowledge base folders (OLD NEW), or --rev REV [DIR]\n"),
    (["--rev", "HEAD", "a", "b"], "chinaind: diff --rev: give at most one knowledge base folder\n"),
])
def test_usage_errors(run, args, message):
    result = run("diff", *args)
    assert (result.exit_code, result.stderr) == (2, message)


# --- the items of a field ----------------------------------------------------------------------
@pytest.mark.parametrize("old, new, items", [
    (["MIIT", "NDRC"], ["MIIT", "SAC"], ("+SAC", "-NDRC")),
    (["MIIT", "NDRC"], ["NDRC", "MIIT"], ()),  # the order only: the field, no items
    ([{"id": "a", "v": 1}, {"id": "b"}], [{"id": "a", "v": 2}, {"id": "c"}], ("a", "+c", "-b")),
    ([{"role": "issued"}], [{"role": "adopted"}, {"role": "issued"}], ("0", "+1")),
    ([{"role": "issued"}, {"role": "x"}], [{"role": "issued"}], ("-1",)),
    (["a", "a"], ["a", "b"], ("1",)),  # repeated values have no identity: by position
])
def test_list_items(old, new, items):
    assert list_items(old, new) == items


def test_changed_fields_skip_the_derived_date():
    old = {"id": "x", "dates": [{"date": "2023"}], "date": "2023", "analysis": None}
    new = {"id": "x", "dates": [{"date": "2024"}], "date": "2024", "analysis": "Now written."}
    assert changed_fields(old, new) == (FieldChange("dates", ("0",)), FieldChange("analysis"))


# --- a git revision ----------------------------------------------------------------------------
def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository holding the fixture in data/: one commit, then the edits uncommitted.
    git identifies the author from the environment, never from the user's configuration."""
    for var, value in {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
                       "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org",
                       "GIT_CONFIG_NOSYSTEM": "1"}.items():
        monkeypatch.setenv(var, value)
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE_KB, root / "data")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "The fixture")
    edit(root / "data")
    return root


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@needs_git
def test_rev_against_the_working_tree(run, repo, cache_dir, monkeypatch):
    before = tree(repo)
    result = run("diff", "--rev", "HEAD", str(repo / "data"))
    assert (result.exit_code, result.stdout, result.stderr) == (0, TSV, "")
    monkeypatch.chdir(repo / "data" / "policies")
    assert run("--data-dir", "..", "diff", "-r", "HEAD").stdout == TSV
    # Nothing written into the repository; in the cache only the working tree's files.
    assert tree(repo) == before
    from chinaind.store.cachedb import cache_path

    key = cache_path(repo / "data").stem
    assert {p.name.split(".")[0] for p in cache_dir.iterdir() if not p.name.startswith(".")} == {key}


@needs_git
def test_rev_after_a_commit_is_empty(run, repo):
    git(repo, "commit", "-q", "-a", "-m", "Edits")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "The new sector")
    assert run("diff", "--rev", "HEAD", str(repo / "data")).stdout == ""
    assert run("diff", "--rev", "HEAD~2", str(repo / "data")).stdout == TSV


@needs_git
def test_rev_without_a_knowledge_base(run, repo):
    policies = run("diff", "--rev", "HEAD", str(repo / "data" / "policies"))
    assert policies.exit_code == 2
    assert policies.stderr.startswith("chinaind: HEAD:data/policies is not a knowledge base: it has none of the folders")
    (repo / "data").rename(repo / "kb")
    result = run("diff", "--rev", "HEAD", str(repo / "kb"))
    assert (result.exit_code, result.stderr) == (
        2, "chinaind: diff --rev: kb does not exist at HEAD; give a revision that has the knowledge base\n")


@needs_git
def test_rev_problems_name_the_revision(run, repo):
    robot = repo / "data" / "policies" / "robot-plus.yaml"
    robot.write_text(robot.read_text(encoding="utf-8").replace("kind: plan", "kind: plna"), encoding="utf-8")
    git(repo, "commit", "-q", "-a", "-m", "Broken")
    result = run("diff", "--rev", "HEAD", str(repo / "data"))
    assert result.exit_code == 3
    assert result.stderr.splitlines()[0].startswith(
        "HEAD:data/policies/robot-plus.yaml:4:7: kind: 'plna' is not allowed; did you mean 'plan'?")


@needs_git
def test_rev_errors(run, repo, kb_copy):
    unknown = run("diff", "--rev", "no-such-branch", str(repo / "data"))
    assert (unknown.exit_code, unknown.stderr) == (1, "chinaind: no git revision matches 'no-such-branch'\n")
    option = run("diff", "--rev=--output=x", str(repo / "data"))
    assert (option.exit_code, option.stderr) == (
        2, "chinaind: diff --rev: '--output=x' is not a revision; give one like HEAD~1, a branch, a tag or a commit id\n")
    outside = run("diff", "--rev", "HEAD", str(kb_copy))
    assert (outside.exit_code, outside.stderr) == (
        2, f"chinaind: diff --rev: {kb_copy} is not in a git repository (or in one without a working tree)\n")


# --- the revision as stored, and nothing else (issue #23) ----------------------------------------
def committed(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@needs_git
@pytest.mark.parametrize("attributes", ["policies/** export-ignore", "*.yaml export-subst", "* -text ident filter=x"])
def test_rev_reads_the_revision_as_stored_whatever_gitattributes_say(run, repo, attributes):
    """`git archive` obeyed .gitattributes: export-ignore hid records, export-subst rewrote them."""
    robot = repo / "data" / "policies" / "robot-plus.yaml"
    text = "\n".join("summary: Kept as $Format:%H$ and $Id$ say." if line.startswith("summary:") else line
                     for line in robot.read_text(encoding="utf-8").split("\n"))
    robot.write_text(text, encoding="utf-8")
    (repo / "data" / ".gitattributes").write_text(attributes + "\n")
    committed(repo, "Attributes")
    git(repo, "config", "filter.x.smudge", "false")
    result = run("diff", "--rev", "HEAD", str(repo / "data"))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


@needs_git
def test_rev_reads_only_record_files_and_never_a_big_blob(run, repo, tmp_path, monkeypatch):
    """Every file of the revision went to TMPDIR, a 1 GB blob too; now only the record files
    within the size limit are read, and one over it is refused by its size."""
    big = repo / "data" / "video.bin"
    with open(big, "wb") as fh:  # sparse in the working tree, 64 MB in git (compressed to little)
        fh.truncate(64 * 1024 * 1024)
    (repo / "data" / "sectors" / "huge.yaml").write_bytes(b"id: huge\nname: Huge\n" + b"#" * 2_000_000 + b"\n")
    committed(repo, "A big blob")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    import chinaind.store.gitrev as gitrev

    seen: list[list[str]] = []
    real = gitrev.write_blobs

    def spy(toplevel, blobs, dest):
        real(toplevel, blobs, dest)
        seen.append(sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()))
        seen.append([str(sum(p.stat().st_blocks for p in dest.rglob("*") if p.is_file()) * 512)])

    monkeypatch.setattr(gitrev, "write_blobs", spy)
    result = run("diff", "--rev", "HEAD", str(repo / "data"))
    assert result.exit_code == 3 and "sectors/huge.yaml:1:1: " in result.stderr
    files, used = seen
    assert "video.bin" not in files and "sectors/huge.yaml" in files
    assert all(f.endswith(".yaml") for f in files)
    assert int(used[0]) < 2_000_000  # the huge record is sparse: never read, never written
    assert list(tmp.iterdir()) == []


@needs_git
def test_rev_in_a_folder_whose_name_holds_a_newline(run, repo):
    odd = repo / "odd\nname"
    shutil.copytree(FIXTURE_KB, odd)
    committed(repo, "A knowledge base in a folder with a newline in its name")
    edit(odd)
    result = run("diff", "--rev", "HEAD", str(odd))
    assert (result.exit_code, result.stdout, result.stderr) == (0, TSV, "")


@needs_git
def test_rev_follows_a_symlinked_record_inside_the_base_as_the_scan_does(run, repo):
    import os

    (repo / "data" / "shared").mkdir()
    (repo / "data" / "shared" / "optics.yaml").write_text("id: optics\nname: Optics\n", encoding="utf-8")
    (repo / "data" / "sectors" / "optics.yaml").unlink()
    os.symlink("../shared/optics.yaml", repo / "data" / "sectors" / "optics.yaml")
    committed(repo, "A record kept elsewhere in the base, linked into its folder")
    result = run("diff", "--rev", "HEAD", str(repo / "data"))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    os.symlink("/etc/passwd", repo / "data" / "sectors" / "passwd.yaml")  # outside: skipped, as by the scan
    committed(repo, "A link out")
    result = run("diff", "--rev", "HEAD", str(repo / "data"))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


@needs_git
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_rev_removes_its_folder_on_every_signal_that_ends_it(repo, tmp_path, signame):
    import os
    import signal
    import sys

    slow = tmp_path / "slow.py"
    slow.write_text(
        "import sys, time\n"
        "import chinaind.query.kbdiff as k\n"
        "real = k.load_side\n"
        "def load_side(d, **kw):\n"
        "    if kw.get('shown_as'):\n"
        "        print('exported', flush=True)\n"
        "        time.sleep(60)\n"
        "    return real(d, **kw)\n"
        "k.load_side = load_side\n"
        "from chinaind.cli.launch import main\n"
        "sys.argv = ['chinaind'] + sys.argv[1:]\n"
        "main()\n")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.Popen([sys.executable, str(slow), "diff", "--rev", "HEAD", str(repo / "data")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline() == "exported\n"
    assert len(list(tmp.iterdir())) == 1
    proc.send_signal(getattr(signal, signame))
    out, err = proc.communicate(timeout=30)
    assert (proc.returncode, err) == (130, "chinaind: interrupted\n")
    assert list(tmp.iterdir()) == []
