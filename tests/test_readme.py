"""The README's examples are real: every `$ chinaind ...` line in a ```console block is run on
the bundled data and must print exactly the output shown under it.

Regenerate the outputs after a deliberate change with:  python tests/test_readme.py --update
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
CI = REPO / ".ci" / "run"
BLOCK_RE = re.compile(r"```console\n(.*?)```", re.S)
WIDTH = "120"


def examples(text: str) -> list[tuple[str, str]]:
    """(command line, expected output) for every `$ chinaind` line of every console block."""
    out = []
    for block in BLOCK_RE.findall(text):
        parts = re.split(r"^\$ ", block, flags=re.M)
        for part in parts[1:]:
            command, _, output = part.partition("\n")
            if command.startswith(("chinaind ", "sed -i ")):
                out.append((command, output))
    return out


def run_example(command: str) -> str:
    if command.startswith("sed -i "):
        # The one shell step the README shows besides chinaind: an analyst's edit, by sed.
        import subprocess

        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=False)
        return done.stdout + done.stderr
    return _run_chinaind(command)


def _run_chinaind(command: str) -> str:
    """Run a command line (chinaind, optionally piped into chinaind) as a terminal user sees it:
    tables drawn at 120 columns, without colour codes."""
    from typer.testing import CliRunner

    import chinaind.output.render as render
    from chinaind.cli.commands import app

    runner = CliRunner()
    stdin = None
    output = ""
    real_isatty = render.isatty
    try:
        for i, stage in enumerate(command.split(" | ")):
            words = shlex.split(stage)
            if words[0] in ("grep", "head"):
                stdin = output = _filter(words, stdin or "")
                continue
            args = words[1:]
            last = i == len(command.split(" | ")) - 1
            # Only the last stage of a pipeline writes to the terminal.
            render.isatty = (lambda stream: True) if last else (lambda stream: False)
            result = runner.invoke(app, args, input=stdin, env={"COLUMNS": WIDTH, "CHINAIND_DATA": None},
                                   prog_name="chinaind")
            stdin = output = result.stdout
    finally:
        render.isatty = real_isatty
    return output


def _filter(words: list[str], text: str) -> str:
    """The two shell filters the README uses after chinaind: grep PATTERN and head -N."""
    lines = text.splitlines(keepends=True)
    if words[0] == "grep":
        return "".join(line for line in lines if re.search(words[1], line))
    return "".join(lines[: int(words[1].lstrip("-"))])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One working folder for all examples, in README order: `init my-kb` before `new`. It
    holds the texts the drafting examples read, where a clone has them."""
    import shutil

    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(REPO / "tests" / "fixtures" / "draft", folder / "tests" / "fixtures" / "draft")
    return folder


@pytest.mark.parametrize("command, expected", examples(README.read_text(encoding="utf-8")))
def test_readme_example(command, expected, isolated_env, workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    assert run_example(command) == expected


def test_ci_runs_the_readme_test_command():
    readme = README.read_text(encoding="utf-8")
    ci_command = [line for line in CI.read_text().splitlines() if line.startswith("python3 -m venv")]
    assert len(ci_command) == 1 and ci_command[0] in readme


def update() -> None:
    text = README.read_text(encoding="utf-8")

    def fill(block: re.Match[str]) -> str:
        parts = re.split(r"^\$ ", block.group(1), flags=re.M)
        rebuilt = [parts[0]]
        for part in parts[1:]:
            command, _, output = part.partition("\n")
            rebuilt.append(f"{command}\n{run_example(command) if command.startswith(('chinaind ', 'sed -i ')) else output}")
        return "```console\n" + "$ ".join(rebuilt) + "```"

    README.write_text(BLOCK_RE.sub(fill, text), encoding="utf-8")


if __name__ == "__main__" and "--update" in sys.argv:
    import os
    import tempfile

    import shutil

    os.environ["CHINAIND_CACHE_DIR"] = tempfile.mkdtemp()
    work = tempfile.mkdtemp()
    shutil.copytree(REPO / "tests" / "fixtures" / "draft", Path(work) / "tests" / "fixtures" / "draft")
    os.chdir(work)
    update()
