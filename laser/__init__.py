"""LASeR: Learning to Adaptively Select Rewards (Nguyen et al. 2024).

Each optimizer step a multi-armed bandit picks ONE reward model (an arm) for the batch, from
a context vector (the batch's mean prompt embedding, shape (d,)); after the step it learns
from the MAB reward, the batch's negative training loss scaled to [0, 1] by
:class:`common.mab_reward.MABRewardScaler`.

- :mod:`laser.bandits`: ``linucb`` (contextual), ``exp3`` (adversarial), ``random``
  (uniform baseline), registered with :func:`common.mixing.build_mixer`.
- the quantile-scaled MAB reward lives in :mod:`common.mab_reward` (DRBO runs with a bandit use it too).

The other LASeR baselines already exist as DRBO mixers: ``single`` (one fixed reward model),
``sequential`` (fixed order) and ``average`` (uniform weights, the offline ensemble).
"""
