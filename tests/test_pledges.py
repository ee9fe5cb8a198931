"""Pledges: create, read, change, their rules, filters, progress reports, the item's read
and the roll-up's "pledged but not in place"."""

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from app.models import Event
from tests.factories import World, make_organisation
from tests.helpers import assert_problem, state_fingerprint

API = "/api/v1/pledges"


def body(world: World, **fields: Any) -> dict[str, Any]:
    """A pledge by NGO A (partner_a's organisation), serving 5a and 6a of s1."""
    data: dict[str, Any] = {
        "title": "Birth registration for every refugee child",
        "description": "Mobile registration teams in every settlement.",
        "type": "technical",
        "gcr_objectives": [2, 1],
        "forum": "  GRF   2023 ",
        "external_ref": f"GRF-{uuid.uuid4().hex[:8]}",
        "status": "planning",
        "parties": [{"organisation_id": str(world.orgs["ngo_a"].id), "role": "submitter"}],
        "links": [
            {"situation_id": str(world.s1.id), "code": "5a"},
            {"situation_id": str(world.s1.id), "code": "6a"},
        ],
    }
    data.update(fields)
    return data


def create(client: TestClient, world: World, who: str = "admin", **fields: Any) -> Any:
    response = client.post(API, json=body(world, **fields), headers=world.headers(who))
    assert response.status_code == 201, response.text
    return response


def party(world: World, org: str, role: str, share: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"organisation_id": str(world.orgs[org].id), "role": role}
    if share is not None:
        entry["share"] = share
    return entry


def patch(client: TestClient, world: World, pid: str, who: str, data: dict[str, Any]) -> Any:
    etag = client.get(f"{API}/{pid}", headers=world.headers(who)).headers["etag"]
    return client.patch(f"{API}/{pid}", json=data, headers={**world.headers(who), "If-Match": etag})


class TestCreate:
    def test_a_party_records_a_pledge_for_their_organisation(
        self, client: TestClient, world: World
    ) -> None:
        response = create(client, world, "partner_a")
        pledge = response.json()
        assert response.headers["location"] == f"{API}/{pledge['id']}"
        assert response.headers["etag"] == '"v1"'
        assert pledge["forum"] == "GRF 2023"
        assert pledge["gcr_objectives"] == [1, 2]
        assert pledge["parties"][0]["organisation"]["name"] == world.orgs["ngo_a"].name
        assert pledge["parties"][0]["share"] is None
        assert {link["code"] for link in pledge["links"]} == {"5a", "6a"}
        assert client.get(f"{API}/{pledge['id']}", headers=world.headers("viewer")).json() == (
            pledge
        )

    def test_an_event_is_written_on_each_linked_item(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        pledge = create(client, world, "partner_a").json()
        events = db.scalars(select(Event).where(Event.action == "pledge.created")).all()
        assert len(events) == 2
        assert {e.situation_id for e in events} == {world.s1.id}
        assert all(e.after and e.after["pledge_id"] == pledge["id"] for e in events)
        history = client.get(
            f"/api/v1/situations/{world.s1.id}/items/5a/history", headers=world.headers("viewer")
        ).json()["items"]
        assert history[0]["action"] == "pledge.created"
        assert history[0]["actor"]["user_id"] == str(world.users["partner_a"].id)

    def test_shares_are_decimal_strings(self, client: TestClient, world: World) -> None:
        parties = [
            party(world, "ngo_a", "submitter", "0.6"),
            party(world, "ngo_b", "co_pledger", "0.25"),
            party(world, "unhcr", "matcher"),
        ]
        pledge = create(client, world, parties=parties).json()
        assert [(p["role"], p["share"]) for p in pledge["parties"]] == [
            ("submitter", "0.6"),
            ("co_pledger", "0.25"),
            ("matcher", None),
        ]

    def test_the_same_idempotency_key_makes_one_pledge(
        self, client: TestClient, world: World
    ) -> None:
        data = body(world)
        headers = {**world.headers("partner_a"), "Idempotency-Key": "pledge-1"}
        first = client.post(API, json=data, headers=headers)
        again = client.post(API, json=data, headers=headers)
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]

    def test_an_external_reference_is_used_once(self, client: TestClient, world: World) -> None:
        create(client, world, external_ref="GRF-1")
        response = client.post(
            API, json=body(world, external_ref="GRF-1"), headers=world.headers("admin")
        )
        assert_problem(response, 409)


