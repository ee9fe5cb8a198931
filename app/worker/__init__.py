"""The worker: runs the registered tasks (``tasks.TASKS``) again and again.

``crrf worker`` runs one on its own; ``crrf serve`` runs one in a background thread unless
``CRRF_WORKER_IN_PROCESS=false``. Any number may run at once: tasks claim their work in
the database, so none is done twice.
"""

from app.worker.runner import BackgroundWorker, run_forever, run_once, worker_sessions

__all__ = ["BackgroundWorker", "run_forever", "run_once", "worker_sessions"]
