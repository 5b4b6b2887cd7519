"""The handlers for Python's own values: JSON, JSON lines, text, bytes, YAML, classes
recorded in JSON, and pickle (only on stores that allow it).

Each takes exactly the values it gives back unchanged — ``type(value) is dict``, not
any mapping; a tuple inside a list is refused, not turned into a list.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import pickle
import sys
from typing import IO, Any, cast

from .handlers import DataHandler, optional_import

__all__ = [
    "BytesHandler",
    "JsonHandler",
    "JsonLinesHandler",
    "PickleHandler",
    "RecordHandler",
    "TextHandler",
    "YamlHandler",
    "json_problem",
]

_SCALARS = (type(None), bool, int, str)
#: A JSON object with exactly these keys is how a class instance is recorded, so a
#: plain dict of that shape is refused rather than read back as an instance.
CLASS_KEY, DATA_KEY = "$class", "$data"


def json_problem(value: object, where: str = "the value") -> str | None:
    """Why ``value`` would not come back from JSON equal and of the same type, or None."""
    kind = type(value)
    if kind in _SCALARS:
        return None
    if kind is float:
        return None if math.isfinite(cast("float", value)) else f"{where} is {value!r}"
    if kind is list:
        for index, item in enumerate(cast("list[object]", value)):
            problem = json_problem(item, f"{where}[{index}]")
            if problem:
                return problem
        return None
    if kind is dict:
        mapping = cast("dict[object, object]", value)
        if set(mapping) == {CLASS_KEY, DATA_KEY}:
            return f"{where} has the keys a recorded class uses ({CLASS_KEY!r}, {DATA_KEY!r})"
        for key, item in mapping.items():
            if type(key) is not str:
                return f"{where} has a key of type {type(key).__name__}: {key!r}"
            problem = json_problem(item, f"{where}[{key!r}]")
            if problem:
                return problem
        return None
    return f"{where} is a {kind.__name__}"


def _dump_json(value: object, stream: IO[bytes]) -> None:
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:  # e.g. an int beyond the interpreter's digit limit
        raise TypeError(str(exc)) from exc
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates have no UTF-8 form; as JSON's \u escapes they come back as they were.
        data = json.dumps(value, allow_nan=False).encode("ascii")
    stream.write(data)


class JsonHandler(DataHandler):
    """``dict`` and ``list`` of JSON's types (str keys, finite floats) → ``.json``."""

    extensions = (".json",)

    def can_write(self, value: object) -> bool:
        return type(value) in (dict, list) and json_problem(value) is None

    def refusal(self, value: object) -> str | None:
        return json_problem(value) if type(value) in (dict, list) else None

    def write(self, value: Any, stream: IO[bytes], extension: str) -> None:
        _dump_json(value, stream)

    def read(self, stream: IO[bytes], extension: str) -> Any:
        return RecordHandler.from_record(json.load(stream))


class JsonLinesHandler(DataHandler):
    """A non-empty ``list`` of JSON objects → ``.jsonl``, one object per line (streamed)."""

    extensions = (".jsonl",)

    def can_write(self, value: object) -> bool:
        return (
            type(value) is list
            and bool(value)
            and all(type(item) is dict for item in value)
            and json_problem(value) is None
        )

    def write(self, value: Any, stream: IO[bytes], extension: str) -> None:
        for item in value:
            _dump_json(item, stream)
            stream.write(b"\n")

    def read(self, stream: IO[bytes], extension: str) -> Any:
        return [json.loads(line) for line in stream if line.strip()]


class TextHandler(DataHandler):
    """``str`` → ``.txt`` (``.md``, ``.html``, ``.csv`` when the key names them), UTF-8,
    line endings kept as they are."""

    extensions = (".txt", ".md", ".html", ".csv")

    def can_write(self, value: object) -> bool:
        return type(value) is str

    def write(self, value: Any, stream: IO[bytes], extension: str) -> None:
        try:
            data = value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise TypeError(f"the text has no UTF-8 form: {exc.reason}") from exc
        stream.write(data)

    def read(self, stream: IO[bytes], extension: str) -> Any:
        return stream.read().decode("utf-8")


class BytesHandler(DataHandler):
    """``bytes`` → ``.bin``, as they are."""

    extensions = (".bin",)

    def can_write(self, value: object) -> bool:
        return type(value) is bytes

    def write(self, value: Any, stream: IO[bytes], extension: str) -> None:
        stream.write(value)

    def read(self, stream: IO[bytes], extension: str) -> Any:
        return stream.read()


