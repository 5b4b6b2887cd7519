"""Test support for projects that extend genro-storage-django (needs pytest).

:mod:`.conformance`: the conformance suite a new backend runs.
"""
