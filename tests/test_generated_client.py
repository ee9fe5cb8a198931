"""A client generated from ``/openapi.json`` (openapi-python-client) plays a session alone.

The spec is read from a live server, the client is generated into a temporary folder, and
everything after that goes through the generated code only: its models, its status
handling, and its typed ``Problem`` for a 412 (marker ``slow``: a server and a generator).
"""

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.databases import fresh_database
from tests.factories import World, migrated_world
from tests.live import live_server

pytestmark = pytest.mark.slow
GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    with fresh_database(os.environ.get("CRRF_TEST_DATABASE_URL"), tmp_path_factory) as url:
        world = migrated_world(url)
        with live_server(url, env={"CRRF_RATE_LIMIT_PER_MINUTE": "0"}) as server:
            yield server.url, world


@pytest.fixture(scope="module")
def generated(served: tuple[str, World], tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """Generate the client package ``crrf_generated`` from the live spec, and import it."""
    url, _ = served
    folder = tmp_path_factory.mktemp("client")
    (folder / "spec.json").write_text(json.dumps(httpx.get(f"{url}/openapi.json").json()))
    (folder / "config.yaml").write_text("post_hooks: []\n")
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            "spec.json",
            "--output-path",
            "crrf_generated",
            "--meta",
            "none",
            "--config",
            "config.yaml",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module("crrf_generated")
    finally:
        sys.path.remove(str(folder))


def _api(package: ModuleType, tag: str) -> Any:
    """The generated operations of a tag, as attributes (``situations.create_situation``)."""
    folder = Path(importlib.import_module(f"{package.__name__}.api.{tag}").__file__ or "")
    operations = {
        path.stem: importlib.import_module(f"{package.__name__}.api.{tag}.{path.stem}")
        for path in folder.parent.glob("*.py")
        if path.stem != "__init__"
    }
    return type(tag, (), operations)


def _models(package: ModuleType) -> Any:
    return importlib.import_module(f"{package.__name__}.models")


def test_a_generated_client_lives_by_the_contract(
    generated: ModuleType, served: tuple[str, World]
) -> None:
    url, world = served
    client = generated.AuthenticatedClient(
        base_url=url, token=world.tokens["admin"], raise_on_unexpected_status=True
    )
    m = _models(generated)
    organisations = _api(generated, "organisations")
    situations = _api(generated, "situations")
    checklist = _api(generated, "checklist")
    users = _api(generated, "users")

    organisation = organisations.create_organisation.sync(
        client=client,
        body=m.OrganisationCreate(
            name="Office of the Prime Minister",
            type_=m.OrganisationType("government"),
            country="UGA",
        ),
    )
    assert isinstance(organisation, m.OrganisationRead)

    body = m.SituationCreate.from_dict(
        {
            "name": "South Sudanese refugees in Uganda",
            "host_country": "UGA",
            "origin_countries": ["SSD"],
            "start_date": "2016-07-01",
            "phase": "protracted",
            "population": [{"population_type": "REF", "date": "2024-06-30", "total": 900000}],
        }
    )
    created = situations.create_situation.sync_detailed(
        client=client, body=body, idempotency_key="open-uganda"
    )
    assert created.status_code == 201 and isinstance(created.parsed, m.SituationRead)
    again = situations.create_situation.sync_detailed(
        client=client, body=body, idempotency_key="open-uganda"
    )
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    sid = created.parsed.id
    assert again.parsed.id == sid

    item = checklist.get_item.sync_detailed(sid=sid, code="5f", client=client)
    assert isinstance(item.parsed, m.ItemRead)
    assert isinstance(item.parsed.funding, m.Funding)  # declared, so the client parses it
    assert (item.parsed.funding.required_usd, item.parsed.funding.funded_share) == ("0.00", None)
    etag = item.headers["ETag"]
    patch = m.ItemPatch.from_dict({"status": "in_progress"})
    changed = checklist.patch_item.sync_detailed(
        sid=sid, code="5f", client=client, body=patch, if_match=etag
    )
    assert changed.status_code == 200 and changed.parsed.version == item.parsed.version + 1

    stale = checklist.patch_item.sync_detailed(
        sid=sid, code="5f", client=client, body=patch, if_match=etag
    )
    assert stale.status_code == 412
    problem = stale.parsed
    assert isinstance(problem, m.Problem)
    assert (problem.status, problem.type_) == (412, "/problems/precondition-failed")
    assert problem.instance == f"/api/v1/situations/{sid}/items/5f"
    assert httpx.get(f"{url}{problem.type_}").status_code == 200  # the type is documented

    user = users.create_user.sync(
        client=client,
        body=m.UserCreate(
            email="focal.point@opm.example", name="Focal Point", organisation_id=organisation.id
        ),
    )
    assert isinstance(user, m.UserRead)
    role = m.MembershipIn(role=m.SituationRole("partner"))
    added = situations.set_member.sync_detailed(sid=sid, user_id=user.id, client=client, body=role)
    assert added.status_code == 201 and isinstance(added.parsed, m.MembershipRead)
    kept = situations.set_member.sync_detailed(sid=sid, user_id=user.id, client=client, body=role)
    assert kept.status_code == 200 and isinstance(kept.parsed, m.MembershipRead)

    denied = generated.AuthenticatedClient(base_url=url, token="crrf_not-a-token")
    refused = situations.get_situation.sync_detailed(sid=sid, client=denied)
    assert refused.status_code == 401 and isinstance(refused.parsed, m.Problem)
    for used in (client, denied):
        used.get_httpx_client().close()
