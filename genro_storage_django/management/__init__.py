"""Management commands of genro_storage_django."""
