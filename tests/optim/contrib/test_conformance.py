"""Every contrib optimizer passes numtorch.optim.testing.check_optimizer, its trajectory checked against our NumPy
transcription of its paper where that works per param or over all params at once.

Skipped by design: Prodigy's distance estimate d and SAM's perturbation
radius are shared by all params, so their groups are not separate optimizers
(and Prodigy refuses groups whose lr differ other than by being 0).
"""
import pytest

import numtorch
from numtorch.optim import contrib
from tests.optim.contrib.test_adabelief import adabelief_ref
from tests.optim.contrib.test_ademamix import ademamix_ref
from tests.optim.contrib.test_adan import adan_ref
from tests.optim.contrib.test_adopt import adopt_ref
from tests.optim.contrib.test_lamb import lamb_ref
from tests.optim.contrib.test_lars import lars_ref
from tests.optim.contrib.test_lion import lion_ref
from tests.optim.contrib.test_prodigy import prodigy_ref
from tests.optim.contrib.test_schedulefree import adamw_ref, schedule_free_ref
from tests.optim.contrib.test_soap import soap_ref

check_optimizer = pytest.importorskip("numtorch.optim.testing").check_optimizer

SHARED = {"param_groups": "one quantity (Prodigy's d, SAM's radius) couples every param of every group",
          "add_param_group": "one quantity (Prodigy's d, SAM's radius) couples every param of every group"}


def per_param(ref, **options):
    """A check_optimizer reference (all params at once) from a per-param NumPy reference."""
    def step(params, grads, state):
        return [p if g is None else ref(p, g, state.setdefault(i, {}), **options)
                for i, (p, g) in enumerate(zip(params, grads))]
    return step


def whole(ref, **options):
    return lambda params, grads, state: ref(list(params), grads, state, **options)


CASES = {
    "Lion": (contrib.Lion, dict(lr=0.01), per_param(lion_ref, lr=0.01), {}),
    "Lamb": (contrib.Lamb, dict(lr=0.01), per_param(lamb_ref, lr=0.01), {}),
    "LARS": (contrib.LARS, dict(lr=0.5, trust_coefficient=0.02), per_param(lars_ref, lr=0.5, trust_coefficient=0.02),
             {}),
    "Adan": (contrib.Adan, dict(lr=0.01), per_param(adan_ref, lr=0.01), {}),
    "AdaBelief": (contrib.AdaBelief, dict(lr=0.01), per_param(adabelief_ref, lr=0.01), {}),
    "ADOPT": (contrib.ADOPT, dict(lr=0.01), per_param(adopt_ref, lr=0.01), {}),
    "AdEMAMix": (contrib.AdEMAMix, dict(lr=0.01), per_param(ademamix_ref, lr=0.01), {}),
    "Prodigy": (contrib.Prodigy, dict(lr=1.0), whole(prodigy_ref), SHARED),
    "ScheduleFreeAdamW": (contrib.ScheduleFreeAdamW, dict(lr=0.01), whole(adamw_ref, lr=0.01), {}),
    "ScheduleFreeSGD": (contrib.ScheduleFreeSGD, dict(lr=0.1), whole(schedule_free_ref, lr=0.1), {}),
    "SophiaH": (contrib.SophiaH, dict(lr=0.01), None, {}),
    "SOAP": (contrib.SOAP, dict(lr=0.01), per_param(soap_ref, lr=0.01), {}),
    "Lookahead": (lambda ps, **kw: contrib.Lookahead(numtorch.optim.Adam(ps, **kw), k=3), dict(lr=0.01), None, {}),
    "SAM": (lambda ps, **kw: contrib.SAM(ps, numtorch.optim.SGD, **kw), dict(lr=0.1), None, SHARED),
}


@pytest.mark.parametrize("name", CASES)
def test_check_optimizer(name):
    factory, options, reference, skip = CASES[name]
    report = check_optimizer(factory, reference, skip=skip, create_graph=name == "SophiaH", rtol=1e-10, atol=1e-12,
                             **options)
    report.raise_if_failed()
    assert report["reference"].passed or reference is None
