"""torch.backends.cpu."""


def get_cpu_capability() -> str:
    """numtorch's kernels are NumPy's; it reports the baseline capability."""
    return "DEFAULT"