class TestValidation:
    def test_objectives_outside_one_to_four_are_refused(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        before = state_fingerprint(connection)
        for objectives in ([5], [0], [], [1, 1]):
            response = client.post(
                API, json=body(world, gcr_objectives=objectives), headers=world.headers("admin")
            )
            problem = assert_problem(response, 422)
            assert problem["errors"][0]["loc"][:2] == ["body", "gcr_objectives"]
        assert state_fingerprint(connection) == before

    def test_a_pledge_has_exactly_one_submitter(self, client: TestClient, world: World) -> None:
        two = [party(world, "ngo_a", "submitter"), party(world, "ngo_b", "submitter")]
        none = [party(world, "ngo_a", "co_pledger")]
        for parties in (two, none):
            response = client.post(
                API, json=body(world, parties=parties), headers=world.headers("admin")
            )
            assert "exactly one submitter" in str(assert_problem(response, 422)["errors"])

    def test_shares_are_fractions_adding_up_to_one_at_most(
        self, client: TestClient, world: World
    ) -> None:
        for shares in (("1.5", None), ("0.7", "0.4"), ("0", None), ("0.12345", None)):
            parties = [party(world, "ngo_a", "submitter", shares[0])]
            parties.append(party(world, "ngo_b", "matcher", shares[1]))
            response = client.post(
                API, json=body(world, parties=parties), headers=world.headers("admin")
            )
            assert_problem(response, 422)

    def test_an_unknown_code_or_situation_or_organisation_is_refused(
        self, client: TestClient, world: World
    ) -> None:
        cases = [
            ({"links": [{"situation_id": str(world.s1.id), "code": "99z"}]}, ["links", 0, "code"]),
            (
                {"links": [{"situation_id": str(uuid.uuid4()), "code": "5a"}]},
                ["links", 0, "situation_id"],
            ),
            (
                {"parties": [{"organisation_id": str(uuid.uuid4()), "role": "submitter"}]},
                ["parties", 0, "organisation_id"],
            ),
            ({"links": []}, ["links"]),
            ({"forum": " "}, ["forum"]),
            ({"type": "cash"}, ["type"]),
        ]
        for fields, loc in cases:
            response = client.post(API, json=body(world, **fields), headers=world.headers("admin"))
            assert assert_problem(response, 422)["errors"][0]["loc"][1:] == loc, fields


class TestWhoMayWrite:
    def test_a_partner_names_only_their_own_organisation(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        before = state_fingerprint(connection)
        others = [party(world, "ngo_b", "submitter")]
        also = [party(world, "ngo_a", "submitter"), party(world, "ngo_b", "co_pledger")]
        for parties in (others, also):
            response = client.post(
                API, json=body(world, parties=parties), headers=world.headers("partner_a")
            )
            assert_problem(response, 403)
        assert state_fingerprint(connection) == before

    def test_links_only_where_the_user_coordinates_or_is_a_partner(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        before = state_fingerprint(connection)
        in_s2 = [{"situation_id": str(world.s2.id), "code": "5a"}]
        response = client.post(
            API, json=body(world, links=in_s2), headers=world.headers("partner_a")
        )
        assert_problem(response, 422)  # s2 is unknown to partner_a
        viewer = body(world, parties=[party(world, "gov", "submitter")])
        assert_problem(client.post(API, json=viewer, headers=world.headers("viewer")), 403)
        assert state_fingerprint(connection) == before

    def test_a_user_without_an_organisation_makes_no_pledge(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        from tests.factories import make_user

        _, token = make_user(db)
        db.commit()
        response = client.post(API, json=body(world), headers={"Authorization": f"Bearer {token}"})
        assert_problem(response, 403)

    def test_a_non_party_changes_nothing(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        pid = create(client, world, "partner_a").json()["id"]
        before = state_fingerprint(connection)
        response = patch(client, world, pid, "partner_b", {"title": "Taken over"})
        assert_problem(response, 403)
        progress = {"year": 2024, "narrative": "Done", "status": "fulfilled"}
        response = client.post(
            f"{API}/{pid}/progress", json=progress, headers=world.headers("partner_b")
        )
        assert_problem(response, 403)
        assert state_fingerprint(connection) == before
        assert client.get(f"{API}/{pid}", headers=world.headers("admin")).json()["version"] == 1


class TestUpdate:
    def test_a_party_changes_fields_and_the_version_moves(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        pid = create(client, world, "partner_a").json()["id"]
        response = patch(
            client,
            world,
            pid,
            "partner_a",
            {"status": "in_progress", "gcr_objectives": [3], "links": [body(world)["links"][0]]},
        )
        assert response.status_code == 200, response.text
        pledge = response.json()
        assert response.headers["etag"] == '"v2"'
        assert (pledge["status"], pledge["gcr_objectives"]) == ("in_progress", [3])
        assert [link["code"] for link in pledge["links"]] == ["5a"]
        changed = db.scalars(select(Event).where(Event.action == "pledge.changed")).all()
        # Both items hear of it: 6a, which the pledge no longer serves, too.
        assert len(changed) == 2
        assert changed[0].before and changed[0].before["status"] == "planning"

    def test_nothing_sent_changes_nothing(self, client: TestClient, world: World) -> None:
        pid = create(client, world, "partner_a").json()["id"]
        response = patch(client, world, pid, "partner_a", {"title": body(world)["title"]})
        assert response.headers["etag"] == '"v1"'

    def test_if_match_is_required_and_checked(self, client: TestClient, world: World) -> None:
        pid = create(client, world).json()["id"]
        url = f"{API}/{pid}"
        assert_problem(client.patch(url, json={"title": "T"}, headers=world.headers("admin")), 428)
        stale = {**world.headers("admin"), "If-Match": '"v9"'}
        assert_problem(client.patch(url, json={"title": "T"}, headers=stale), 412)

    def test_a_party_adds_or_changes_only_its_own_part(
        self, client: TestClient, world: World
    ) -> None:
        parties = [party(world, "ngo_a", "submitter"), party(world, "ngo_b", "co_pledger")]
        pid = create(client, world, parties=parties).json()["id"]
        own = [party(world, "ngo_a", "submitter", "0.5"), party(world, "ngo_b", "co_pledger")]
        assert patch(client, world, pid, "partner_a", {"parties": own}).status_code == 200
        theirs = [party(world, "ngo_a", "submitter"), party(world, "ngo_b", "matcher")]
        assert_problem(patch(client, world, pid, "partner_a", {"parties": theirs}), 403)
        dropped = [party(world, "ngo_a", "submitter")]
        assert_problem(patch(client, world, pid, "partner_a", {"parties": dropped}), 403)
        assert patch(client, world, pid, "admin", {"parties": dropped}).status_code == 200

    def test_a_partner_may_not_unlink_a_situation_they_do_not_work_in(
        self, client: TestClient, world: World
    ) -> None:
        links = [*body(world)["links"], {"situation_id": str(world.s2.id), "code": "5a"}]
        pid = create(client, world, links=links).json()["id"]
        response = patch(client, world, pid, "partner_a", {"links": links[:2]})
        assert_problem(response, 403)
        response = patch(client, world, pid, "partner_a", {"links": [links[0], links[2]]})
        assert response.status_code == 200, response.text


class TestList:
    def test_filters(self, client: TestClient, world: World) -> None:
        a = create(client, world, forum="GRF 2019", type="financial", gcr_objectives=[1]).json()
        b = create(
            client,
            world,
            forum="national",
            status="in_progress",
            gcr_objectives=[3, 4],
            parties=[party(world, "ngo_b", "submitter"), party(world, "unhcr", "matcher")],
            links=[{"situation_id": str(world.s2.id), "code": "5b"}],
        ).json()
        headers = world.headers("viewer")

        def ids(query: str) -> set[str]:
            response = client.get(f"{API}?limit=200&{query}", headers=headers)
            assert response.status_code == 200, response.text
            return {p["id"] for p in response.json()["items"]} & {a["id"], b["id"]}

        assert ids("forum=grf%202019") == {a["id"]}
        assert ids("type=financial") == {a["id"]}
        assert ids("objective=4") == {b["id"]}
        assert ids("status=in_progress") == {b["id"]}
        assert ids(f"organisation_id={world.orgs['unhcr'].id}") == {b["id"]}
        assert ids(f"situation_id={world.s2.id}") == {b["id"]}
        assert ids("code=6a") == {a["id"]}
        assert ids(f"situation_id={world.s1.id}&code=5b") == set()
        assert ids("") == {a["id"], b["id"]}
        assert_problem(client.get(f"{API}?objective=5", headers=headers), 422)

    def test_pages_newest_first(self, client: TestClient, world: World) -> None:
        made = [create(client, world).json()["id"] for _ in range(3)]
        headers = world.headers("viewer")
        first = client.get(f"{API}?limit=2", headers=headers).json()
        second = client.get(f"{API}?limit=2&cursor={first['next_cursor']}", headers=headers).json()
        seen = [p["id"] for p in first["items"] + second["items"]]
        assert [pid for pid in seen if pid in made] == list(reversed(made))


class TestProgress:
    def test_a_party_reports_and_the_status_follows(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        pid = create(client, world, "partner_a").json()["id"]
        report = {"year": 2024, "status": "in_progress", "narrative": "Teams in 3 of 5 settlements"}
        response = client.post(
            f"{API}/{pid}/progress", json=report, headers=world.headers("partner_a")
        )
        assert response.status_code == 201, response.text
        assert response.json()["organisation"]["id"] == str(world.orgs["ngo_a"].id)
        pledge = client.get(f"{API}/{pid}", headers=world.headers("viewer"))
        assert (pledge.json()["status"], pledge.headers["etag"]) == ("in_progress", '"v2"')
        later = {"year": 2025, "narrative": "Two more settlements"}
        client.post(f"{API}/{pid}/progress", json=later, headers=world.headers("admin"))
        reports = client.get(f"{API}/{pid}/progress", headers=world.headers("outsider")).json()
        assert [r["year"] for r in reports["items"]] == [2025, 2024]
        assert client.get(f"{API}/{pid}", headers=world.headers("viewer")).json()["version"] == 2
        events = db.scalars(select(Event).where(Event.action == "pledge.progress_reported")).all()
        assert len(events) == 4  # two reports, two linked items

    def test_a_report_needs_a_year_and_a_narrative(self, client: TestClient, world: World) -> None:
        pid = create(client, world, "partner_a").json()["id"]
        url = f"{API}/{pid}/progress"
        for report in (
            {"narrative": "x"},
            {"year": 2024, "narrative": ""},
            {"year": 1800, "narrative": "x"},
        ):
            assert_problem(client.post(url, json=report, headers=world.headers("partner_a")), 422)
        assert_problem(
            client.get(f"{API}/{uuid.uuid4()}/progress", headers=world.headers("viewer")), 404
        )


class TestItemPledges:
    def test_the_item_read_lists_its_pledges(self, client: TestClient, world: World) -> None:
        pledge = create(client, world, "partner_a").json()
        create(client, world, links=[{"situation_id": str(world.s1.id), "code": "7a"}])
        item = client.get(
            f"/api/v1/situations/{world.s1.id}/items/5a", headers=world.headers("viewer")
        ).json()
        assert [p["id"] for p in item["pledges"]] == [pledge["id"]]
        assert item["pledges"][0]["parties"][0]["role"] == "submitter"
        assert item["pledges"][0]["forum"] == "GRF 2023"


class TestRollupFilter:
    def test_finds_elements_pledged_but_not_in_place(
        self, client: TestClient, world: World
    ) -> None:
        create(client, world)  # 5a and 6a of s1
        withdrawn = [{"situation_id": str(world.s1.id), "code": "7a"}]
        create(client, world, status="withdrawn", links=withdrawn)
        etag = client.get(world.url("/items/6a"), headers=world.headers("coordinator")).headers[
            "etag"
        ]
        client.patch(
            world.url("/items/6a"),
            json={"status": "in_place"},
            headers={**world.headers("coordinator"), "If-Match": etag},
        )
        rollup = client.get(
            "/api/v1/summary?pledged_not_in_place=true", headers=world.headers("viewer")
        )
        assert rollup.status_code == 200, rollup.text
        elements = {e["code"]: e["pledged_not_in_place"] for e in rollup.json()["elements"]}
        assert elements == {"5a": 1}
        plain = client.get("/api/v1/summary", headers=world.headers("viewer")).json()
        assert len(plain["elements"]) == 43
        assert plain["elements"][0]["pledged_not_in_place"] is None

    def test_counts_only_situations_the_caller_may_see(
        self, client: TestClient, world: World
    ) -> None:
        create(client, world, links=[{"situation_id": str(world.s2.id), "code": "8a"}])
        seen = client.get(
            "/api/v1/summary?pledged_not_in_place=true", headers=world.headers("viewer")
        )
        assert "8a" not in {e["code"] for e in seen.json()["elements"]}
        outsider = client.get(
            "/api/v1/summary?pledged_not_in_place=true", headers=world.headers("outsider")
        )
        assert {e["code"] for e in outsider.json()["elements"]} == {"8a"}


def test_an_other_organisation_can_be_named_by_an_admin(
    client: TestClient, world: World, db: Session
) -> None:
    donor = make_organisation(db, "Generous donor")
    db.commit()
    parties = [{"organisation_id": str(donor.id), "role": "submitter", "share": "1"}]
    assert create(client, world, parties=parties).json()["parties"][0]["share"] == "1"
