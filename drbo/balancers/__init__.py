"""DRBO's reward balancers. Importing this package registers each one with ``build_mixer``.

Dynamic (Algorithm 1): ``average``, ``inverse``, ``delta`` (shared base :class:`DynamicBalancer`).
Baselines: ``static`` (ALaRM-style preset), ``sequential``, ``single``, ``simple_inverse``.
"""

from drbo.balancers import (  # noqa: F401 - imported to register
    average,
    delta,
    inverse,
    sequential,
    simple_inverse,
    single,
    static,
)
from drbo.balancers.average import AverageBalancer
from drbo.balancers.delta import DeltaBalancer
from drbo.balancers.dynamic import DynamicBalancer
from drbo.balancers.inverse import InverseBalancer
from drbo.balancers.sequential import SequentialBalancer
from drbo.balancers.simple_inverse import SimpleInverseBalancer
from drbo.balancers.single import SingleMetricBalancer
from drbo.balancers.static import StaticBalancer

__all__ = [
    "AverageBalancer",
    "DeltaBalancer",
    "DynamicBalancer",
    "InverseBalancer",
    "SequentialBalancer",
    "SimpleInverseBalancer",
    "SingleMetricBalancer",
    "StaticBalancer",
]
