"""Fixtures for tests that talk to the PAI emulator (filled by the emulator work)."""
