"""The public cek-status service (no login): masked status in the latest penetapan, usul and sanggah.

Privacy by design (docs/sources.md §2.7): search needs a desa and a name of at least three letters,
results are capped and masked, nothing lists a desa's recipients, and every request counts against a
per-IP limit stored in the database.
"""
