"""Context frameworks: national plans and the GCR objectives, mapped to Annex I."""
