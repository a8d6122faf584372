"""The pre-commit hook (.pre-commit-hooks.yaml) that knowledge-base repositories use.

The manifest is checked cheaply on every run. One test runs the real hook with `pre-commit
try-repo` against a temporary git repository: pre-commit installs this repository into a
fresh virtualenv with pip for each try-repo run (from the package index: the only tests that
use it), about half a minute each. Deselect it with `-m "not installs"`.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURE_KB, REPO

MANIFEST = REPO / ".pre-commit-hooks.yaml"
HAS_PRE_COMMIT = importlib.util.find_spec("pre_commit") is not None
HAS_GIT = shutil.which("git") is not None
IS_CHECKOUT = (REPO / ".git").exists()


def hook() -> dict:
    import yaml

    (only,) = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return only


def test_the_hook_validates_the_knowledge_base_not_the_changed_files():
    h = hook()
    assert (h["id"], h["entry"], h["language"], h["pass_filenames"], h["args"]) == (
        "chinaind-validate", "chinaind validate --staged", "python", False, ["."])


@pytest.mark.parametrize("path, runs", [
    ("policies/robot-plus.yaml", True),
    ("sources/x.yml", True),
    ("people/sub/folder/x.yaml", True),
    ("data/companies/catl.yaml", True),  # a base in a subfolder, used with `args: [data]`
    ("README.md", False),
    ("policies/notes.txt", False),
    ("data/schema/policy.json", False),
    ("mypolicies/x.yaml", False),
])
def test_the_hook_runs_when_a_record_file_changes(path, runs):
    assert bool(re.search(hook()["files"], path)) is runs


@pytest.mark.skipif(not HAS_PRE_COMMIT, reason="pre-commit is not installed (pip install '.[test]')")
def test_the_manifest_is_valid_for_pre_commit():
    from pre_commit.clientlib import load_manifest

    assert [h["id"] for h in load_manifest(str(MANIFEST))] == ["chinaind-validate"]


def git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHINAIND_", "GIT_", "PRE_COMMIT"))}
    names = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
             "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org"}
    # Never the user's git config or pre-commit store: the test's home holds both.
    return {**env, **names, "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
            "PRE_COMMIT_HOME": str(home / "pre-commit"), "XDG_CACHE_HOME": str(home / ".cache")}


def try_repo(kb: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "chinaind-validate",
                           "--all-files", "--color", "never"],
                          cwd=kb, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.installs
@pytest.mark.skipif(not HAS_PRE_COMMIT, reason="pre-commit is not installed (pip install '.[test]')")
@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
@pytest.mark.skipif(not IS_CHECKOUT, reason="not a git checkout of chinaind (pre-commit installs hooks from git)")
def test_try_repo_passes_a_valid_base_and_fails_a_broken_one(tmp_path, isolated_env):
    env = git_env(isolated_env)
    kb = tmp_path / "team-kb"
    shutil.copytree(FIXTURE_KB, kb)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "A knowledge base"]):
        subprocess.run(["git", *args], cwd=kb, env=env, check=True)

    passed = try_repo(kb, env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"^chinaind validate\.+Passed$", passed.stdout, re.M)

    record = kb / "policies" / "robot-plus.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace("kind: plan", "kind: plna"), encoding="utf-8")
    unstaged = try_repo(kb, env)  # the hook checks what is staged: the commit's content
    assert unstaged.returncode == 0, unstaged.stdout + unstaged.stderr
    subprocess.run(["git", "add", "-A"], cwd=kb, env=env, check=True)
    failed = try_repo(kb, env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert re.search(r"^chinaind validate\.+Failed$", failed.stdout, re.M)
    assert "- exit code: 3" in failed.stdout
    assert ("policies/robot-plus.yaml:4:7: kind: 'plna' is not allowed; did you mean 'plan'?"
            in failed.stdout)


# --- validate --staged (issue #23) -----------------------------------------------------------------
def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def team(tmp_path, isolated_env) -> tuple[Path, dict[str, str]]:
    """A repository holding the fixture base in data/, committed."""
    env = git_env(isolated_env)
    root = tmp_path / "team"
    shutil.copytree(FIXTURE_KB, root / "data")
    git(root, env, "init", "-q")
    git(root, env, "add", "-A")
    git(root, env, "commit", "-q", "-m", "A knowledge base")
    return root, env


def staged_run(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    chinaind = Path(sys.executable).parent / "chinaind"
    return subprocess.run([str(chinaind), "validate", "--staged", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
def test_staged_ignores_an_untracked_draft_and_unstaged_edits(team):
    root, env = team
    (root / "data" / "sectors" / "draft.yaml").write_text("id: draft\nnmae: Half written\n")  # untracked
    robot = root / "data" / "policies" / "robot-plus.yaml"
    robot.write_text(robot.read_text(encoding="utf-8").replace("kind: plan", "kind: plna"), encoding="utf-8")
    p = staged_run(root, env, "data")
    assert (p.returncode, p.stderr) == (0, "") and p.stdout.startswith("valid: 25 records in data ")
    git(root, env, "add", "data/policies/robot-plus.yaml")  # now the commit would hold it
    p = staged_run(root, env, "data")
    assert (p.returncode, p.stderr, len(p.stdout.splitlines())) == (3, "", 1)
    assert p.stdout.startswith("data/policies/robot-plus.yaml:4:7: kind: 'plna' is not allowed; did you mean 'plan'?")


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
def test_staged_fails_a_commit_that_needs_an_untracked_file(team):
    root, env = team
    (root / "data" / "sectors" / "optics.yaml").write_text("id: optics\nname: Optics\n")  # never added
    robot = root / "data" / "policies" / "robot-plus.yaml"
    robot.write_text(robot.read_text(encoding="utf-8").replace("sectors:\n", "sectors:\n  - optics\n", 1),
                     encoding="utf-8")
    git(root, env, "add", "data/policies/robot-plus.yaml")
    assert subprocess.run([str(Path(sys.executable).parent / "chinaind"), "validate", "data"], cwd=root, env=env,
                          capture_output=True).returncode == 0  # the working tree is valid
    p = staged_run(root, env, "data")
    assert p.returncode == 3 and "data/policies/robot-plus.yaml:" in p.stdout and "unknown sector 'optics'" in p.stdout
    git(root, env, "add", "data/sectors/optics.yaml")
    assert staged_run(root, env, "data").returncode == 0


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
def test_staged_deletions_and_a_base_at_the_root(team, tmp_path):
    root, env = team
    git(root, env, "rm", "-q", "data/agencies/MIIT.yaml")
    p = staged_run(root, env, "data")
    assert p.returncode == 3 and "unknown agency 'MIIT'" in p.stdout
    (root / "data" / "agencies" / "MIIT.yaml").write_text("not what the index holds")  # untracked again
    assert staged_run(root, env, "data").returncode == 3
    p = staged_run(root / "data", env, ".")
    assert p.returncode == 3 and p.stdout.splitlines()[0].startswith("people/li-ming.yaml:") and p.stderr == ""


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
def test_staged_outside_a_repository_is_one_line(tmp_path, isolated_env):
    kb = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, kb)
    p = staged_run(tmp_path, git_env(isolated_env), str(kb))
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr == f"chinaind: validate --staged: {kb} is not in a git repository (or in one without a working tree)\n"


def readme_yaml_blocks() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Teams on git"):]
    section = section[:section.index("\n### ", 1)]
    return re.findall(r"```yaml\n(.*?)```", section, re.S)


def test_the_readme_config_and_workflow_use_the_hook_and_the_commands():
    import yaml

    config, workflow = (yaml.safe_load(block) for block in readme_yaml_blocks())
    assert [h["id"] for h in config["repos"][0]["hooks"]] == [hook()["id"]]
    steps = [s.get("run") for s in workflow["jobs"]["validate"]["steps"]]
    assert "chinaind validate data" in steps
    assert 'chinaind diff --rev "origin/$BASE" data -f table' in steps
