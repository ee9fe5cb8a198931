"""The model of a context framework file: elements mapped to a checklist's with SKOS relations.

A mapping reads as SKOS does, from the framework's element to the checklist's:
``{"relation": "narrowMatch", "code": "5a"}`` on element ``1`` says that Annex I's ``5a`` is
narrower than element ``1`` (element ``1`` covers it, among others); ``broadMatch``, that
``5a`` is broader; ``exactMatch`` and ``closeMatch``, the same commitment; ``relatedMatch``,
related without either containing the other.
"""

from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.templates.languages import FALLBACK_LANGUAGE, LabelSource, check_languages
from app.templates.model import (
    Label,
    LanguageCode,
    LongLabel,
    OfficialText,
    TemplateSource,
)

Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,31}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SkosRelation(StrEnum):
    """The SKOS mapping properties (https://www.w3.org/TR/skos-reference/#mapping)."""

    EXACT = "exactMatch"
    CLOSE = "closeMatch"
    BROAD = "broadMatch"
    NARROW = "narrowMatch"
    RELATED = "relatedMatch"


class Mapping(_Strict):
    relation: SkosRelation
    code: str = Field(pattern=r"^[1-9][0-9]?[a-z]?$", description="A checklist element code.")


class MapsTo(_Strict):
    """The checklist template (and its version) whose element codes the mappings name."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,31}$")


class FrameworkGroup(_Strict):
    code: Code
    title: Label


class FrameworkElement(_Strict):
    code: Code
    group: Code | None = Field(default=None, description="Code of one of the file's groups.")
    title: Label
    text: OfficialText | None = Field(
        default=None, description="The framework's own words, verbatim, where the file quotes it."
    )
    mappings: list[Mapping] = Field(min_length=1, max_length=60)

    @model_validator(mode="after")
    def _one_mapping_per_code(self) -> "FrameworkElement":
        codes = [mapping.code for mapping in self.mappings]
        if len(set(codes)) != len(codes):
            raise ValueError(f"element {self.code} maps a code twice")
        return self


class FrameworkFile(_Strict):
    """A context framework: its elements, optionally grouped, each mapped to checklist codes."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    kind: Literal["context"]
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,31}$")
    released: date = Field(description="Orders the versions of one framework.")
    name: Label
    description: LongLabel | None = None
    source: TemplateSource | None = None
    source_note: str | None = Field(
        default=None, max_length=2000, description="How far the file follows its source."
    )
    maps_to: MapsTo
    languages: list[LanguageCode] = Field(
        default_factory=lambda: [FALLBACK_LANGUAGE], max_length=20
    )
    label_sources: dict[LanguageCode, LabelSource] = Field(
        default_factory=lambda: {FALLBACK_LANGUAGE: LabelSource.OWN_WORDS}, max_length=20
    )
    groups: list[FrameworkGroup] = Field(default_factory=list, max_length=20)
    elements: list[FrameworkElement] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> "FrameworkFile":
        groups = [group.code for group in self.groups]
        if len(set(groups)) != len(groups):
            raise ValueError("group codes repeat")
        codes = [element.code for element in self.elements]
        if len(set(codes)) != len(codes):
            raise ValueError("element codes repeat")
        for element in self.elements:
            if element.group is not None and element.group not in groups:
                raise ValueError(f"element {element.code}: group '{element.group}' is not declared")
        check_languages(self.languages, self.label_sources, self.labels())
        return self

    def labels(self) -> Iterator[tuple[str, dict[str, str] | None]]:
        """Every label of the file, with where it is."""
        yield "name", self.name
        yield "description", self.description
        for group in self.groups:
            yield f"groups.{group.code}.title", group.title
        for element in self.elements:
            yield f"elements.{element.code}.title", element.title

    def mapped_codes(self) -> set[str]:
        """Every checklist code some element maps to."""
        return {mapping.code for element in self.elements for mapping in element.mappings}
