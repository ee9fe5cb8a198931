"""Partner updates: submit, review, list, retry safely, in bulk."""
