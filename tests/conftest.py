"""Shared fixtures. Every test runs with its own cache dir and home, and no CHINAIND_* settings
from the developer's environment, so tests never read or write the user's state."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any, Iterator, NamedTuple

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
FIXTURE_KB = Path(__file__).resolve().parent / "fixtures" / "kb"
BUNDLED_KB = REPO / "data"
# One record per file: the fixture's record count, for tests that check every record came through.
FIXTURE_COUNT = sum(1 for p in FIXTURE_KB.glob("*/*.yaml"))


# The slow tier: `pytest -m "not slow"` leaves these out, `pytest` runs everything (README, .ci/run).
# Chosen by measurement (--durations, see README "Running the tests"): each runs chinaind (or pip,
# bash, a browser) in real processes, or takes seconds by design. A name is a test function
# (every parameter of it) or a whole module; tests/test_tiers.py checks that each still exists.
SLOW = {
    "tests/test_precommit.py::test_try_repo_passes_a_valid_base_and_fails_a_broken_one":
        "pre-commit pip-installs chinaind into a hook environment: 17-25 s",
    "tests/test_packaging.py": "builds a wheel, then runs the installed copy",
    "tests/test_completion.py": "shell completion in real processes and in bash: 0.5 s a test",
    "tests/test_subprocess.py": "pipes and import costs of real processes: 0.5 s a test",
    "tests/test_launch.py": "real processes editing and querying one base",
    "tests/test_serve.py::test_serves_read_only": "Datasette in a real process (and Chromium when installed)",
    "tests/test_serve.py::test_serves_searches_and_stops_on_ctrl_c": "Datasette in a real process, then Ctrl-C",
    "tests/test_cache.py::test_two_processes_building_at_once": "four real processes building one cache",
    "tests/test_cache_equivalence.py::test_the_database_stays_small_under_many_edits": "hundreds of refreshes: 5-10 s",
    "tests/test_properties.py::test_every_format_renders_and_round_trips": "Hypothesis: 2-3 s",
    "tests/test_properties.py::test_terminal_tables_never_carry_raw_controls": "Hypothesis: 2-3 s",
    "tests/test_properties.py::test_random_structured_records_validate_or_report": "Hypothesis: 1-2 s",
    "tests/hostile/test_hostile_hang.py::test_killed_first_build_leaves_no_process_holding_the_pipe":
        "signals to real first builds of 3,000 records",
    "tests/hostile/test_hostile_hang.py::test_odd_file_in_the_cache_folder_never_blocks": "four real runs a case, with timeouts",
    "tests/hostile/test_hostile_hang.py::test_odd_files_in_the_cache_folder_at_a_first_build": "real first builds, with timeouts",
    "tests/hostile/test_hostile_hang.py::test_huge_sparse_record_is_refused_without_reading_it": "a 3 GB sparse file, a real run",
    "tests/hostile/test_hostile_hang.py::test_show_reads_bounded_stdin": "real runs fed 1.8 MB on stdin",
    "tests/hostile/test_hostile_cache.py::test_damaged_cache_in_a_real_process_is_quiet": "real processes: 4 s",
    "tests/hostile/test_hostile_cache.py::test_concurrent_readers_during_atomic_edits": "real readers during edits: 5 s",
    "tests/hostile/test_hostile_cache.py::test_concurrent_readers_during_in_place_edits": "real readers during edits: 4 s",
    "tests/hostile/test_hostile_exits.py::test_a_full_stdout_is_one_line_and_exit_74": "real processes through bash",
    "tests/hostile/test_hostile_exits.py::test_a_closed_stdout_is_one_line_and_exit_74": "real processes through bash",
    "tests/hostile/test_hostile_exits.py::test_a_closed_or_full_stderr_keeps_the_status": "real processes through bash",
    "tests/hostile/test_hostile_exits.py::test_an_invalid_base_with_a_full_stderr_still_exits_3": "a real process through bash",
    "tests/hostile/test_hostile_exits.py::test_every_standard_stream_closed": "a real process through bash",
    "tests/hostile/test_hostile_exits.py::test_a_closed_stdin_reads_as_empty": "a real process through bash",
    "tests/hostile/test_hostile_exits.py::test_json_and_yaml_stay_exact_in_any_output_encoding": "real processes in odd locales",
    "tests/hostile/test_hostile_exits.py::test_text_formats_degrade_to_escapes_in_a_narrow_encoding": "real processes in odd locales: 14 s",
    "tests/hostile/test_hostile_exits.py::test_error_lines_degrade_to_escapes_in_a_narrow_encoding": "real processes in odd locales",
    "tests/hostile/test_hostile_output.py::test_real_terminal_shows_markup_literally_and_no_data_escape_sequences":
        "a real process on a pseudo-terminal (script)",
    "tests/hostile/test_hostile_output.py::test_closed_pipe_ends_quietly": "real processes over bases of 400 records",
    "tests/hostile/test_hostile_output.py::test_closed_pipe_through_a_shell_pipeline": "a real pipeline over 400 records",
    "tests/hostile/test_hostile_output.py::test_closed_pipe_on_validate_of_an_invalid_base_is_quiet": "a real process over 400 records",
    "tests/hostile/test_hostile_output.py::test_closed_pipe_on_validate_still_says_invalid": "a real process over 400 records",
    "tests/hostile/test_hostile_cli.py::test_non_utf8_argv_in_a_real_process": "real processes",
    "tests/hostile/test_hostile_data.py::test_resource_bombs_are_bounded_in_a_real_process": "real processes under memory limits",
    "tests/hostile/test_hostile_writes.py::test_a_real_write_limit_leaves_nothing_half_made": "real processes under a file-size limit",
    "tests/hostile/test_hostile_unreadable.py::test_chmod_folder_is_a_problem": "chmod, real processes",
    "tests/hostile/test_hostile_unreadable.py::test_chmod_000_file_is_a_problem_until_fixed": "chmod, real processes",
}


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = Path(str(item.path)).relative_to(REPO).as_posix()
        function = getattr(item, "originalname", item.name)
        if module in SLOW or f"{module}::{function}" in SLOW:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def built_once() -> Iterator[None]:
    """Typer rebuilds the whole Click command tree from the functions' signatures on every
    CliRunner.invoke: about 48 ms of an in-process run that otherwise takes 6 ms (warm cache) to
    23 ms (first build) here, and most of the fast tier's time. The app does not change during a
    session, so each app is built once (typer.testing looks the builder up by this name; if a
    Typer release renames it, tests only get slower)."""
    import typer.testing

    build = getattr(typer.testing, "_get_command", None)
    if build is None:
        yield
        return
    built: dict[int, Any] = {}

    def get_command(app: Any) -> Any:
        if id(app) not in built:
            built[id(app)] = (app, build(app))  # the app is kept, so its id is never reused
        return built[id(app)][1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", get_command)
        yield


_SETTINGS = ("CHINAIND_DATA", "CHINAIND_FORMAT", "CHINAIND_CACHE_DIR", "CHINAIND_DEBUG", "NO_COLOR", "XDG_CACHE_HOME")


def _isolate(patch: pytest.MonkeyPatch, home: Path) -> None:
    for var in _SETTINGS:
        patch.delenv(var, raising=False)
    patch.setenv("HOME", str(home))
    patch.setenv("XDG_CACHE_HOME", str(home / ".cache"))


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    _isolate(monkeypatch, home)
    return home


@pytest.fixture
def cache_dir(isolated_env: Path) -> Path:
    return isolated_env / ".cache" / "chinaind"


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture knowledge base."""
    dest = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, dest)
    return dest


