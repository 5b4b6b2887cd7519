"""``manage.py storage_sync SRC DST``: make DST match SRC, deleting extras with --delete."""

from __future__ import annotations

from ..transfer_command import TransferCommand


class Command(TransferCommand):
    help = (
        "Make a destination directory match a source one (mount:path): copy what differs, "
        "then, with --delete, remove destination files the source does not have."
    )
    deletes = True
