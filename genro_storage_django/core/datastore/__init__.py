"""A dict-like data store on any mount: ``store["report"] = frame`` and back, equal and of
the same type.

``manager.datastore("mount:prefix")`` builds a :class:`DataStore`; formats come from
:class:`DataHandler` subclasses (built-in ones for JSON, text, bytes, YAML, dataclasses and
pydantic models, numpy, pandas, polars, PIL; pickle only on request), and
:func:`register_handler` adds one for every store.
"""

from __future__ import annotations

from .builtin import (
    BytesHandler,
    JsonHandler,
    JsonLinesHandler,
    PickleHandler,
    RecordHandler,
    TextHandler,
    YamlHandler,
)
from .handlers import (
    DataHandler,
    MissingLibraryError,
    UnsafeFormatError,
    register_all,
    register_handler,
)
from .scientific import ArrayHandler, ArraysHandler, DataFrameHandler, ImageHandler
from .store import AmbiguousKeyError, DataInfo, DataStore

__all__ = [
    "AmbiguousKeyError",
    "DataHandler",
    "DataInfo",
    "DataStore",
    "MissingLibraryError",
    "UnsafeFormatError",
    "register_handler",
]

# Registered from the most general to the most specific: on equal priority the later
# one wins, so a list of dicts goes to JSON lines, not JSON, and a record's .json to
# the record handler.
register_all(
    [
        PickleHandler(),
        BytesHandler(),
        TextHandler(),
        JsonHandler(),
        YamlHandler(),
        JsonLinesHandler(),
        RecordHandler(),
        ArrayHandler(),
        ArraysHandler(),
        DataFrameHandler(),
        ImageHandler(),
    ]
)
