"""Template tags of genro_storage_django: {% load genro_storage %}."""
