"""Sync between siks instances (kabupaten, provinsi, pusat): signed change sets, by file or HTTP.

See docs/sync.md.
"""
