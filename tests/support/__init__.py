"""What the tests share: the emulator and server fixtures, cloud mount configurations,
the docs' examples, signature checks and test-only mounts."""
