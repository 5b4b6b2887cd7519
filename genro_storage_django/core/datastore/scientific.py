"""Handlers for the data libraries, each imported only when a value or file needs it:
numpy arrays, pandas and polars DataFrames, PIL images.

A value is recognised by its class's module before its library is imported, so a store
holding only JSON never imports numpy.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import IO, Any

from .handlers import DataHandler, optional_import

__all__ = ["ArrayHandler", "ArraysHandler", "DataFrameHandler", "ImageHandler"]


def _is_instance(value: object, module: str, class_path: str) -> bool:
    """``isinstance(value, module.class_path)`` if ``module`` is imported (else it cannot be)."""
    found: Any = sys.modules.get(module)
    if found is None:
        return False
    for part in class_path.split("."):
        found = getattr(found, part, None)
    return isinstance(found, type) and isinstance(value, found)


def _is_array(value: object) -> bool:
    return type(value).__module__ == "numpy" and _is_instance(value, "numpy", "ndarray")


class ArrayHandler(DataHandler):
    """A numpy ``ndarray`` → ``.npy``, dtype and shape kept; object arrays refused (they
    would need pickle), and never loaded with pickle."""

    extensions = (".npy",)

    def can_write(self, value: object) -> bool:
        return _is_array(value) and value.dtype.kind != "O"  # type: ignore[attr-defined]

    def refusal(self, value: object) -> str | None:
        return "an object array needs pickle" if _is_array(value) else None

    def write(self, value: Any, stream: IO[bytes], extension: str) -> None:
        numpy = optional_import("numpy")
        numpy.save(stream, value, allow_pickle=False)

    def read(self, stream: IO[bytes], extension: str) -> Any:
        numpy = optional_import("numpy")
        return numpy.load(stream, allow_pickle=False)


class ArraysHandler(DataHandler):
    """A ``dict`` of str → numpy arrays → ``.npz`` (uncompressed), in order."""

    extensions = (".npz",)

    def can_write(self, value: object) -> bool:
        return (
            type(value) is dict
            and bool(value)
            and all(
                type(key) is str and _is_array(item) and item.dtype.kind != "O"
                for key, item in value.items()
            )
        )

    def write(self, value: Any, stream: IO[bytes], extension: str) -> None:
        numpy = optional_import("numpy")
        numpy.savez(stream, allow_pickle=False, **value)

    def read(self, stream: IO[bytes], extension: str) -> Any:
        numpy = optional_import("numpy")
        with numpy.load(stream, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}


def _frame_library(value: object) -> str | None:
    if _is_instance(value, "pandas", "DataFrame"):
        return "pandas"
    if _is_instance(value, "polars", "DataFrame"):
        return "polars"
    return None


class DataFrameHandler(DataHandler):
    """pandas and polars DataFrames → ``.parquet`` (column dtypes and the pandas index
    kept), or ``.csv`` when the key names it.

    A ``.parquet`` file reads back as a pandas frame when pandas wrote it (its schema
    says so), else as a polars frame when polars is installed. CSV is text and reads
    back as ``str`` (see :class:`~.builtin.TextHandler`): a frame written as CSV is
    for other programs.
    """

    extensions = (".parquet", ".csv")

    def can_write(self, value: object) -> bool:
        return _frame_library(value) is not None

    def reads(self, extension: str) -> bool:
        return extension == ".parquet"

    def write(self, value: Any, stream: IO[bytes], extension: str) -> None:
        library = _frame_library(value)
        try:
            if extension == ".csv":
                if library == "pandas":
                    value.to_csv(stream, index=False)
                else:
                    value.write_csv(stream)
            elif library == "pandas":
                optional_import("pyarrow")
                value.to_parquet(stream)
            else:
                value.write_parquet(stream)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"this DataFrame has no exact {extension} form: {exc}") from exc
        except Exception as exc:
            # pyarrow's refusals (ArrowInvalid, ArrowTypeError) are not TypeErrors.
            if type(exc).__module__.startswith("pyarrow"):
                raise TypeError(f"this DataFrame has no exact {extension} form: {exc}") from exc
            raise

    def read(self, stream: IO[bytes], extension: str) -> Any:
        parquet = optional_import("pyarrow.parquet")
        table = parquet.read_table(stream)  # one pass, whichever library gets the table
        if b"pandas" in (table.schema.metadata or {}) or importlib.util.find_spec("polars") is None:
            optional_import("pandas")
            return table.to_pandas()
        polars = optional_import("polars")
        return polars.from_arrow(table)


class ImageHandler(DataHandler):
    """A PIL image → ``.png`` (lossless), or ``.jpg``/``.webp`` when the key names it.

    Read back as a plain ``PIL.Image.Image`` (the loaded image copied out of its file),
    so that it compares equal to the image that was written.
    """

    extensions = (".png", ".jpg", ".jpeg", ".webp")
    _FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}

    def can_write(self, value: object) -> bool:
        return _is_instance(value, "PIL.Image", "Image")

    def write(self, value: Any, stream: IO[bytes], extension: str) -> None:
        if value.mode in ("P", "PA") and not value.getpalette():
            # Saved, its indices would be renumbered against a palette made up for it.
            raise TypeError(f"a {value.mode} image without a palette has no exact form")
        try:
            value.save(stream, format=self._FORMATS[extension])
        except (OSError, KeyError, ValueError) as exc:
            raise TypeError(f"a {value.mode} image has no {extension} form: {exc}") from exc

    def read(self, stream: IO[bytes], extension: str) -> Any:
        image_module = optional_import("PIL.Image", "data")
        with image_module.open(stream) as image:
            image.load()
            return image.copy()
