"""The tests of genro-storage's suite that are expected to fail here, and why: each is a
deliberate difference of docs/migrating.md (the row named), or fails on genro-storage 0.8.4
itself. ``scripts/genro-suite`` fails when any other selected test does not pass, or when
one of these passes (then its row of docs/migrating.md is out of date).
"""

from __future__ import annotations

_BACKEND_OBJECTS = "a mount's backend object (manager._mounts), taking mount paths"
_PRIVATE = "manager._mounts / node._backend are private"
_UNSAFE_PATH = "a path that escapes its mount: UnsafePathError, not a ValueError"
_BUILT_ALONE = "backends are built by the manager"
_EQUALITY = "nodes compare and hash by mount:path"
_CHARSET = "serve() adds ; charset=utf-8 to text types"

EXPECTED_FAILURES: dict[str, str] = {
    **{
        f"tests/test_backend_permissions.py::TestRelativeBackendCompleteCoverage::{name}": (
            _BACKEND_OBJECTS
        )
        for name in [
            "test_close_method",
            "test_copy_method_direct",
            "test_get_hash",
            "test_is_file_and_is_dir",
            "test_local_path_with_write_mode",
            "test_mkdir_direct",
            "test_mtime",
            "test_write_text_direct",
        ]
    },
    "tests/test_advanced_features.py::TestCallablePaths::test_callable_path_resolves_at_runtime": (
        _PRIVATE
    ),
    "tests/test_config_builder.py::test_resolver_is_read_at_configuration_time": _PRIVATE,
    "tests/test_config_builder.py::"
    "test_relative_mount_after_parent_resolves_and_enforces_permissions": _PRIVATE,
    "tests/test_config_builder.py::test_relative_mount_before_parent_raises": (
        "the mounts of one configuration come in any order"
    ),
    "tests/test_switched_mount.py::TestSwitchedMountEdgeCases::"
    "test_security_path_escape_with_routing": _UNSAFE_PATH,
    "tests/test_local_storage.py::TestPathNormalization::test_path_parent_traversal_blocked": (
        _UNSAFE_PATH
    ),
    "tests/test_advanced_features.py::TestCallablePaths::test_static_path_validated_immediately": (
        "a local mount's directory is made on the first write"
    ),
    "tests/test_advanced_features.py::TestLocalPath::test_local_path_base64_write_raises_error": (
        "local_path('w') on a base64 node works like write()"
    ),
    "tests/test_base64.py::TestBase64Backend::test_write_bytes_updates_path": (
        "a base64 path in the URL-safe alphabet when the standard one holds a '/'"
    ),
    "tests/test_base64.py::TestBase64Backend::test_open_write_mode": "a write stream is write-only",
    "tests/test_capabilities_and_versioning.py::TestCapabilities::"
    "test_base64_backend_capabilities": "a base64 mount's capabilities say a write works",
    "tests/test_base64.py::TestBase64Backend::test_list_dir_raises_value_error": _BUILT_ALONE,
    "tests/test_attribute_snapshot.py::test_relative_mount_keeps_parent_snapshot_and_scope": (
        _BUILT_ALONE
    ),
    "tests/test_md5_and_equality.py::TestNodeEquality::test_equality_same_content": _EQUALITY,
    "tests/test_md5_and_equality.py::TestNodeEquality::test_equality_across_backends": _EQUALITY,
    "tests/test_serve.py::TestServeMethod::test_serve_basic_file": _CHARSET,
    "tests/test_serve.py::TestServeMethod::test_serve_mimetype_detection": _CHARSET,
    "tests/test_backend_permissions.py::TestPermissionMixedOperations::"
    "test_readonly_allows_open_read_mode": "a memory mount configured again is a new, empty one",
    "tests/test_local_storage.py::TestStorageManager::test_configure_with_deprecated_type_field": (
        "'type' is this project's own key: no DeprecationWarning"
    ),
    "tests/test_local_storage.py::TestDirectoryOperations::test_delete_directory": (
        "delete() of a non-empty directory needs recursive=True"
    ),
    "tests/test_config_builder.py::test_protocol_comes_from_node_tag": (
        "fails on genro-storage 0.8.4 itself"
    ),
}
#: Skipped on genro-storage 0.8.4 itself too.
EXPECTED_SKIPS = frozenset(
    {"tests/test_relative_mounts.py::test_relative_mount_invalid_path_format"}
)
