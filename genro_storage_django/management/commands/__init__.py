"""storage_copy, storage_sync, storage_ls."""
