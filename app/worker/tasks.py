"""The worker's tasks, run in this order on every pass.

A task is a callable ``(session_factory, now) -> int``: it opens (and commits) its own
sessions, acts as of ``now``, and returns how much it did (0: nothing to do), so that an
idle worker pauses and a busy one goes on at once. A task does a bounded amount per call.
"""

from collections.abc import Callable
from datetime import datetime

from app.cycles.deadlines import deadlines_task
from app.notify.delivery import send_due_emails
from app.notify.outbox import SessionFactory
from app.notify.service import queue_daily_digests

Task = Callable[[SessionFactory, datetime], int]

TASKS: list[Task] = [
    deadlines_task,
    queue_daily_digests,
    send_due_emails,
]
