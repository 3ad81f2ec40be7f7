"""Accounts and scope: who may use siks, with which role, over which wilayah.

`service` (users, passwords, login, sessions), `roles` (what each role may do), `scope` (the wilayah filter
every service applies), `masking` (NIK shown in part).
"""
