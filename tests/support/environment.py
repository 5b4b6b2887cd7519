"""Environment the tests need before any library reads it.

Loaded as the first pytest plugin (``-p tests.support.environment`` in the ``addopts`` of
pyproject.toml): pytest-django imports the settings module, and with it possibly gcsfs and
google-auth, before any conftest.py runs, and those libraries read these variables on import.
Keep this module free of imports beyond the standard library.
"""

from __future__ import annotations

import os

# gcsfs >= 2025: without this, each bucket operation first tries a gRPC "hierarchical
# namespace" call that retries for about 60 s against the GCS emulator.
os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"
# google-auth: never probe the GCE metadata server (a network timeout off GCE).
os.environ["NO_GCE_CHECK"] = "true"
