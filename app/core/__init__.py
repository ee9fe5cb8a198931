"""Cross-cutting pieces: database, ORM base, errors, pagination."""
