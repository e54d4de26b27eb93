"""torch.backends.mkl: numtorch does not call MKL directly (NumPy's BLAS is whatever it was built with)."""


def is_available() -> bool:
    return False
