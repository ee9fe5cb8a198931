"""Situations: opened by admins with their checklist; seen only by their members."""

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from app.core.vocab import OwnerRole
from app.models import ChecklistItem, Event
from tests.factories import World, make_user, set_owners
from tests.helpers import assert_problem, state_fingerprint, with_etag

SITUATIONS = "/api/v1/situations"


def _new_situation(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Congolese refugees in Uganda",
        "host_country": "UGA",
        "origin_countries": ["COD", "cod"],
        "start_date": "2017-01-15",
        "phase": "emergency",
        "population": [
            {
                "population_type": "REF",
                "date": "2024-06-30",
                "total": 1000,
                "female": {"0-4": 100, "5-11": 100, "12-17": 100, "18-59": 150, "60+": 50},
                "male": {"0-4": 100, "5-11": 100, "12-17": 100, "18-59": 150, "60+": 50},
            },
            {"population_type": "ASY", "date": "2024-06-30", "total": 250},
        ],
        "review_policy": "review",
    }
    body.update(overrides)
    return body


class TestCreateSituation:
    def test_creates_the_checklist_of_43_items_in_one_go(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        response = client.post(SITUATIONS, json=_new_situation(), headers=world.headers("admin"))
        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["location"] == f"{SITUATIONS}/{body['id']}"
        assert body["template_id"] == "crrf-annex-i" and body["template_version"] == "2016.1"
        assert body["origin_countries"] == ["COD"]
        assert body["population"][1]["female"]["18-59"] == 150
        assert body["population"][0] == {
            "population_type": "ASY",
            "date": "2024-06-30",
            "total": 250,
            "female": None,
            "male": None,
        }
        sid = uuid.UUID(body["id"])
        items = db.scalars(select(ChecklistItem).where(ChecklistItem.situation_id == sid)).all()
        assert len(items) == 43
        assert {i.status.value for i in items} == {"not_started"}
        assert {i.version for i in items} == {1}
        events = db.scalar(select(func.count()).select_from(Event).where(Event.situation_id == sid))
        assert events == 44  # one per item, one for the situation

    def test_only_admins_open_situations(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        before = state_fingerprint(connection)
        assert_problem(
            client.post(SITUATIONS, json=_new_situation(), headers=world.headers("coordinator")),
            403,
        )
        assert state_fingerprint(connection) == before

    def test_breakdown_over_the_total_is_422(self, client: TestClient, world: World) -> None:
        population = [
            {"population_type": "REF", "date": "2024-01-01", "total": 10, "female": {"0-4": 11}}
        ]
        assert_problem(
            client.post(
                SITUATIONS,
                json=_new_situation(population=population),
                headers=world.headers("admin"),
            ),
            422,
        )

    def test_complete_breakdown_must_add_up(self, client: TestClient, world: World) -> None:
        bands = {"0-4": 1, "5-11": 1, "12-17": 1, "18-59": 1, "60+": 1}
        population = [
            {
                "population_type": "REF",
                "date": "2024-01-01",
                "total": 11,
                "female": bands,
                "male": bands,
            }
        ]
        assert_problem(
            client.post(
                SITUATIONS,
                json=_new_situation(population=population),
                headers=world.headers("admin"),
            ),
            422,
        )

    def test_unknown_population_type_or_country_is_422(
        self, client: TestClient, world: World
    ) -> None:
        headers = world.headers("admin")
        bad_type = [{"population_type": "XYZ", "date": "2024-01-01", "total": 1}]
        assert_problem(
            client.post(SITUATIONS, json=_new_situation(population=bad_type), headers=headers), 422
        )
        assert_problem(
            client.post(SITUATIONS, json=_new_situation(host_country="ZZZ"), headers=headers), 422
        )
        assert_problem(
            client.post(SITUATIONS, json=_new_situation(origin_countries=["XX"]), headers=headers),
            422,
        )

    def test_returns_are_counted_with_unhcrs_population_types(
        self, client: TestClient, world: World
    ) -> None:
        returns = [
            {"population_type": kind, "date": "2025-06-30", "total": total}
            for kind, total in (("RET", 40), ("RDP", 30), ("IOC", 20))
        ]
        response = client.post(
            SITUATIONS, json=_new_situation(population=returns), headers=world.headers("admin")
        )
        assert response.status_code == 201, response.text
        read = client.get(f"{SITUATIONS}/{response.json()['id']}", headers=world.headers("admin"))
        assert {(p["population_type"], p["total"]) for p in read.json()["population"]} == {
            ("RET", 40),
            ("RDP", 30),
            ("IOC", 20),
        }

    def test_kosovo_is_xkx_as_unhcr_and_ocha_code_it(
        self, client: TestClient, world: World
    ) -> None:
        headers = world.headers("admin")
        response = client.post(
            SITUATIONS,
            json=_new_situation(
                name="Refugees in Kosovo", host_country="xkx", origin_countries=["SRB", "XKX"]
            ),
            headers=headers,
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["host_country"], body["origin_countries"]) == ("XKX", ["SRB", "XKX"])
        listed = client.get(f"{SITUATIONS}?host_country=XKX&limit=200", headers=headers).json()
        assert [s["id"] for s in listed["items"]] == [body["id"]]
        summary = client.get("/api/v1/summary?host_country=XKX", headers=headers)
        assert summary.status_code == 200, summary.text
        export = client.get("/api/v1/summary/export?host_country=XKX", headers=headers)
        assert export.status_code == 200, export.text
        assert ",XKX," in export.text

    def test_unknown_template_is_422(self, client: TestClient, world: World) -> None:
        response = client.post(
            SITUATIONS, json=_new_situation(template_id="no-such"), headers=world.headers("admin")
        )
        assert_problem(response, 422)


class TestSeeSituations:
    def test_members_see_only_their_situations(self, client: TestClient, world: World) -> None:
        listed = client.get(SITUATIONS, headers=world.headers("partner_a")).json()["items"]
        assert [(s["id"], s["role"]) for s in listed] == [(str(world.s1.id), "partner")]
        assert [
            s["id"]
            for s in client.get(SITUATIONS, headers=world.headers("stranger")).json()["items"]
        ] == []

    def test_admins_see_every_situation(self, client: TestClient, world: World) -> None:
        ids = {
            s["id"]
            for s in client.get(f"{SITUATIONS}?limit=200", headers=world.headers("admin")).json()[
                "items"
            ]
        }
        assert {str(world.s1.id), str(world.s2.id)} <= ids

    def test_filters_by_host_country_and_phase(self, client: TestClient, world: World) -> None:
        headers = world.headers("admin")
        kenya = client.get(f"{SITUATIONS}?host_country=ken&limit=200", headers=headers).json()[
            "items"
        ]
        assert str(world.s2.id) in {s["id"] for s in kenya}
        assert all(s["host_country"] == "KEN" for s in kenya)
        assert client.get(f"{SITUATIONS}?phase=solutions&limit=200", headers=headers).json()[
            "items"
        ] == [
            s
            for s in client.get(f"{SITUATIONS}?limit=200", headers=headers).json()["items"]
            if s["phase"] == "solutions"
        ]

    def test_other_situations_and_everything_under_them_are_404(
        self, client: TestClient, world: World
    ) -> None:
        headers = world.headers("outsider")
        for path in (
            "",
            "/items",
            "/items/5a",
            "/items/5a/history",
            "/members",
            f"/members/{world.users['viewer'].id}",
        ):
            assert_problem(client.get(world.url(path), headers=headers), 404)


class TestUpdateSituation:
    def test_coordinator_changes_fields_and_an_event_records_it(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        response = client.patch(
            world.url(),
            json={"phase": "solutions", "stale_after_days": 30},
            headers=with_etag(client, world.url(), world.headers("coordinator")),
        )
        assert response.status_code == 200
        assert response.json()["phase"] == "solutions" and response.json()["version"] == 2
        event = db.scalars(
            select(Event).where(
                Event.situation_id == world.s1.id, Event.action == "situation.updated"
            )
        ).one()
        assert event.before == {"phase": "protracted", "stale_after_days": 90}
        assert event.after == {"phase": "solutions", "stale_after_days": 30}
        assert event.actor_user_id == world.users["coordinator"].id
        assert event.actor_organisation_id == world.orgs["unhcr"].id

    def test_population_is_replaced(self, client: TestClient, world: World) -> None:
        population = [
            {"population_type": "REF", "date": "2025-01-01", "total": 5, "male": {"60+": 5}}
        ]
        headers = with_etag(client, world.url(), world.headers("coordinator"))
        body = client.patch(world.url(), json={"population": population}, headers=headers).json()
        assert body["population"] == [
            {
                "population_type": "REF",
                "date": "2025-01-01",
                "total": 5,
                "female": None,
                "male": {"0-4": None, "5-11": None, "12-17": None, "18-59": None, "60+": 5},
            }
        ]

    def test_stale_if_match_is_412(self, client: TestClient, world: World) -> None:
        response = client.patch(
            world.url(),
            json={"phase": "solutions"},
            headers={**world.headers("admin"), "If-Match": '"v7"'},
        )
        assert_problem(response, 412)

    def test_without_if_match_is_428_and_changes_nothing(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        before = state_fingerprint(connection)
        response = client.patch(
            world.url(), json={"phase": "solutions"}, headers=world.headers("coordinator")
        )
        assert_problem(response, 428)
        assert state_fingerprint(connection) == before

    def test_if_match_star_is_428_and_says_to_send_the_etag(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        before = state_fingerprint(connection)
        response = client.patch(
            world.url(),
            json={"phase": "solutions"},
            headers={**world.headers("coordinator"), "If-Match": "*"},
        )
        assert "send the ETag" in assert_problem(response, 428)["detail"]
        assert state_fingerprint(connection) == before

    def test_partners_and_viewers_cannot_change_it(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        before = state_fingerprint(connection)
        for who in ("partner_a", "viewer"):
            assert_problem(
                client.patch(world.url(), json={"phase": "solutions"}, headers=world.headers(who)),
                403,
            )
        assert state_fingerprint(connection) == before


class TestMembers:
    def test_coordinator_adds_changes_and_removes_a_member(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        headers = world.headers("coordinator")
        stranger = world.users["stranger"]
        set_owners(db, world.s1, "5b", (world.orgs["rlo"], OwnerRole.SUPPORT))
        db.commit()
        url = world.url(f"/members/{stranger.id}")
        added = client.put(url, json={"role": "viewer"}, headers=headers)
        assert added.status_code == 201
        assert added.json()["user"]["organisation"]["id"] == str(world.orgs["rlo"].id)
        assert client.get(world.url(), headers=world.headers("stranger")).status_code == 200
        changed = client.put(url, json={"role": "partner"}, headers=headers)
        assert changed.status_code == 200 and changed.json()["role"] == "partner"
        assert client.get(url, headers=headers).json()["role"] == "partner"
        assert client.delete(url, headers=headers).status_code == 204
        assert_problem(client.get(world.url(), headers=world.headers("stranger")), 404)
        actions = db.scalars(
            select(Event.action).where(
                Event.situation_id == world.s1.id, Event.action.like("membership.%")
            )
        ).all()
        assert sorted(actions).count("membership.set") == 6  # four from the world, two here
        assert "membership.removed" in actions

    def test_a_coordinator_cannot_add_users_they_have_no_way_to_know(
        self, client: TestClient, world: World, db: Session, connection: Connection
    ) -> None:
        headers = world.headers("coordinator")
        missing = client.put(
            world.url(f"/members/{uuid.uuid4()}"), json={"role": "viewer"}, headers=headers
        )
        assert_problem(missing, 404)
        before = state_fingerprint(connection)
        # The stranger's organisation owns nothing here; the admin has none at all.
        for who in ("stranger", "admin"):
            for role in ("viewer", "partner"):
                response = client.put(
                    world.url(f"/members/{world.users[who].id}"),
                    json={"role": role},
                    headers=headers,
                )
                assert response.status_code == 404
                # The same body as for an id that does not exist, but for its own path.
                assert {**response.json(), "instance": None} == {
                    **missing.json(),
                    "instance": None,
                }
                assert world.users[who].email not in response.text
        assert state_fingerprint(connection) == before

    def test_a_coordinator_adds_users_they_can_know(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        colleague, _ = make_user(db, world.orgs["unhcr"])  # the coordinator's organisation
        owner_staff, _ = make_user(db, world.orgs["rlo"])
        set_owners(db, world.s1, "5b", (world.orgs["rlo"], OwnerRole.SUPPORT))
        db.commit()
        headers = world.headers("coordinator")
        for user in (colleague, owner_staff):
            added = client.put(
                world.url(f"/members/{user.id}"), json={"role": "viewer"}, headers=headers
            )
            assert added.status_code == 201, added.text
        changed = client.put(
            world.url(f"/members/{world.users['viewer'].id}"),
            json={"role": "coordinator"},
            headers=headers,
        )
        assert changed.status_code == 200

    def test_an_admin_adds_anyone(self, client: TestClient, world: World) -> None:
        added = client.put(
            world.url(f"/members/{world.users['stranger'].id}"),
            json={"role": "viewer"},
            headers=world.headers("admin"),
        )
        assert added.status_code == 201

    def test_members_are_listed(self, client: TestClient, world: World) -> None:
        page = client.get(world.url("/members"), headers=world.headers("coordinator")).json()
        assert {m["user_id"] for m in page["items"]} == {
            str(world.users[w].id) for w in ("coordinator", "partner_a", "partner_b", "viewer")
        }

    def test_partner_needs_an_organisation(self, client: TestClient, world: World) -> None:
        admin = world.users["admin"]
        response = client.put(
            world.url(f"/members/{admin.id}"),
            json={"role": "partner"},
            headers=world.headers("admin"),
        )
        assert_problem(response, 422)

    def test_unknown_role_or_user(self, client: TestClient, world: World) -> None:
        headers = world.headers("coordinator")
        assert_problem(
            client.put(
                world.url(f"/members/{world.users['stranger'].id}"),
                json={"role": "boss"},
                headers=headers,
            ),
            422,
        )
        assert_problem(
            client.put(
                world.url("/members/00000000-0000-4000-8000-000000000000"),
                json={"role": "viewer"},
                headers=headers,
            ),
            404,
        )

    def test_only_coordinators_manage_members(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        before = state_fingerprint(connection)
        target = world.users["stranger"].id
        for who in ("partner_a", "viewer"):
            headers = world.headers(who)
            assert_problem(
                client.put(
                    world.url(f"/members/{target}"), json={"role": "viewer"}, headers=headers
                ),
                403,
            )
            assert_problem(
                client.delete(world.url(f"/members/{world.users['viewer'].id}"), headers=headers),
                403,
            )
            assert_problem(client.get(world.url("/members"), headers=headers), 403)
        assert state_fingerprint(connection) == before
