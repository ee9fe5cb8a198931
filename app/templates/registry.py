"""Load, validate and look up the template files: checklists and the context frameworks."""

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from app.frameworks.model import FrameworkFile
from app.templates.model import ElementEntry, TemplateFile

SCHEMA_FILE = "template.schema.json"
FRAMEWORK_SCHEMA_FILE = "framework.schema.json"

AnyTemplate = TemplateFile | FrameworkFile


class TemplateFileError(Exception):
    """A template file that cannot be read or does not satisfy the model."""


def read_template_file(path: Path) -> AnyTemplate:
    """Read and validate one template file (``kind: context``: a context framework)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TemplateFileError(f"{path}: cannot be read as YAML: {exc}") from exc
    model: type[BaseModel] = TemplateFile
    if isinstance(data, dict) and data.get("kind") == "context":
        model = FrameworkFile
    try:
        validated: AnyTemplate = model.model_validate(data)  # type: ignore[assignment]
    except ValidationError as exc:
        raise TemplateFileError(f"{path}: {exc}") from exc
    return validated


def describe(template: AnyTemplate) -> str:
    """One line about a valid file: what it holds."""
    if isinstance(template, FrameworkFile):
        target = f"{template.maps_to.id} {template.maps_to.version}"
        return (
            f"{len(template.groups)} groups, {len(template.elements)} elements mapped to {target}"
        )
    count = sum(1 for _ in template.entries())
    return f"{len(template.pillars)} pillars, {count} elements"


def _newest(found: list[Any]) -> list[Any]:
    return sorted(found, key=lambda t: (t.released, t.version), reverse=True)


@dataclass
class TemplateRegistry:
    """Every version of every template and framework, and fast element look-up."""

    templates: dict[tuple[str, str], TemplateFile] = field(default_factory=dict)
    frameworks: dict[tuple[str, str], FrameworkFile] = field(default_factory=dict)
    _entries: dict[tuple[str, str], dict[str, ElementEntry]] = field(default_factory=dict)

    def add(self, template: AnyTemplate) -> None:
        key = (template.id, template.version)
        if key in self.templates or key in self.frameworks:
            raise TemplateFileError(
                f"template {template.id} version {template.version} is defined twice"
            )
        if isinstance(template, FrameworkFile):
            self.frameworks[key] = template
            return
        self.templates[key] = template
        self._entries[key] = {entry.element.code: entry for entry in template.entries()}

    def check_mappings(self) -> None:
        """Every framework maps to a loaded checklist version, and only to its element codes."""
        for framework in self.frameworks.values():
            target = (framework.maps_to.id, framework.maps_to.version)
            if target not in self._entries:
                raise TemplateFileError(
                    f"framework {framework.id} {framework.version}: it maps to "
                    f"{target[0]} {target[1]}, which is not loaded"
                )
            unknown = sorted(framework.mapped_codes() - set(self._entries[target]))
            if unknown:
                raise TemplateFileError(
                    f"framework {framework.id} {framework.version}: mappings name codes that "
                    f"{target[0]} {target[1]} does not have: {', '.join(unknown)}"
                )

    def versions(self, template_id: str) -> list[TemplateFile]:
        """All versions of a checklist template, newest first."""
        return _newest([t for (tid, _), t in self.templates.items() if tid == template_id])

    def framework_versions(self, framework_id: str) -> list[FrameworkFile]:
        """All versions of a context framework, newest first."""
        return _newest([f for (fid, _), f in self.frameworks.items() if fid == framework_id])

    def latest(self) -> list[TemplateFile]:
        """The newest version of each checklist template, by id."""
        ids = sorted({tid for tid, _ in self.templates})
        return [self.versions(tid)[0] for tid in ids]

    def latest_frameworks(self) -> list[FrameworkFile]:
        """The newest version of each context framework, by id."""
        ids = sorted({fid for fid, _ in self.frameworks})
        return [self.framework_versions(fid)[0] for fid in ids]

    def get(self, template_id: str, version: str | None = None) -> TemplateFile | None:
        """One version of a checklist template (the newest when ``version`` is None)."""
        if version is not None:
            return self.templates.get((template_id, version))
        versions = self.versions(template_id)
        return versions[0] if versions else None

    def framework(self, framework_id: str, version: str | None = None) -> FrameworkFile | None:
        """One version of a context framework (the newest when ``version`` is None)."""
        if version is not None:
            return self.frameworks.get((framework_id, version))
        versions = self.framework_versions(framework_id)
        return versions[0] if versions else None

    def element(self, template_id: str, version: str, code: str) -> ElementEntry | None:
        """Look an element up with what it inherits."""
        return self._entries.get((template_id, version), {}).get(code)


def registry_of(files: list[Path]) -> TemplateRegistry:
    """Read files into one registry; an invalid file or mapping stops the load."""
    registry = TemplateRegistry()
    for path in files:
        registry.add(read_template_file(path))
    registry.check_mappings()
    return registry


def template_files(directory: Path) -> list[Path]:
    """The template files of a folder."""
    return sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))


def load_registry(directory: Path) -> TemplateRegistry:
    """Read every ``*.yaml`` in ``directory``; any invalid file stops the load."""
    files = template_files(directory)
    if not files:
        raise TemplateFileError(f"{directory}: no template files (*.yaml)")
    return registry_of(files)


@lru_cache(maxsize=4)
def cached_registry(directory: Path) -> TemplateRegistry:
    """Load a directory's templates once per process."""
    return load_registry(directory)
