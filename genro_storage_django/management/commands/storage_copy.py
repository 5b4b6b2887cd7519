"""``manage.py storage_copy SRC DST``: copy what differs from one mount path to another."""

from __future__ import annotations

from ..transfer_command import TransferCommand


class Command(TransferCommand):
    help = (
        "Copy a file or directory between mounts (mount:path). Files the destination "
        "already has (same size and modification time, or see --checksum/--size-only) "
        "are skipped; nothing is deleted."
    )
