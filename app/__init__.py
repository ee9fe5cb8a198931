"""CRRF Case Manager: Annex I of the New York Declaration as a living checklist."""
