"""Users, their organisation, and their API tokens."""
