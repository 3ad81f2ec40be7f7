"""Accounts: who may use siks, with which role, over which wilayah (`service`: users, passwords, login,
sessions).

The roles and levels are in `siks.domain.roles`, NIK masking in `siks.domain.masking`, the wilayah filter
every service applies in `siks.scope`; they sit outside this package because the audit trail needs them and
this package writes to the audit trail.
"""
