"""The registry service layer: import, export, template files, and scoped lookups (search, household view)."""
