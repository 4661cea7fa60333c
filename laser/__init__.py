"""LASeR: Learning to Adaptively Select Rewards (Nguyen et al. 2024).

Each optimizer step a multi-armed bandit picks ONE reward model (an arm) for the batch (or
for each prompt, ``balancer.granularity=query``), from a context vector (the mean prompt
embedding, shape (d,)); after the step it learns from the MAB reward, the negative training
loss scaled to [0, 1] by :class:`common.mixers.mab_reward.MABRewardScaler`.

The bandits (``linucb``, ``exp3``, ``random``) and the baselines (``single``, ``sequential``,
``ensemble``) are mixers of :mod:`common.mixers`, shared with DRBO; this package holds the
preference-training recipe (pairs, losses, the trainer), best-of-n and the analyses.
"""
