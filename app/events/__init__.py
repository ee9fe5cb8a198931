"""The append-only event record."""
