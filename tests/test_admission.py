"""Admission: at most N sessions at once, in order; past the wait, 503 with Retry-After."""

import asyncio

import pytest

from app.core.admission import DatabaseBusy, Gate, admission_for
from app.core.problems import app_error_response


def test_a_turn_is_handed_on_in_order_and_a_late_one_is_busy() -> None:
    async def scenario() -> list[str]:
        gate = Gate(1, timeout_seconds=0.2, retry_after_seconds=7)
        order: list[str] = []

        async def request(name: str, hold: float) -> None:
            async with gate.turn():
                order.append(name)
                await asyncio.sleep(hold)

        await asyncio.gather(request("a", 0.05), request("b", 0.0), request("c", 0.0))
        await gate.enter()  # held elsewhere: the next one waits, then is busy
        with pytest.raises(DatabaseBusy) as busy:
            await gate.enter()
        gate.leave()
        await gate.enter()  # free again
        gate.leave()
        assert busy.value.headers == {"Retry-After": "7"}
        return order

    assert asyncio.run(scenario()) == ["a", "b", "c"]


def test_busy_renders_503_problem_with_retry_after() -> None:
    response = app_error_response(DatabaseBusy(3), "/api/v1/situations")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "3"
    assert response.media_type == "application/problem+json"


def test_a_sqlite_writer_takes_the_writer_turn_first_and_releases_both() -> None:
    async def scenario() -> None:
        admission = admission_for(
            sqlite=True,
            capacity=2,
            wait_seconds=0.05,
            writer_wait_seconds=0.05,
            retry_after_seconds=1,
        )
        assert admission.writer is not None
        async with admission.turn(writes=True):
            with pytest.raises(DatabaseBusy):
                async with admission.turn(writes=True):
                    pass
            async with admission.turn(writes=False):  # readers are not held up by a writer
                pass
        async with admission.turn(writes=True):  # both turns were handed on
            pass
        assert (
            admission_for(
                sqlite=False,
                capacity=1,
                wait_seconds=1,
                writer_wait_seconds=1,
                retry_after_seconds=1,
            ).writer
            is None
        )

    asyncio.run(scenario())
