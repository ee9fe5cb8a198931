"""Pledges: promises by organisations, linked to the elements they serve."""
