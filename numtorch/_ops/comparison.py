"""comparison ops (being written)."""
__all__ = []
