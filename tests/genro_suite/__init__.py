"""genro-storage 0.8.4's own tests run against this project (issue 14): ``scripts/genro-suite``.

The tests come from genro-storage's sdist, fetched by ``scripts/_bootstrap.sh`` into
``GENRO_TESTS_DIR``. Two pytest plugins, loaded by name (this folder is put on ``PYTHONPATH``,
not imported as ``tests.genro_suite``: genro-storage's tests are a package named ``tests`` too):

- :mod:`genro_alias` makes ``import genro_storage...`` import the matching module of
  ``genro_storage_django.core`` (module paths only, no behaviour);
- :mod:`genro_selection` keeps the tests that need only local, memory, base64 and relative
  mounts, and writes each test's outcome where ``GENRO_SUITE_OUTCOMES`` says, so that the same
  selection run on genro-storage itself can be compared test by test.
"""
