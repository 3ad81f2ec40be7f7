"""DCI interoperability: siks as a DCI Social Registry for agencies, and as a DCI CRVS client (Dukcapil).

`api` is the HTTP app mounted at `/dci`; `service` holds clients, envelopes, search, subscriptions and
notify; `query` turns DCI queries into SQLAlchemy through a whitelist; `records` maps rows to DCI records;
`trust` signs and verifies; `crvs` asks a CRVS registry about one person. See docs/dci.md.
"""
