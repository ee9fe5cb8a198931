"""One definition of a context framework element's status, derived from its mapped items.

The rules (README, "Context frameworks"):

- ``exactMatch``, ``closeMatch``, ``broadMatch`` and ``narrowMatch`` mappings count; a
  ``relatedMatch`` is shown beside the element and never moves its status.
- Of the counted items, those ``not_applicable`` are set aside; the element is the least
  advanced status of the others (``not_started`` < ``planned`` < ``in_progress`` <
  ``in_place``), so it is ``in_place`` only when every counted item is. When every counted
  item is ``not_applicable``, so is the element.
- A mapped code the situation has no item for counts as ``not_started``.
- An element with no counted mapping has no status (``None``).
"""

from collections.abc import Mapping as MappingOf
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.vocab import ItemStatus
from app.frameworks.model import FrameworkElement, FrameworkFile, Mapping, SkosRelation

COUNTED = frozenset(
    {SkosRelation.EXACT, SkosRelation.CLOSE, SkosRelation.BROAD, SkosRelation.NARROW}
)
ADVANCEMENT = (
    ItemStatus.NOT_STARTED,
    ItemStatus.PLANNED,
    ItemStatus.IN_PROGRESS,
    ItemStatus.IN_PLACE,
)


def derived_status(statuses: Sequence[ItemStatus]) -> ItemStatus | None:
    """The status of an element whose counted items have ``statuses``."""
    if not statuses:
        return None
    applicable = [status for status in statuses if status is not ItemStatus.NOT_APPLICABLE]
    if not applicable:
        return ItemStatus.NOT_APPLICABLE
    return min(applicable, key=ADVANCEMENT.index)


@dataclass(frozen=True)
class MappedItem:
    mapping: Mapping
    status: ItemStatus | None
    """The item's status; ``None`` when the situation has no item with that code."""

    @property
    def counted(self) -> bool:
        return self.mapping.relation in COUNTED


@dataclass(frozen=True)
class DerivedElement:
    element: FrameworkElement
    status: ItemStatus | None
    mapped: tuple[MappedItem, ...]

    @property
    def in_place_share(self) -> float | None:
        """Counted items in place over the counted applicable ones (None: none applicable)."""
        statuses = [m.status or ItemStatus.NOT_STARTED for m in self.mapped if m.counted]
        applicable = [s for s in statuses if s is not ItemStatus.NOT_APPLICABLE]
        if not applicable:
            return None
        return sum(1 for s in applicable if s is ItemStatus.IN_PLACE) / len(applicable)


def derive(framework: FrameworkFile, statuses: MappingOf[str, ItemStatus]) -> list[DerivedElement]:
    """Every element of ``framework`` with its status, from the items' ``statuses`` by code."""
    derived = []
    for element in framework.elements:
        mapped = tuple(MappedItem(m, statuses.get(m.code)) for m in element.mappings)
        counted = [m.status or ItemStatus.NOT_STARTED for m in mapped if m.counted]
        derived.append(DerivedElement(element, derived_status(counted), mapped))
    return derived
