"""Route modules, one per area: each defines `router` (optionally `NAV`); listed in `app.ROUTERS`."""
