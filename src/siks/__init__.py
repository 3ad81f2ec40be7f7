"""siks — Sistem Informasi Kesejahteraan Sosial: the DTKS social-welfare registry."""

__version__ = "0.1.0"
