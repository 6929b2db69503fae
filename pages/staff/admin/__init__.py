"""Admin pages under /staff/admin (the middleware lets admins only: staff get the 404 page)."""
