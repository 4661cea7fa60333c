"""LASeR's bandits. Importing this package registers each one with ``build_mixer``.

``linucb`` (LinUCB, disjoint linear model over the context), ``exp3`` (Exp3, context-free,
adversarial), ``random`` (uniform random arm, the baseline). Each returns a one-hot
:class:`~common.mixing.MixDecision` on the arm it picked.
"""

from laser.bandits import exp3, linucb, random_arm  # noqa: F401 - imported to register
from laser.bandits.exp3 import Exp3
from laser.bandits.linucb import LinUCB
from laser.bandits.random_arm import RandomArm

__all__ = ["Exp3", "LinUCB", "RandomArm"]
