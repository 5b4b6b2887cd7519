"""Django's own storage tests run against ``MountStorage`` (``python -m tests.django_suite``).

The tests come from the Django source release of the installed version, fetched by
``scripts/_bootstrap.sh`` into ``DJANGO_TESTS_DIR``; :mod:`.adapter` puts mounts behind
the storage classes they construct, :mod:`.not_applicable` lists what cannot apply.
"""
