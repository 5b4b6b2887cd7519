"""Round trips through the data store: every built-in type, generated values, on a local,
a memory and an S3 (moto) mount. ``store[k] = v`` then ``store[k]`` gives a value equal
to ``v`` and of the same type."""

from __future__ import annotations

import dataclasses
import datetime
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst
from PIL import Image

from genro_storage_django.core.datastore import DataStore
from tests.conftest import make_manager


@dataclasses.dataclass
class Sample:
    name: str
    counts: list[int]
    ratio: float | None


class Reading(pydantic.BaseModel):
    sensor: str
    values: list[float]
    taken: datetime.datetime


_text = st.text(max_size=20)
_finite = st.floats(allow_nan=False, allow_infinity=False)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _finite | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)
_frame_columns = st.integers(1, 6).flatmap(
    lambda rows: st.fixed_dictionaries(
        {
            "i": st.lists(st.integers(-(2**62), 2**62), min_size=rows, max_size=rows),
            "f": st.lists(st.floats(allow_nan=False), min_size=rows, max_size=rows),
            "s": st.lists(_text, min_size=rows, max_size=rows),
            "b": st.lists(st.booleans(), min_size=rows, max_size=rows),
        }
    )
)


def _image(mode: str, width: int, height: int, data: bytes) -> Image.Image:
    size = len(Image.new(mode, (width, height)).tobytes())
    image = Image.frombytes(mode, (width, height), (data * size)[:size])
    if mode == "P":
        image.putpalette((data * 768)[:768])
    return image


_dtypes = npst.boolean_dtypes() | npst.integer_dtypes() | npst.floating_dtypes()
_dtypes |= npst.complex_number_dtypes() | npst.datetime64_dtypes() | npst.byte_string_dtypes()

#: name -> (strategy of values, key extension or "")
STRATEGIES: dict[str, tuple[st.SearchStrategy[Any], str]] = {
    "json-dict": (st.dictionaries(_text, _json, max_size=5), ""),
    "json-list": (st.lists(_json, max_size=5), ""),
    "jsonl": (st.lists(st.dictionaries(_text, _json, max_size=3), min_size=1, max_size=5), ""),
    "text": (st.text(), ""),
    "markdown": (st.text(), ".md"),
    "bytes": (st.binary(), ""),
    "yaml": (st.dictionaries(_text, _json, max_size=5), ".yaml"),
    "array": (npst.arrays(_dtypes, npst.array_shapes(min_dims=0, max_dims=3)), ""),
    "arrays": (
        st.dictionaries(
            st.from_regex(r"[a-z]{1,8}", fullmatch=True),
            npst.arrays(npst.integer_dtypes() | npst.floating_dtypes(), npst.array_shapes()),
            min_size=1,
            max_size=3,
        ),
        "",
    ),
    "pandas": (_frame_columns.map(pd.DataFrame), ""),
    "polars": (_frame_columns.map(pl.DataFrame), ""),
    "image": (
        st.builds(
            _image,
            st.sampled_from(["1", "L", "P", "RGB", "RGBA", "I;16"]),
            st.integers(1, 8),
            st.integers(1, 8),
            st.binary(min_size=1, max_size=64),
        ),
        "",
    ),
    "dataclass": (st.builds(Sample, _text, st.lists(st.integers()), st.none() | _finite), ""),
    "pydantic": (
        st.builds(
            Reading,
            sensor=_text,
            values=st.lists(_finite),
            taken=st.datetimes(timezones=st.just(datetime.timezone.utc)),
        ),
        "",
    ),
    "pickled": (
        st.tuples(st.sets(st.integers()), st.datetimes(), st.decimals(allow_nan=False)),
        ".pkl",
    ),
}


def assert_same(written: Any, read: Any) -> None:
    assert type(read) is type(written)
    if isinstance(written, np.ndarray):
        assert (read.dtype, read.shape) == (written.dtype, written.shape)
        assert read.tobytes() == written.tobytes()
    elif (
        isinstance(written, dict)
        and written
        and isinstance(next(iter(written.values())), np.ndarray)
    ):
        assert list(read) == list(written)
        for name, array in written.items():
            assert_same(array, read[name])
    elif isinstance(written, pd.DataFrame):
        pd.testing.assert_frame_equal(read, written)
    elif isinstance(written, pl.DataFrame):
        assert read.schema == written.schema
        assert read.equals(written)
    else:
        assert read == written


_counter = itertools.count()
_KINDS = ["local", "memory", pytest.param("s3", marks=pytest.mark.cloud)]


@pytest.mark.parametrize("kind", _KINDS)
@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_round_trip(kind: str, name: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    strategy, extension = STRATEGIES[name]
    store = make_manager(kind, tmp_path, request).datastore("m:store", allow_pickle=True)
    examples = {"memory": 25, "local": 8, "s3": 3}[kind]

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(value=strategy)
    def round_trip(value: Any) -> None:
        key = f"{name}/{next(_counter)}{extension}"
        store[key] = value
        assert_same(value, store[key])
        assert_same(value, store[key.removesuffix(extension)] if extension else store[key])

    round_trip()


def test_each_type_has_its_format(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    store: DataStore = make_manager("memory", tmp_path, request).datastore("m:", allow_pickle=True)
    expected: dict[str, Callable[[], Any]] = {
        ".json": lambda: {"a": 1},
        ".jsonl": lambda: [{"a": 1}],
        ".txt": lambda: "x",
        ".bin": lambda: b"x",
        ".npy": lambda: np.zeros(2),
        ".npz": lambda: {"a": np.zeros(2)},
        ".parquet": lambda: pd.DataFrame({"a": [1]}),
        ".png": lambda: Image.new("L", (1, 1)),
        ".pkl": lambda: (1, 2),
    }
    for extension, value in expected.items():
        store[f"v{extension[1:]}"] = value()
        assert store.metadata(f"v{extension[1:]}").format == extension
