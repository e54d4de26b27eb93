"""rounding ops (being written)."""
__all__ = []
