"""Names that are legal in a mount but special to fsspec, URLs or shells, on every mount kind.

fsspec expands glob characters (``*?[``) in the paths given to ``rm``, ``copy`` and ``mv``,
so a backend must never hand it a user's name through those calls: deleting ``x[1]`` would
delete ``x1``. Object stores also meet ``%``, ``#``, ``?`` and spaces in URLs.
"""

from __future__ import annotations

import pytest

from genro_storage_django.core import StorageNode

NAMES = ["x[1].txt", "star*.txt", "what?.txt", "per%20cent.txt", "hash#tag.txt", "sp ace.txt"]


def test_special_names_round_trip(writable_root: StorageNode) -> None:
    decoys = ["x1.txt", "stars.txt", "whatX.txt", "per cent.txt"]
    for name in [*NAMES, *decoys]:
        (writable_root / "d" / name).write_bytes(name.encode())
    for name in NAMES:
        node = writable_root / "d" / name
        assert node.exists()
        assert node.read_bytes() == name.encode()
        assert node.size() == len(name.encode())
        with node.open("rb") as stream:
            assert stream.read() == name.encode()
    listed = sorted(c.basename for c in (writable_root / "d").children())
    assert listed == sorted([*NAMES, *decoys])
    assert [n.basename for n in (writable_root / "d").glob("x[[]1].txt")] == ["x[1].txt"]


def test_special_names_copy_move_delete(writable_root: StorageNode) -> None:
    folder = writable_root / "d"
    (folder / "x1.txt").write_bytes(b"decoy")
    (folder / "x[1].txt").write_bytes(b"real")
    (folder / "x[1].txt").copy_to(writable_root / "copied" / "x[1].txt")
    assert (writable_root / "copied" / "x[1].txt").read_bytes() == b"real"
    (folder / "x[1].txt").move_to(writable_root / "moved" / "y[2].txt")
    assert (writable_root / "moved" / "y[2].txt").read_bytes() == b"real"
    assert not (folder / "x[1].txt").exists()
    assert (folder / "x1.txt").read_bytes() == b"decoy"
    assert (writable_root / "copied" / "x[1].txt").delete() is True
    assert (folder / "x1.txt").read_bytes() == b"decoy"


@pytest.mark.parametrize("directory", ["t[1]", "t*", "t?1"])
def test_recursive_delete_of_a_special_directory(
    writable_root: StorageNode, directory: str
) -> None:
    decoys = ("t1", "tX", "tX1")  # what each name matches when read as a glob
    for name in (*decoys, directory):
        (writable_root / name / "inner" / "f.txt").write_bytes(name.encode())
    assert (writable_root / directory).delete(recursive=True) is True
    assert not (writable_root / directory).exists()
    for name in decoys:
        assert (writable_root / name / "inner" / "f.txt").read_bytes() == name.encode()


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        ("x[[]1].txt", "x[1].txt", "x1.txt"),  # "[[]" is a literal "["
        ("[!a]b", "cb", "ab"),
        ("[^a]", "^", "b"),  # "^" first is a member, as in fnmatch (negation is "!")
        ("[]]", "]", "a"),  # "]" first is a member
        ("[!]]", "a", "]"),
        ("[a-c]x", "bx", "dx"),
        ("[&~|]", "~", "a"),
    ],
)
def test_glob_sets_are_read_as_fnmatch_does(pattern: str, matching: str, not_matching: str) -> None:
    import warnings

    from genro_storage_django.core.globbing import compile_glob

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "possible nested set" FutureWarning either
        match = compile_glob(pattern)
    assert match(matching)
    assert not match(not_matching)
