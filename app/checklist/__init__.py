"""The checklist: Annex I elements instantiated for a situation, their status and owners."""
