"""HalfCauchy lives with HalfNormal (half_normal.py); this module keeps torch's import path."""
from .half_normal import HalfCauchy

__all__ = ["HalfCauchy"]
