"""A small document library: files on the ``uploads`` mount, covers on ``public``."""
