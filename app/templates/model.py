"""The model every template file must satisfy; its JSON Schema is exported beside the files."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from app.core.vocab import OrganisationType, PillarCode
from app.templates.languages import FALLBACK_LANGUAGE, LabelSource, check_languages

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def _as_labels(value: Any) -> Any:
    return {FALLBACK_LANGUAGE: value} if isinstance(value, str) else value


def _check_labels(value: dict[str, str]) -> dict[str, str]:
    if FALLBACK_LANGUAGE not in value:
        raise ValueError("a label needs an English ('en') text, the fallback")
    for language, text in value.items():
        if not _LANGUAGE.match(language):
            raise ValueError(f"'{language}' is not a language code (BCP 47, e.g. 'fr', 'es-419')")
        if not text.strip():
            raise ValueError(f"the '{language}' label is empty")
    return value


Label = Annotated[
    dict[str, Annotated[str, Field(max_length=300)]],
    BeforeValidator(_as_labels),
    AfterValidator(_check_labels),
    Field(description="Text by language code; a plain string means English. 'en' is required."),
]
LongLabel = Annotated[
    dict[str, Annotated[str, Field(max_length=2000)]],
    BeforeValidator(_as_labels),
    AfterValidator(_check_labels),
]
OfficialText = Annotated[str, Field(min_length=1, max_length=4000)]
Tag = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]


class StateRole(StrEnum):
    """Which State a paragraph's lead-in names as the actor."""

    RECEIVING_STATE = "receiving_state"
    HOST_STATE = "host_state"
    STATE_OF_ORIGIN = "state_of_origin"
    THIRD_COUNTRY = "third_country"
    STATES = "states"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OfficialTranslation(_Strict):
    """An element's official text in a language other than English, with its document."""

    text: OfficialText = Field(description="The official text in that language, verbatim.")
    document: str = Field(
        min_length=1, max_length=100, description="Its document symbol, e.g. 'A/RES/71/1'."
    )


class TemplateElement(_Strict):
    code: str = Field(pattern=r"^[1-9][0-9]?[a-z]?$", description="e.g. '5a', '15'")
    title: Label
    text: OfficialText = Field(description="The official English text, verbatim.")
    official_texts: dict[LanguageCode, OfficialTranslation] = Field(
        default_factory=dict,
        max_length=10,
        description="The official text in other languages, only where it is in hand verbatim; "
        "any other language is served the English text, said so.",
    )
    tags: list[Tag] = Field(default_factory=list, max_length=20)


class TemplateParagraph(_Strict):
    number: str = Field(pattern=r"^[1-9][0-9]?$")
    title: Label | None = Field(default=None, description="Our short label of the paragraph.")
    solution: str | None = Field(default=None, description="Code of a pillar solution group.")
    lead_in: OfficialText | None = Field(default=None, description="Who acts, verbatim.")
    state_role: StateRole
    actor_types: list[OrganisationType] = Field(min_length=1, max_length=14)
    elements: list[TemplateElement] = Field(min_length=1, max_length=26)

    @model_validator(mode="after")
    def _codes_follow_number(self) -> "TemplateParagraph":
        for element in self.elements:
            suffix = element.code.removeprefix(self.number)
            if element.code == suffix or not (suffix == "" or re.fullmatch(r"[a-z]", suffix)):
                raise ValueError(
                    f"element {element.code} does not belong to paragraph {self.number}"
                )
        if len(self.elements) > 1 and any(e.code == self.number for e in self.elements):
            raise ValueError(
                f"paragraph {self.number} mixes an unlettered element with lettered ones"
            )
        return self


class SolutionGroup(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")
    title: Label


class TemplatePillar(_Strict):
    code: PillarCode
    title: Label
    preamble: list[OfficialText] = Field(default_factory=list, max_length=10)
    solutions: list[SolutionGroup] = Field(default_factory=list, max_length=10)
    paragraphs: list[TemplateParagraph] = Field(min_length=1, max_length=40)

    @model_validator(mode="after")
    def _solutions_declared(self) -> "TemplatePillar":
        declared = {group.code for group in self.solutions}
        if len(declared) != len(self.solutions):
            raise ValueError(f"pillar {self.code}: solution codes repeat")
        for paragraph in self.paragraphs:
            if paragraph.solution is not None and paragraph.solution not in declared:
                raise ValueError(
                    f"paragraph {paragraph.number}: solution '{paragraph.solution}' "
                    f"is not declared by pillar {self.code}"
                )
        return self


class TemplateSource(_Strict):
    document: str = Field(max_length=100)
    title: str = Field(max_length=300)
    adopted: date
    url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")


@dataclass(frozen=True)
class ElementEntry:
    """An element with what it inherits from its pillar and paragraph, in template order."""

    order: int
    pillar: TemplatePillar
    paragraph: TemplateParagraph
    element: TemplateElement


class TemplateFile(_Strict):
    """One framework: pillars, their paragraphs, and the paragraphs' elements."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,31}$")
    released: date = Field(description="Orders the versions of one template.")
    name: Label
    description: LongLabel | None = None
    source: TemplateSource | None = None
    languages: list[LanguageCode] = Field(
        default_factory=lambda: [FALLBACK_LANGUAGE],
        max_length=20,
        description="Every label exists in each of these ('en' among them).",
    )
    label_sources: dict[LanguageCode, LabelSource] = Field(
        default_factory=lambda: {FALLBACK_LANGUAGE: LabelSource.OWN_WORDS},
        max_length=20,
        description="Where the labels (titles) in each declared language come from; the "
        "official texts name their document themselves.",
    )
    pillars: list[TemplatePillar] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _unique_codes(self) -> "TemplateFile":
        pillar_codes = [pillar.code for pillar in self.pillars]
        if len(set(pillar_codes)) != len(pillar_codes):
            raise ValueError("pillar codes repeat")
        numbers = [p.number for pillar in self.pillars for p in pillar.paragraphs]
        if len(set(numbers)) != len(numbers):
            raise ValueError("paragraph numbers repeat")
        codes = [entry.element.code for entry in self.entries()]
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            raise ValueError(f"element codes repeat: {', '.join(repeated)}")
        check_languages(self.languages, self.label_sources, self.labels())
        return self

    def labels(self) -> Iterator[tuple[str, dict[str, str] | None]]:
        """Every label of the file, with where it is."""
        yield "name", self.name
        yield "description", self.description
        for pillar in self.pillars:
            yield f"pillars.{pillar.code}.title", pillar.title
            for group in pillar.solutions:
                yield f"pillars.{pillar.code}.solutions.{group.code}.title", group.title
            for paragraph in pillar.paragraphs:
                yield f"paragraphs.{paragraph.number}.title", paragraph.title
        for entry in self.entries():
            yield f"elements.{entry.element.code}.title", entry.element.title

    def entries(self) -> Iterator[ElementEntry]:
        """Walk every element in template order."""
        order = 0
        for pillar in self.pillars:
            for paragraph in pillar.paragraphs:
                for element in paragraph.elements:
                    order += 1
                    yield ElementEntry(order, pillar, paragraph, element)


def localise(label: dict[str, str] | None, language: str | None) -> str | None:
    """Pick a label's text in ``language``, falling back to its base language, then English."""
    if label is None:
        return None
    if language:
        if language in label:
            return label[language]
        base = language.split("-", 1)[0]
        if base in label:
            return label[base]
    return label[FALLBACK_LANGUAGE]
