"""Errors every service raises. Each carries an HTTP status so pages and the API answer the same way.

Messages are Indonesian: they are shown to the user as they are. Any area may subclass `ServiceError`.
"""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "galat"
    default_message: str | None = None  # a subclass with a standard message needs no argument

    def __init__(self, message: str | None = None):
        message = message or self.default_message
        if message is None:
            raise TypeError(f"{type(self).__name__} needs a message")
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    """Missing OR outside the user's wilayah: both say the same, so ids of other areas do not leak."""

    status = 404
    code = "tidak_ditemukan"
    default_message = "Data tidak ditemukan atau di luar wilayah Anda."


class Forbidden(ServiceError):
    """In scope, but the role may not do this (e.g. an auditor trying to change data)."""

    status = 403
    code = "tidak_berwenang"
    default_message = "Peran Anda tidak berwenang melakukan tindakan ini."


class Conflict(ServiceError):
    """Someone else changed the record since it was read (optimistic locking)."""

    status = 409
    code = "konflik"
    default_message = "Data telah diubah oleh pengguna lain. Muat ulang halaman lalu coba lagi."


class Invalid(ServiceError):
    """Input the user can fix; the message says how."""

    status = 422
    code = "tidak_valid"


class TooManyAttempts(ServiceError):
    status = 429
    code = "terlalu_banyak_percobaan"
    default_message = "Terlalu banyak percobaan masuk. Coba lagi dalam 15 menit."


class AuthenticationFailed(ServiceError):
    status = 401
    code = "gagal_masuk"
    default_message = "Nama pengguna atau kata sandi salah."
