"""Situations: a large movement of refugees in one host country, and its members."""
