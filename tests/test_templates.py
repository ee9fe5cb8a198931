"""Annex I as a template: checked against the Declaration, served by the API."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import PROJECT_ROOT
from app.templates.commands import template_schema
from app.templates.model import OfficialTranslation
from app.templates.registry import SCHEMA_FILE, TemplateFileError, read_template_file
from app.templates.schemas import official_text
from tests.factories import World
from tests.helpers import assert_problem

ANNEX_I = PROJECT_ROOT / "crrf_templates" / "crrf-annex-i.yaml"
SEED = PROJECT_ROOT.parent / "shared" / "seeds" / "000_65bd8bcdb5899884.txt"
EXPECTED_CODES = (
    [f"5{c}" for c in "abcdefghi"]
    + [f"6{c}" for c in "abcdef"]
    + [f"7{c}" for c in "abcde"]
    + [f"8{c}" for c in "abc"]
    + [f"11{c}" for c in "abcde"]
    + [f"12{c}" for c in "abcdef"]
    + [f"13{c}" for c in "abcd"]
    + [f"14{c}" for c in "abc"]
    + ["15", "16"]
)


def _annex_i_from_declaration() -> dict[str, str]:
    """Element code → official text, read from the Declaration's Annex I."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    annex = lines[lines.index("Annex I") : lines.index("Annex II")]
    texts: dict[str, str] = {}
    paragraph = ""
    for line in annex:
        if match := re.match(r"^(\d+)\.\t(.*)$", line):
            paragraph = match.group(1)
            texts[paragraph] = match.group(2).strip()
        elif match := re.match(r"^\t\(([a-z])\)\t(.*)$", line):
            texts[paragraph + match.group(1)] = match.group(2).strip()
    return texts


class TestAnnexITemplate:
    def test_has_the_43_elements_in_order(self) -> None:
        template = read_template_file(ANNEX_I)
        assert [e.element.code for e in template.entries()] == EXPECTED_CODES
        assert len(EXPECTED_CODES) == 43

    def test_groups_elements_by_pillar_and_paragraph(self) -> None:
        template = read_template_file(ANNEX_I)
        by_pillar = {p.code.value: [para.number for para in p.paragraphs] for p in template.pillars}
        assert by_pillar == {
            "reception": ["5"],
            "immediate_needs": ["6", "7"],
            "host_support": ["8"],
            "durable_solutions": ["11", "12", "13", "14", "15", "16"],
        }

    def test_groups_durable_solutions_by_solution(self) -> None:
        template = read_template_file(ANNEX_I)
        durable = template.pillars[3]
        assert [s.code for s in durable.solutions] == [
            "voluntary_repatriation",
            "local_solutions",
            "resettlement_complementary_pathways",
        ]
        assert {p.number: p.solution for p in durable.paragraphs} == {
            "11": "voluntary_repatriation",
            "12": "voluntary_repatriation",
            "13": "local_solutions",
            "14": "resettlement_complementary_pathways",
            "15": "resettlement_complementary_pathways",
            "16": "resettlement_complementary_pathways",
        }

    def test_every_element_has_a_title_and_text(self) -> None:
        for entry in read_template_file(ANNEX_I).entries():
            assert entry.element.title["en"].strip()
            assert len(entry.element.text) > 40
            assert entry.paragraph.actor_types

    def test_paragraph_lead_ins_name_the_actors(self) -> None:
        paragraphs = {
            p.number: p for pillar in read_template_file(ANNEX_I).pillars for p in pillar.paragraphs
        }
        assert paragraphs["5"].state_role == "receiving_state"
        assert "receiving States" in (paragraphs["5"].lead_in or "")
        assert "un_agency" in paragraphs["5"].actor_types
        assert paragraphs["14"].lead_in == "Third countries would:"
        assert paragraphs["14"].state_role == "third_country"
        assert paragraphs["11"].state_role == "state_of_origin"

    @pytest.mark.skipif(
        not SEED.exists(), reason="the Declaration (../shared/seeds) is not beside the project"
    )
    def test_texts_are_the_declaration_word_for_word(self) -> None:
        official = _annex_i_from_declaration()
        template = read_template_file(ANNEX_I)
        for entry in template.entries():
            assert entry.element.text == official[entry.element.code], entry.element.code
            if entry.paragraph.lead_in is not None:
                assert entry.paragraph.lead_in == official[entry.paragraph.number]


