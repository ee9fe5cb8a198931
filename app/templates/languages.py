"""One rule for every template file: each label exists in each language the file declares."""

from collections.abc import Iterable, Mapping
from enum import StrEnum

from app.i18n import RIGHT_TO_LEFT

FALLBACK_LANGUAGE = "en"


class LabelSource(StrEnum):
    """Where the labels of one language come from."""

    OFFICIAL = "official"
    OWN_WORDS = "own_words"
    TRANSLATION = "translation"


LabelAt = tuple[str, Mapping[str, str] | None]
"""Where a label is in a file (e.g. ``pillars.reception.title``), and the label."""

_SHOWN = 5


def direction(language: str) -> str:
    """``rtl`` for a right-to-left language, else ``ltr``."""
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


def resolve(languages: list[str], language: str | None) -> str:
    """The language a file answers ``language`` in: that one when declared, else English."""
    if language in languages:
        return language
    return FALLBACK_LANGUAGE


def check_languages(
    languages: list[str], label_sources: Mapping[str, LabelSource], labels: Iterable[LabelAt]
) -> None:
    """Raise ``ValueError`` unless every label is in every declared language, sources said."""
    if FALLBACK_LANGUAGE not in languages:
        raise ValueError("languages must include English ('en'), the fallback")
    if len(set(languages)) != len(languages):
        raise ValueError("languages repeat")
    unsourced = [language for language in languages if language not in label_sources]
    if unsourced:
        raise ValueError(f"label_sources does not say where the labels in {unsourced} come from")
    undeclared = sorted(set(label_sources) - set(languages))
    if undeclared:
        raise ValueError(f"label_sources names undeclared languages: {undeclared}")
    missing = [
        f"{where} ({', '.join(absent)})"
        for where, label in labels
        if label is not None and (absent := [lang for lang in languages if lang not in label])
    ]
    if missing:
        more = f" and {len(missing) - _SHOWN} more" if len(missing) > _SHOWN else ""
        raise ValueError(
            "labels missing in a declared language: " + "; ".join(missing[:_SHOWN]) + more
        )
