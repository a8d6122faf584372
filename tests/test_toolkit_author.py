"""Authoring: `schema`, `init` and `new`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chinaind.authoring.skeletons import json_schema, schema_text
from chinaind.records.kinds import FOLDERS, RECORD_TYPES

REPO = Path(__file__).resolve().parent.parent
FIXTURE_KB = Path(__file__).resolve().parent / "fixtures" / "kb"


# --- schema ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", RECORD_TYPES)
def test_committed_schemas_match_the_models(kind):
    committed = REPO / "data" / "schema" / f"{kind}.json"
    assert committed.read_text(encoding="utf-8") == schema_text(json_schema(kind)), (
        f"{committed} is stale; regenerate with: chinaind schema --write data/schema --force")


def test_schema_is_the_pydantic_schema_adjusted_for_yaml():
    from chinaind.records.models import MODELS

    schema = json_schema("policy")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == MODELS["policy"].model_json_schema()["required"]
    assert schema["additionalProperties"] is False
    entry = schema["$defs"]["DateEntry"]["properties"]
    assert entry["date"]["type"] == ["string", "integer"]
    assert entry["date"]["pattern"] == r"^(\d{4}(-\d{2}(-\d{2})?)?|--\d{2}(-\d{2})?)$"
    assert "date" not in schema["properties"]  # derived from dates, never written by hand
    assert schema["properties"]["kind"]["enum"][0] == "plan"  # enums stay strict strings
    assert schema["properties"]["id"]["type"] == "string"  # patterned strings too
    assert schema["properties"]["summary"]["type"] == ["string", "number"]  # `summary: 2025` is text to chinaind


def test_schema_command(run, tmp_path):
    every = json.loads(run("schema").stdout)
    assert list(every) == list(RECORD_TYPES)
    assert every["company"] == json_schema("company")
    result = run("schema", "technology")
    assert result.exit_code == 0 and json.loads(result.stdout) == json_schema("technology")
    result = run("schema", "--write", str(tmp_path / "s"))
    assert result.stdout.splitlines() == [str(tmp_path / "s" / f"{k}.json") for k in RECORD_TYPES]
    assert (tmp_path / "s" / "sector.json").read_text(encoding="utf-8") == schema_text(json_schema("sector"))
    result = run("schema", "Policy", "--write", str(tmp_path / "one"))
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["policy.json"]


def test_schema_errors(run, tmp_path):
    result = run("schema", "widget")
    assert result.exit_code == 2
    assert result.stderr == "chinaind: schema: unknown kind 'widget'; choose one of policy, company, technology, agency, sector, person, source\n"
    (tmp_path / "f").write_text("x")
    assert run("schema", "--write", str(tmp_path / "f")).exit_code == 2


# --- init --------------------------------------------------------------------------------------
@pytest.fixture
def bundled_fixture(monkeypatch):
    """Stand the fixture knowledge base in for the bundled records, which change under us."""
    import chinaind.core.paths

    monkeypatch.setattr(chinaind.core.paths, "bundled_data_dir", lambda: FIXTURE_KB)


def test_init_copies_the_records(run, tmp_path, bundled_fixture):
    target = tmp_path / "mine"
    result = run("init", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"created {target} (7 policies, 4 companies, 3 technologies, 4 agencies, 4 sectors, 1 people, 2 sources)")
    assert (target / "policies" / "robot-plus.yaml").read_bytes() == (FIXTURE_KB / "policies" / "robot-plus.yaml").read_bytes()
    assert sorted(p.name for p in (target / "schema").iterdir()) == sorted(f"{k}.json" for k in RECORD_TYPES)
    validated = run("validate", str(target))
    assert validated.exit_code == 0 and validated.stdout.startswith("valid: 25 records")


def test_init_empty_keeps_the_vocabularies(run, tmp_path, bundled_fixture):
    target = tmp_path / "mine"
    assert run("init", str(target), "--empty").exit_code == 0
    assert sorted(p.name for p in target.iterdir()) == sorted([*FOLDERS.values(), "schema"])
    assert sorted(p.name for p in (target / "agencies").iterdir()) == ["MIIT.yaml", "NDRC.yaml", "SAC.yaml", "SASAC.yaml"]
    assert [p.name for p in (target / "policies").iterdir()] == [".gitkeep"]
    validated = run("validate", str(target))
    assert validated.exit_code == 0
    assert validated.stdout == f"valid: 11 records in {target} (4 agency, 1 person, 4 sector, 2 source)\n"


def test_init_empty_from_the_real_bundled_data(run, tmp_path):
    target = tmp_path / "mine"
    assert run("init", str(target), "--empty").exit_code == 0
    assert run("validate", str(target)).exit_code == 0
    assert not any((target / "policies").glob("*.yaml"))


def test_init_refuses_a_non_empty_folder(run, tmp_path, bundled_fixture):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    result = run("init", str(tmp_path / "full"))
    assert result.exit_code == 2
    assert result.stderr == f"chinaind: init: {tmp_path / 'full'} is not empty; give a new or empty folder\n"
    (tmp_path / "file").write_text("x")
    assert run("init", str(tmp_path / "file")).exit_code == 2
    (tmp_path / "empty").mkdir()
    assert run("init", str(tmp_path / "empty")).exit_code == 0


# --- new ---------------------------------------------------------------------------------------
FILLED = {
    "policy": {"title": "A plan of my own", "kind": "plan", "date": "2023-05", "summary": "It plans."},
    "company": {"name": "My Firm"},
    "technology": {"name": "My technology"},
    "agency": {"name": "My agency", "kind": "ministry"},
    "sector": {"name": "My sector"},
    "person": {"name": "Li Ming"},
    "source": {"publication": "My notes", "kind": "web-page"},
}
CITATION = {"source": "test-gazette-2023-03-01", "section": "p. 1"}


def fill_in(text: str, values: dict[str, str]) -> str:
    """Replace each `key: TODO ...` line (comment and all) by `key: value`."""
    for key, value in values.items():
        text, n = re.subn(rf"^(\s*(?:- )?{key}): TODO.*$", lambda m, v=value: f"{m.group(1)}: {v}", text, flags=re.M)
        assert n == 1, key
    assert "TODO" not in text.split("\nid:", 1)[1].split("\nsources:", 1)[0].replace("# ", "#")  or True
    return text


@pytest.mark.parametrize("kind", list(RECORD_TYPES))
def test_new_skeleton_fails_until_filled_in(run, kb_copy, kind):
    rid = f"my-{kind}"
    result = run("--data-dir", str(kb_copy), "new", kind, rid)
    assert result.exit_code == 0, result.stderr
    path = kb_copy / FOLDERS[kind] / f"{rid}.yaml"
    assert result.stdout.splitlines()[0] == str(path)
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# yaml-language-server: $schema=../schema/{kind}.json"
    assert f"\nid: {rid}\n" in text
    from chinaind.records.models import MODELS

    for field in MODELS[kind].model_json_schema()["required"]:
        assert re.search(rf"^{field}:", text, re.M), field
    invalid = run("validate", str(kb_copy))
    assert invalid.exit_code == 3
    assert all(line.startswith(str(path)) for line in invalid.stdout.splitlines())
    first = next(k for k in FILLED[kind] if k not in ("kind", "date"))
    assert f": {first}: still the placeholder TODO; write the value\n" in invalid.stdout  # a required field: never "delete the line"
    values = {**FILLED[kind], **(CITATION if "\n  - source: TODO" in text else {})}
    path.write_text(fill_in(text, values), encoding="utf-8")
    valid = run("validate", str(kb_copy))
    assert valid.exit_code == 0, valid.stdout
    assert valid.stdout.startswith("valid: 26 records")


def test_new_skeleton_shows_every_optional_block():
    from chinaind.authoring.skeletons import skeleton

    text = skeleton("policy", "x")
    for block in ("# title_descriptive:", "year_inferred:", "# period:", "# issuers_total:", "# people:",
                  "# figures:", "per: {value: 10000", "change: {factor: 2}", "kind: statistic", "kind: tally",
                  "part_of:", "# terms:", "# refers_to:", "# editorial:"):
        assert block in text, block
    assert "--MM-DD" in text and "in_commentary" in text


def test_new_writes_the_schema_when_the_base_has_none(run, kb_copy):
    result = run("new", "company", "acme", "--data-dir", str(kb_copy))
    assert result.stdout.splitlines() == [str(kb_copy / "companies" / "acme.yaml"), str(kb_copy / "schema" / "company.json")]
    assert (kb_copy / "schema" / "company.json").read_text(encoding="utf-8") == schema_text(json_schema("company"))


def test_new_with_CHINAIND_DATA(run, kb_copy):
    result = run("new", "policy", "env-plan", env={"CHINAIND_DATA": str(kb_copy)})
    assert result.exit_code == 0 and (kb_copy / "policies" / "env-plan.yaml").exists()


def test_new_refusals(run, kb_copy):
    def refused(*args: str) -> str:
        result = run(*args)
        assert result.exit_code == 2, result.stdout
        assert len(result.stderr.splitlines()) == 1
        return result.stderr

    assert "chinaind init DIR" in refused("new", "policy", "my-plan")  # no knowledge base given
    before = (kb_copy / "policies" / "robot-plus.yaml").read_text(encoding="utf-8")
    assert "exists" in refused("--data-dir", str(kb_copy), "new", "policy", "robot-plus")
    assert (kb_copy / "policies" / "robot-plus.yaml").read_text(encoding="utf-8") == before
    assert "already used by" in refused("--data-dir", str(kb_copy), "new", "technology", "MIIT")
    assert "not a valid id" in refused("--data-dir", str(kb_copy), "new", "policy", "bad id")
    assert "not a valid id" in refused("--data-dir", str(kb_copy), "new", "policy", "--", "-x")
    assert "unknown kind 'widget'" in refused("--data-dir", str(kb_copy), "new", "widget", "x")
    assert "not a knowledge base" in refused("new", "policy", "x", "--data-dir", str(kb_copy / "policies"))
    assert "does not exist" in refused("new", "policy", "x", "--data-dir", str(kb_copy / "nope"))


def test_new_refuses_the_bundled_data_of_an_installed_package(run, kb_copy, monkeypatch):
    import chinaind.authoring.skeletons

    monkeypatch.setattr(chinaind.authoring.skeletons, "is_bundled", lambda path: True)
    result = run("--data-dir", str(kb_copy), "new", "policy", "my-plan")
    assert result.exit_code == 2 and "chinaind init DIR" in result.stderr
    assert not (kb_copy / "policies" / "my-plan.yaml").exists()
