"""torch.backends.cuda: the matmul flags scripts set (`cuda.matmul.allow_tf32 = True`), recorded only."""


class _MatmulFlags:
    """Mutable flags, like torch's `torch.backends.cuda.matmul` object."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built() -> bool:
    return False
