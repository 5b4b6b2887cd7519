"""Django storage tests that do not apply to mounts, each with the reason.

Keys are unittest test ids (``module.Class.test``); the runner skips them and fails
when one of them no longer exists, so the list cannot go stale.
"""

from __future__ import annotations

import django

# Every FileSystemStorage test runs in these classes (subclasses of FileStorageTests);
# Django 6.0 removed the OS_OPEN_FLAGS one with the deprecated setting.
_FILE_STORAGE_CLASSES = [
    "FileStorageTests",
    "CustomStorageTests",
    "DiscardingFalseContentStorageTests",
    "OverwritingStorageTests",
    *(["OverwritingStorageOSOpenFlagsTests"] if django.VERSION < (6, 0) else []),
]

_FILE_STORAGE_TESTS = {
    "test_delete_deletes_directories": (
        "deletes a directory by its absolute disk path; mount names are relative to the "
        "mount root and an absolute path is refused (SuspiciousFileOperation)"
    ),
    "test_file_url": (
        "expects url('ab\\0c') to quote the NUL byte; names with control characters are "
        "refused everywhere (SuspiciousFileOperation), url() included (the other URLs match)"
    ),
    "test_makedirs_race_handling": (
        "replaces os.makedirs to simulate races; local mounts make directories one "
        "os.mkdir at a time (no recursion on deep trees), so the fake is never called "
        "(FileSystemStorage internals; a directory made meanwhile is accepted all the same)"
    ),
    "test_remove_race_handling": (
        "replaces os.remove to simulate races; the local mount deletes with os.unlink, "
        "so the fake is never called (FileSystemStorage internals)"
    ),
}

_GENERATE_FILENAME = "file_storage.test_generate_filename.GenerateFilenameStorageTests"
_MEMORY_IO = "file_storage.test_inmemory_storage.MemoryStorageIOTests"
_MEMORY_TIMES = "file_storage.test_inmemory_storage.MemoryStorageTimesTests"

NOT_APPLICABLE: dict[str, str] = {
    **{
        f"file_storage.tests.{cls}.{test}": reason
        for cls in _FILE_STORAGE_CLASSES
        for test, reason in _FILE_STORAGE_TESTS.items()
    },
    f"{_GENERATE_FILENAME}.test_storage_dangerous_paths": (
        "the same names are refused with SuspiciousFileOperation, with the path rules' "
        "own message rather than FileSystemStorage's wording"
    ),
    f"{_GENERATE_FILENAME}.test_storage_dangerous_paths_dir_name": (
        "the same names are refused with SuspiciousFileOperation, with the path rules' "
        "own message rather than FileSystemStorage's wording"
    ),
    f"{_MEMORY_IO}.test_delete": (
        "InMemoryStorage.delete removes whole directory trees; MountStorage.delete, like "
        "FileSystemStorage, removes a file or an empty directory only"
    ),
    f"{_MEMORY_IO}.test_file_node_cannot_have_children": (
        "inspects InMemoryStorage's node tree (FileExistsError when listing below a file); "
        "a memory mount is fsspec's MemoryFileSystem, which reports a missing directory"
    ),
    f"{_MEMORY_IO}.test_url": (
        "memory mounts have no base_url: their files are served through the file views"
    ),
    f"{_MEMORY_IO}.test_url_with_none_filename": (
        "memory mounts have no base_url: their files are served through the file views"
    ),
    f"{_MEMORY_TIMES}.test_directory_times_changing_after_file_creation": (
        "directories of fsspec's MemoryFileSystem have no times"
    ),
    f"{_MEMORY_TIMES}.test_directory_times_changing_after_file_deletion": (
        "directories of fsspec's MemoryFileSystem have no times"
    ),
    f"{_MEMORY_TIMES}.test_file_accessed_time": (
        "memory mounts record no access time (get_accessed_time raises NotImplementedError)"
    ),
}
