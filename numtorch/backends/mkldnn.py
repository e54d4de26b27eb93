"""torch.backends.mkldnn: the flag is recorded; numtorch does not use oneDNN."""
enabled = True
deterministic = False


def is_available() -> bool:
    return False