class Prebuilt(NamedTuple):
    fixture: Path  # the cache of FIXTURE_KB
    bundled: Path  # the cache of BUNDLED_KB, the checkout's data/ given as --data-dir


@pytest.fixture(scope="session")
def prebuilt(tmp_path_factory: pytest.TempPathFactory) -> Prebuilt:
    """The caches of the two read-only bases most tests query, built once a session in a home
    of their own: a first build costs about 20 ms for the fixture's 25 records and 70 ms for the
    bundled records, in every test (each has its own cache dir); a copy costs about 1 ms."""
    home = tmp_path_factory.mktemp("prebuilt-home")
    kept = tmp_path_factory.mktemp("prebuilt")
    built = {}
    with pytest.MonkeyPatch.context() as patch:
        _isolate(patch, home)
        for name, args in (("fixture", ["--data-dir", str(FIXTURE_KB)]), ("bundled", ["--data-dir", str(BUNDLED_KB)])):
            before = set((home / ".cache" / "chinaind").glob("kb-*.sqlite"))
            r = Run()(*args, "list", "sectors", "-f", "ids")
            assert (r.exit_code, r.stderr) == (0, ""), f"building the {name} cache: {r.stderr}"
            (db,) = set((home / ".cache" / "chinaind").glob("kb-*.sqlite")) - before
            # SQLite's backup: one consistent file, whatever the run left in its write-ahead log.
            with closing(sqlite3.connect(db)) as src, closing(sqlite3.connect(kept / db.name)) as dst:
                src.backup(dst)
            built[name] = kept / db.name
    return Prebuilt(**built)


class Run:
    """Runs the CLI in-process and keeps stdout, stderr and the exit code apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None):
        from chinaind.cli.commands import app

        return self.runner.invoke(app, list(args), input=input, env=env, prog_name="chinaind")


def _seed_cache(target: Path, seed: Path) -> None:
    """A cache built once a session, copied where the test's runs will look for it."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(seed, target / seed.name)


@pytest.fixture
def bundled_cache(prebuilt: Prebuilt, cache_dir: Path) -> Path:
    """For tests of the bundled records run with --data-dir BUNDLED_KB: the test's cache dir starts
    with their cache built."""
    _seed_cache(cache_dir, prebuilt.bundled)
    return cache_dir


@pytest.fixture
def run() -> Run:
    return Run()


@pytest.fixture
def fx(run: Run, prebuilt: Prebuilt, cache_dir: Path):
    """Run the CLI against the fixture knowledge base, whose cache the test's cache dir holds
    from the start (as after a first run): first builds are tested on bases of their own
    (kb_copy, the hostile cases)."""
    _seed_cache(cache_dir, prebuilt.fixture)

    def call(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        return run("--data-dir", str(FIXTURE_KB), *args, input=input, env=env)

    return call
