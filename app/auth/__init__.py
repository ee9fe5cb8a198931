"""Who may do what: tokens, the permission vocabulary, the role table, object policies."""
