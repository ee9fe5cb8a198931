"""Passwords: argon2id through argon2-cffi, a minimum length, and no common password.

Hashing costs a good fraction of a second on purpose: it happens only when a password is
set or checked at sign-in, never per request (the session cookie is what requests carry).
"""

from functools import cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MAX_LENGTH = 256  # bounds the work a sign-in can ask of the hasher

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """Hash a password for storage (argon2id, salted)."""
    return _hasher.hash(password)


@cache
def _stand_in_hash() -> str:
    return _hasher.hash("a password no account has")


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``; as slow without a stored hash as with one."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored or _stand_in_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored)


@cache
def common_passwords() -> frozenset[str]:
    """The refused passwords, in lower case (``common_passwords.txt`` in this package)."""
    text = files("app.accounts").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def password_problems(password: str, *, min_length: int, email: str) -> list[str]:
    """What is wrong with a new password, in words for the person choosing it (none: fine)."""
    if len(password) < min_length:
        return [f"Use at least {min_length} characters."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    folded = password.casefold()
    local_part = email.split("@", 1)[0].casefold()
    if folded in common_passwords() or folded.strip() == local_part or folded == email.casefold():
        return ["This password is too common or too easy to guess: choose another."]
    if len(set(password)) < 4:
        return ["Use more different characters."]
    return []
