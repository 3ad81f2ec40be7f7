"""Sync between siks instances (kabupaten, provinsi, pusat): signed change sets by file or HTTP. docs/sync.md"""