class YamlHandler(DataHandler):
    """JSON's values → ``.yaml``/``.yml``, when the key names it; read with the safe loader."""

    extensions = (".yaml", ".yml")
    by_default = False

    def can_write(self, value: object) -> bool:
        return json_problem(value) is None

    def refusal(self, value: object) -> str | None:
        return json_problem(value)

    def write(self, value: Any, stream: IO[bytes], extension: str) -> None:
        yaml = optional_import("yaml", "yaml")
        text = yaml.safe_dump(value, allow_unicode=True, sort_keys=False)
        if yaml.safe_load(text) != value:
            # Some characters (NEL, line and paragraph separators) are line breaks to
            # YAML when written as they are; escaped, every string comes back.
            text = yaml.safe_dump(value, allow_unicode=False, sort_keys=False)
        stream.write(text.encode("utf-8"))

    def read(self, stream: IO[bytes], extension: str) -> Any:
        yaml = optional_import("yaml", "yaml")
        return yaml.safe_load(io.TextIOWrapper(stream, encoding="utf-8"))


def _record_class(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _recorded_class(name: object) -> type:
    """The class a record names, from the modules already imported: reading a file never
    imports a module (an import runs code the file would choose)."""
    if not isinstance(name, str) or ":" not in name:
        raise TypeError(f"not a recorded class: {name!r}")
    module_name, qualname = name.split(":", 1)
    found: Any = sys.modules.get(module_name)
    if found is None:
        raise TypeError(
            f"the file records an instance of {name}: import {module_name} before reading it"
        )
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if not isinstance(found, type) or not _is_record_class(found):
        raise TypeError(f"{name} is not a dataclass or pydantic model")
    return found


def _is_record_class(cls: type) -> bool:
    if dataclasses.is_dataclass(cls):
        return True
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and issubclass(cls, pydantic.BaseModel)


class RecordHandler(DataHandler):
    """Dataclass instances and pydantic models → ``.json`` recording their class.

    The file is ``{"$class": "module:Class", "$data": {...}}``. On reading the class is
    looked up among the modules already imported, never imported. A value that would
    not come back equal (a field JSON cannot hold) is refused when written.
    """

    extensions = (".json",)

    def can_write(self, value: object) -> bool:
        return not isinstance(value, type) and _is_record_class(type(value))

    def write(self, value: Any, stream: IO[bytes], extension: str) -> None:
        record = {CLASS_KEY: _record_class(type(value)), DATA_KEY: self._data(value)}
        back = self._build(type(value), json.loads(json.dumps(record[DATA_KEY])))
        if back != value:
            raise TypeError(f"a {type(value).__name__} does not come back equal from JSON")
        _dump_json(record, stream)

    def reads(self, extension: str) -> bool:
        return False  # a .json file is read by JsonHandler, which hands records over here

    def read(self, stream: IO[bytes], extension: str) -> Any:
        return self.from_record(json.load(stream))

    @staticmethod
    def _data(value: Any) -> Any:
        if dataclasses.is_dataclass(value):
            fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            problem = json_problem(fields, type(value).__name__)
            if problem:
                raise TypeError(problem)
            return fields
        return json.loads(value.model_dump_json())

    @staticmethod
    def _build(model: type, data: Any) -> Any:
        if dataclasses.is_dataclass(model):
            init = {f.name for f in dataclasses.fields(model) if f.init}
            if set(data) != init:
                raise TypeError(f"{model.__name__} has fields its constructor does not take")
            return model(**data)
        return model.model_validate(data)  # type: ignore[attr-defined]

    @classmethod
    def from_record(cls, document: Any) -> Any:
        if type(document) is dict and set(document) == {CLASS_KEY, DATA_KEY}:
            return cls._build(_recorded_class(document[CLASS_KEY]), document[DATA_KEY])
        return document


class PickleHandler(DataHandler):
    """Any picklable value → ``.pkl``, only on stores opened with ``allow_pickle=True``:
    unpickling a crafted file runs code of its choosing."""

    extensions = (".pkl",)
    runs_code = True

    def can_write(self, value: object) -> bool:
        return True

    def write(self, value: Any, stream: IO[bytes], extension: str) -> None:
        try:
            pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, AttributeError) as exc:
            raise TypeError(f"cannot pickle {type(value).__name__}: {exc}") from exc

    def read(self, stream: IO[bytes], extension: str) -> Any:
        return pickle.load(stream)  # only on stores opened with allow_pickle=True
