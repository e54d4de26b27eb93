"""torch.backends.openmp: numtorch runs on one thread, without OpenMP."""


def is_available() -> bool:
    return False
