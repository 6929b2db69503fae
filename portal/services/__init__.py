"""Use-cases, one module per area: the only writers of the database."""
