"""Load, validate and look up the template files."""

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from app.templates.model import ElementEntry, TemplateFile

SCHEMA_FILE = "template.schema.json"


class TemplateFileError(Exception):
    """A template file that cannot be read or does not satisfy the model."""


def read_template_file(path: Path) -> TemplateFile:
    """Read and validate one template file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TemplateFileError(f"{path}: cannot be read as YAML: {exc}") from exc
    try:
        return TemplateFile.model_validate(data)
    except ValidationError as exc:
        raise TemplateFileError(f"{path}: {exc}") from exc


@dataclass
class TemplateRegistry:
    """Every version of every template, and fast element look-up."""

    templates: dict[tuple[str, str], TemplateFile] = field(default_factory=dict)
    _entries: dict[tuple[str, str], dict[str, ElementEntry]] = field(default_factory=dict)

    def add(self, template: TemplateFile) -> None:
        key = (template.id, template.version)
        if key in self.templates:
            raise TemplateFileError(
                f"template {template.id} version {template.version} is defined twice"
            )
        self.templates[key] = template
        self._entries[key] = {entry.element.code: entry for entry in template.entries()}

    def versions(self, template_id: str) -> list[TemplateFile]:
        """All versions of a template, newest first."""
        found = [t for (tid, _), t in self.templates.items() if tid == template_id]
        return sorted(found, key=lambda t: (t.released, t.version), reverse=True)

    def latest(self) -> list[TemplateFile]:
        """The newest version of each template, by id."""
        ids = sorted({tid for tid, _ in self.templates})
        return [self.versions(tid)[0] for tid in ids]

    def get(self, template_id: str, version: str | None = None) -> TemplateFile | None:
        """One version of a template (the newest when ``version`` is None)."""
        if version is not None:
            return self.templates.get((template_id, version))
        versions = self.versions(template_id)
        return versions[0] if versions else None

    def element(self, template_id: str, version: str, code: str) -> ElementEntry | None:
        """Look an element up with what it inherits."""
        return self._entries.get((template_id, version), {}).get(code)


def load_registry(directory: Path) -> TemplateRegistry:
    """Read every ``*.yaml`` in ``directory``; any invalid file stops the load."""
    registry = TemplateRegistry()
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise TemplateFileError(f"{directory}: no template files (*.yaml)")
    for path in files:
        registry.add(read_template_file(path))
    return registry


@lru_cache(maxsize=4)
def cached_registry(directory: Path) -> TemplateRegistry:
    """Load a directory's templates once per process."""
    return load_registry(directory)
