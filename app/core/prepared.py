"""Statements built once: the hot path's queries, their values bound when they run.

Building a SQLAlchemy statement (its expressions, then its cache key, then the ORM's compile
state) costs more than SQLite takes to run a small one: for the token, situation and role of
a request, 0.44 ms built each time against 0.20 ms built once. A submission asks half a dozen
such questions, so it pays for them on every request (issue 12's goal: a submission's CPU at
most 2.5 times the bare INSERT+UPDATE endpoint's; bench "submit update").

``@prepared`` marks a function that builds a statement from its shape only: it takes no
request values (only flags and models, which are hashable and few), and every value the
statement needs is a ``bindparam`` named in its docstring. The statement is built once per
shape and reused; callers pass the values to ``Session.execute``.
"""

from collections.abc import Callable
from functools import cache
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
S = TypeVar("S")


def prepared(build: Callable[P, S]) -> Callable[P, S]:
    """Build the statement once per set of shape arguments; bind its values at execution."""
    return cache(build)  # type: ignore[return-value]  # functools.cache keeps the signature
