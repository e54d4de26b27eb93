"""Random sampling, Generator and seeding (being written)."""
__all__ = []
