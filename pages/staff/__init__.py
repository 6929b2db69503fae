"""Pages for billing staff and practice admins."""