class TestTemplateValidation:
    def test_json_schema_beside_the_files_is_current(self) -> None:
        written = (PROJECT_ROOT / "crrf_templates" / SCHEMA_FILE).read_text(encoding="utf-8")
        assert written == template_schema()

    def test_rejects_an_element_in_the_wrong_paragraph(self, tmp_path: Path) -> None:
        broken = ANNEX_I.read_text(encoding="utf-8").replace("- code: 5b", "- code: 6z", 1)
        path = tmp_path / "broken.yaml"
        path.write_text(broken, encoding="utf-8")
        with pytest.raises(TemplateFileError, match="does not belong to paragraph 5"):
            read_template_file(path)

    def test_rejects_a_label_without_english(self, tmp_path: Path) -> None:
        broken = ANNEX_I.read_text(encoding="utf-8").replace(
            "    en: Reception and admission\n", "", 1
        )
        path = tmp_path / "broken.yaml"
        path.write_text(broken, encoding="utf-8")
        with pytest.raises(TemplateFileError, match="English"):
            read_template_file(path)

    def test_rejects_a_label_missing_in_a_declared_language(self, tmp_path: Path) -> None:
        broken = ANNEX_I.read_text(encoding="utf-8").replace(
            "        ar: أنظمة لجوء موثوقة\n", "", 1
        )
        path = tmp_path / "broken.yaml"
        path.write_text(broken, encoding="utf-8")
        with pytest.raises(TemplateFileError, match=r"elements\.5i\.title \(ar\)"):
            read_template_file(path)

    def test_rejects_a_language_whose_label_source_is_not_said(self, tmp_path: Path) -> None:
        broken = ANNEX_I.read_text(encoding="utf-8").replace("  ar: translation\n", "", 1)
        path = tmp_path / "broken.yaml"
        path.write_text(broken, encoding="utf-8")
        with pytest.raises(TemplateFileError, match="label_sources"):
            read_template_file(path)

    def test_every_label_of_annex_i_is_in_four_languages(self) -> None:
        template = read_template_file(ANNEX_I)
        assert template.languages == ["en", "fr", "es", "ar"]
        labels = [label for _, label in template.labels() if label is not None]
        assert len(labels) == 2 + 4 + 3 + 10 + 43
        assert all(set(label) == {"en", "fr", "es", "ar"} for label in labels)

    def test_cli_validates_a_folder_and_fails_on_a_bad_file(self, tmp_path: Path) -> None:
        ok = subprocess.run(
            [sys.executable, "-m", "app.cli", "templates", "validate", str(ANNEX_I.parent)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert ok.returncode == 0, ok.stderr
        assert "43 elements" in ok.stdout
        (tmp_path / "bad.yaml").write_text("id: x\n", encoding="utf-8")
        bad = subprocess.run(
            [sys.executable, "-m", "app.cli", "templates", "validate", str(tmp_path / "bad.yaml")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert bad.returncode == 1
        assert "INVALID" in bad.stderr


class TestTemplatesApi:
    def test_lists_templates(self, client: TestClient, world: World) -> None:
        response = client.get("/api/v1/templates", headers=world.headers("viewer"))
        assert response.status_code == 200
        [annex] = [t for t in response.json()["items"] if t["id"] == "crrf-annex-i"]
        assert annex["element_count"] == 43
        assert annex["version"] == "2016.1"

    def test_reads_a_template_with_inherited_lead_in(
        self, client: TestClient, world: World
    ) -> None:
        body = client.get(
            "/api/v1/templates/crrf-annex-i", headers=world.headers("partner_a")
        ).json()
        assert [p["code"] for p in body["pillars"]] == [
            "reception",
            "immediate_needs",
            "host_support",
            "durable_solutions",
        ]
        element = body["pillars"][3]["paragraphs"][3]["elements"][0]
        assert element["code"] == "14a"
        assert element["lead_in"] == "Third countries would:"
        assert element["solution"] == "resettlement_complementary_pathways"

    def test_labels_follow_the_language_with_english_fallback(
        self, client: TestClient, world: World
    ) -> None:
        french = client.get(
            "/api/v1/templates/crrf-annex-i?lang=fr", headers=world.headers("viewer")
        ).json()
        assert french["pillars"][0]["title"] == "Accueil et admission"
        assert french["pillars"][0]["paragraphs"][0]["elements"][0]["title"] == (
            "Identification et accueil sûr et digne"
        )
        spanish = client.get(
            "/api/v1/templates/crrf-annex-i",
            headers={**world.headers("viewer"), "Accept-Language": "es-419,es;q=0.9"},
        ).json()
        assert spanish["pillars"][3]["title"] == "Soluciones duraderas"

    def test_arabic_labels_read_right_to_left_and_the_text_says_it_is_english(
        self, client: TestClient, world: World
    ) -> None:
        body = client.get(
            "/api/v1/templates/crrf-annex-i?lang=ar", headers=world.headers("viewer")
        ).json()
        assert (body["language"], body["dir"], body["label_source"]) == ("ar", "rtl", "translation")
        assert body["name"] == "الإطار الشامل للاستجابة للاجئين (المرفق الأول)"
        paragraph = body["pillars"][0]["paragraphs"][0]
        assert paragraph["title"] == "دول الاستقبال في بداية حركة النزوح الكبيرة"
        element = paragraph["elements"][0]
        assert element["title"] == "تحديد الهوية والاستقبال الآمن والكريم"
        assert element["text"].startswith("Ensure, to the extent possible")
        assert (element["text_lang"], element["text_fallback"]) == ("en", True)
        assert element["text_document"] == "A/RES/71/1"

    def test_english_is_the_official_text_itself(self, client: TestClient, world: World) -> None:
        body = client.get("/api/v1/templates/crrf-annex-i", headers=world.headers("viewer")).json()
        element = body["pillars"][0]["paragraphs"][0]["elements"][0]
        assert (body["dir"], body["label_source"]) == ("ltr", "own_words")
        assert (element["text_lang"], element["text_fallback"]) == ("en", False)

    def test_an_official_text_in_the_file_is_served_in_its_language(
        self, client: TestClient, world: World
    ) -> None:
        registry = client.app.state.templates  # type: ignore[attr-defined]
        template = registry.get("crrf-annex-i")
        element = template.pillars[0].paragraphs[0].elements[0]
        translated = OfficialTranslation(text="Texte officiel (essai)", document="A/RES/71/1")
        patched = element.model_copy(update={"official_texts": {"fr": translated}})
        text, language, document = official_text(template, patched, "fr")
        assert (text, language, document) == ("Texte officiel (essai)", "fr", "A/RES/71/1")

    def test_an_unknown_language_is_a_422_problem(self, client: TestClient, world: World) -> None:
        response = client.get(
            "/api/v1/templates/crrf-annex-i?lang=de", headers=world.headers("viewer")
        )
        assert_problem(response, 422)

    def test_unknown_template_or_version_is_404(self, client: TestClient, world: World) -> None:
        headers = world.headers("viewer")
        assert_problem(client.get("/api/v1/templates/no-such", headers=headers), 404)
        assert_problem(
            client.get("/api/v1/templates/crrf-annex-i?version=9.9", headers=headers), 404
        )

    def test_needs_a_token(self, client: TestClient) -> None:
        assert_problem(client.get("/api/v1/templates"), 401)


def test_schema_is_valid_json() -> None:
    schema = json.loads(template_schema())
    assert schema["title"] == "TemplateFile"
