"""Errors every service raises. Each carries an HTTP status so pages and the API answer the same way.

Messages are Indonesian: they are shown to the user as they are. Any area may subclass `ServiceError`.
"""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "galat"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    """Missing OR outside the user's wilayah: both say the same, so ids of other areas do not leak."""

    status = 404
    code = "tidak_ditemukan"

    def __init__(self, message: str = "Data tidak ditemukan atau di luar wilayah Anda."):
        super().__init__(message)


class Forbidden(ServiceError):
    """In scope, but the role may not do this (e.g. an auditor trying to change data)."""

    status = 403
    code = "tidak_berwenang"

    def __init__(self, message: str = "Peran Anda tidak berwenang melakukan tindakan ini."):
        super().__init__(message)


class Conflict(ServiceError):
    """Someone else changed the record since it was read (optimistic locking)."""

    status = 409
    code = "konflik"

    def __init__(
        self, message: str = "Data telah diubah oleh pengguna lain. Muat ulang halaman lalu coba lagi."
    ):
        super().__init__(message)


class Invalid(ServiceError):
    """Input the user can fix; the message says how."""

    status = 422
    code = "tidak_valid"


class TooManyAttempts(ServiceError):
    status = 429
    code = "terlalu_banyak_percobaan"

    def __init__(self, message: str = "Terlalu banyak percobaan masuk. Coba lagi dalam 15 menit."):
        super().__init__(message)


class AuthenticationFailed(ServiceError):
    status = 401
    code = "gagal_masuk"

    def __init__(self, message: str = "Nama pengguna atau kata sandi salah."):
        super().__init__(message)
