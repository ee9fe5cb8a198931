"""Context frameworks as template files: validated, mapped to Annex I, served by the API."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from app.config import PROJECT_ROOT
from app.frameworks.model import FrameworkFile, SkosRelation
from app.templates.commands import template_schema
from app.templates.model import TemplateFile
from app.templates.registry import (
    FRAMEWORK_SCHEMA_FILE,
    TemplateFileError,
    read_template_file,
    registry_of,
)
from tests.factories import World

FOLDER = PROJECT_ROOT / "crrf_templates"
ANNEX_I = FOLDER / "crrf-annex-i.yaml"
FRAMEWORKS = [FOLDER / "uga-crrf.yaml", FOLDER / "gcr-objectives.yaml"]
ANNEX_I_CODES = {entry.element.code for entry in read_template_file(ANNEX_I).entries()}  # type: ignore[union-attr]


def _framework(path: Path) -> FrameworkFile:
    framework = read_template_file(path)
    assert isinstance(framework, FrameworkFile)
    return framework


def _write(tmp_path: Path, source: Path, edit: tuple[str, str]) -> Path:
    text = source.read_text(encoding="utf-8")
    assert edit[0] in text
    path = tmp_path / source.name
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("path", FRAMEWORKS, ids=lambda p: p.stem)
class TestShippedFrameworks:
    def test_every_declared_language_has_every_label(self, path: Path) -> None:
        framework = _framework(path)
        assert framework.languages == ["en", "fr", "es", "ar"]
        for where, label in framework.labels():
            assert label is not None, where
            assert set(label) == {"en", "fr", "es", "ar"}, where
        assert set(framework.label_sources) == set(framework.languages)

    def test_every_mapping_names_a_real_annex_i_code(self, path: Path) -> None:
        framework = _framework(path)
        assert (framework.maps_to.id, framework.maps_to.version) == ("crrf-annex-i", "2016.1")
        assert framework.mapped_codes() <= ANNEX_I_CODES

    def test_every_relation_is_from_the_skos_set(self, path: Path) -> None:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        relations = {m["relation"] for e in raw["elements"] for m in e["mappings"]}
        assert relations <= {relation.value for relation in SkosRelation}

    def test_cites_its_source(self, path: Path) -> None:
        framework = _framework(path)
        assert framework.source is not None and framework.source.url
        assert framework.source_note


class TestGcrObjectives:
    def test_quotes_the_four_objectives_of_annex_i_paragraph_18(self) -> None:
        framework = _framework(FOLDER / "gcr-objectives.yaml")
        seed = PROJECT_ROOT.parent / "shared" / "seeds" / "000_65bd8bcdb5899884.txt"
        texts = [element.text for element in framework.elements]
        assert len(texts) == 4
        if seed.exists():
            declaration = seed.read_text(encoding="utf-8")
            assert all(text and text in declaration for text in texts)

    def test_every_annex_i_element_serves_an_objective(self) -> None:
        assert _framework(FOLDER / "gcr-objectives.yaml").mapped_codes() == ANNEX_I_CODES


class TestUgandaPillars:
    def test_has_five_pillars_mapping_every_annex_i_element(self) -> None:
        framework = _framework(FOLDER / "uga-crrf.yaml")
        assert [element.code for element in framework.elements] == ["1", "2", "3", "4", "5"]
        assert framework.mapped_codes() == ANNEX_I_CODES

    def test_says_that_the_pillar_wording_is_ours(self) -> None:
        framework = _framework(FOLDER / "uga-crrf.yaml")
        assert "not the road map's text" in (framework.source_note or "")
        assert all(element.text is None for element in framework.elements)


class TestFrameworkValidation:
    def test_json_schema_beside_the_files_is_current(self) -> None:
        written = (FOLDER / FRAMEWORK_SCHEMA_FILE).read_text(encoding="utf-8")
        assert written == template_schema(FrameworkFile)
        assert template_schema(TemplateFile) != written

    def test_rejects_a_label_missing_in_a_declared_language(self, tmp_path: Path) -> None:
        path = _write(tmp_path, FOLDER / "uga-crrf.yaml", ("    ar: القبول والحقوق\n", ""))
        with pytest.raises(TemplateFileError, match=r"elements\.1\.title \(ar\)"):
            read_template_file(path)

    def test_rejects_a_relation_outside_skos(self, tmp_path: Path) -> None:
        path = _write(
            tmp_path, FOLDER / "uga-crrf.yaml", ("relation: relatedMatch", "relation: sameAs")
        )
        with pytest.raises(TemplateFileError, match="relation"):
            read_template_file(path)

    def test_rejects_a_mapping_to_a_code_annex_i_does_not_have(self, tmp_path: Path) -> None:
        path = _write(tmp_path, FOLDER / "uga-crrf.yaml", ("code: 13a", "code: 13z"))
        read_template_file(path)  # the file alone is well formed
        with pytest.raises(TemplateFileError, match="does not have: 13z"):
            registry_of([ANNEX_I, path])

    def test_rejects_a_mapping_to_a_version_not_loaded(self, tmp_path: Path) -> None:
        path = _write(
            tmp_path, FOLDER / "uga-crrf.yaml", ("version: '2016.1'", "version: '2030.1'")
        )
        with pytest.raises(TemplateFileError, match="not loaded"):
            registry_of([ANNEX_I, path])

    def test_cli_checks_the_mappings_against_the_files_beside(self, tmp_path: Path) -> None:
        (tmp_path / ANNEX_I.name).write_text(ANNEX_I.read_text(encoding="utf-8"), encoding="utf-8")
        _write(tmp_path, FOLDER / "uga-crrf.yaml", ("code: 13a", "code: 13z"))
        bad = subprocess.run(
            [sys.executable, "-m", "app.cli", "templates", "validate", str(tmp_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert bad.returncode == 1
        assert "13z" in bad.stderr
        good = subprocess.run(
            [sys.executable, "-m", "app.cli", "templates", "validate", str(FOLDER)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert good.returncode == 0, good.stderr
        assert "uga-crrf 2018.1, 0 groups, 5 elements mapped to crrf-annex-i 2016.1" in good.stdout


class TestFrameworksApi:
    def test_lists_the_frameworks_beside_annex_i(self, client: TestClient, world: World) -> None:
        body = client.get("/api/v1/templates", headers=world.headers("viewer")).json()
        kinds = {t["id"]: t["kind"] for t in body["items"]}
        assert kinds == {
            "crrf-annex-i": "checklist",
            "gcr-objectives": "context",
            "uga-crrf": "context",
        }

    def test_reads_the_uganda_pillars_in_arabic(self, client: TestClient, world: World) -> None:
        response = client.get("/api/v1/templates/uga-crrf?lang=ar", headers=world.headers("viewer"))
        assert response.status_code == 200
        body = response.json()
        assert (body["kind"], body["language"], body["dir"]) == ("context", "ar", "rtl")
        assert body["maps_to"] == {"id": "crrf-annex-i", "version": "2016.1"}
        first = body["elements"][0]
        assert first["title"] == "القبول والحقوق"
        assert {"relation": "narrowMatch", "code": "5a"} in first["mappings"]
