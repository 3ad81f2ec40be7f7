"""Pure domain rules and types: NIK, KK, wilayah, instruments, the import template.

Nothing here may import the store, the web, the engines or their libraries (tests/test_layers.py).
"""
