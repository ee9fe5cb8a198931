"""The ``crrf templates`` commands: validate files, write their schemas, upgrade a situation."""

import argparse
import json
import sys
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.config import get_settings
from app.core.errors import NotFound
from app.events.service import SYSTEM
from app.frameworks.model import FrameworkFile
from app.models import Situation
from app.templates.model import TemplateFile
from app.templates.registry import (
    FRAMEWORK_SCHEMA_FILE,
    SCHEMA_FILE,
    TemplateFileError,
    cached_registry,
    describe,
    read_template_file,
    registry_of,
    template_files,
)
from app.templates.upgrade import upgrade

Sessions = Callable[[], AbstractContextManager[Session]]


def validate(args: argparse.Namespace) -> int:
    path = Path(args.path)
    files = template_files(path) if path.is_dir() else [path]
    if not files:
        print(f"{path}: no template files", file=sys.stderr)
        return 1
    failed = 0
    for file in files:
        try:
            template = read_template_file(file)
        except TemplateFileError as exc:
            failed += 1
            print(f"INVALID {exc}", file=sys.stderr)
            continue
        print(f"ok {file}: {template.id} {template.version}, {describe(template)}")
    if failed:
        return 1
    # A framework's mappings are checked against the checklists beside it.
    together = set(files) | set(template_files(path if path.is_dir() else path.parent))
    try:
        registry_of(sorted(together))
    except TemplateFileError as exc:
        print(f"INVALID {exc}", file=sys.stderr)
        return 1
    return 0


def template_schema(model: type[BaseModel] = TemplateFile) -> str:
    """The JSON Schema of template files (or of context framework files), as written beside them."""
    return json.dumps(model.model_json_schema(), indent=2, ensure_ascii=False) + "\n"


def schema(args: argparse.Namespace) -> int:
    folder = get_settings().templates_dir
    targets: list[tuple[type[BaseModel], Path]] = [
        (TemplateFile, folder / SCHEMA_FILE),
        (FrameworkFile, folder / FRAMEWORK_SCHEMA_FILE),
    ]
    if args.output:
        targets = [(TemplateFile, Path(args.output))]
    for model, target in targets:
        target.write_text(template_schema(model), encoding="utf-8")
        print(f"wrote {target}")
    return 0


def upgrader(sessions: Sessions) -> Callable[[argparse.Namespace], int]:
    """The ``upgrade`` command, on sessions from ``sessions``."""

    def run(args: argparse.Namespace) -> int:
        registry = cached_registry(Path(get_settings().templates_dir).resolve())
        with sessions() as session:
            situation = session.get(Situation, uuid.UUID(args.sid), with_for_update=True)
            if situation is None:
                raise NotFound(f"No situation {args.sid}.")
            moved = upgrade(session, situation, registry, args.to, SYSTEM)
        added = ", ".join(moved.added) or "none"
        removed = ", ".join(moved.removed) or "none"
        print(
            f"upgraded {moved.situation_id} from {situation.template_id} {moved.before} to "
            f"{moved.after}; items added: {added}; removed: {removed}"
        )
        return 0

    return run


def register(
    commands: Any, add: Callable[..., argparse.ArgumentParser], sessions: Sessions
) -> None:
    """Add ``crrf templates validate|schema|upgrade`` to the command line."""
    group = commands.add_parser("templates", help="framework templates").add_subparsers(
        dest="templates", required=True
    )
    checking = add(
        group, "validate", validate, "validate a template file or folder", database=False
    )
    checking.add_argument("path")
    writing = add(
        group, "schema", schema, "write the JSON Schema of template files", database=False
    )
    writing.add_argument("--output")
    moving = add(
        group,
        "upgrade",
        upgrader(sessions),
        "move a situation to another version of its template (refused if it would drop an "
        "item that has history)",
    )
    moving.add_argument("sid", help="the situation's id")
    moving.add_argument("--to", required=True, help="the template version to move to")
