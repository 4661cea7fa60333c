"""One fixed-seed training step of every REINFORCE-family preset on the tiny GPT-2 gives the
same loss as before the trainers became one loop with the maths from tables (issue 28,
part 2): ``trainer=remax|grpo|rloo`` (and Dr. GRPO by its overrides) are presets of
:class:`drbo.trainer.PolicyGradientLoop` now, and must not have moved a number."""

import pytest

from experiments.compose import compose_config
from experiments.trainers import TRAINERS

TINY = (
    "+exp=debug",
    "rewards.names=[multilingual_sim,sent_sim]",
    "trainer.eval_before=false",
    "trainer.eval_after=false",
    "trainer.export_final=false",
    "trainer.standardize_k=8",
    "balancer.every=1",
)

# Recorded from the code BEFORE the change (commit 807670a: ReMaxLoop, GRPOLoop, RLOOLoop as
# a subclass chain), by this test's `_first_step` on CPU in fp32. The refactor must reproduce
# them exactly: the same tensors go through the same operations in the same order. Two
# updates per rollout for the group presets: with one, pi_old = pi and the loss is minus the
# mean advantage, ~0 for centred advantages; the second loss sees the first update.
BEFORE = {
    "remax": {"loss": 1.1682263612747192, "kl": 0.0, "weights": 405.41424719279166},
    "grpo": {
        "loss": -0.058052439242601395,
        "kl": 0.016014695167541504,
        "weights": 444.17950863589067,
    },
    "rloo": {
        "loss": -0.13728077709674835,
        "kl": 0.01593083143234253,
        "weights": 440.87390126581886,
    },
    "dr_grpo": {
        "loss": -0.09167004376649857,
        "kl": 0.015998482704162598,
        "weights": 441.0016357101267,
    },
}

PRESETS = {
    "remax": ("trainer=remax",),
    "grpo": ("trainer=grpo", "trainer.n_samples=3", "trainer.updates_per_rollout=2"),
    "rloo": ("trainer=rloo", "trainer.n_samples=3", "trainer.updates_per_rollout=2"),
    "dr_grpo": (
        "trainer=grpo",
        "trainer.n_samples=3",
        "trainer.scale_rewards=false",
        "trainer.loss_type=dr_grpo",
        "trainer.updates_per_rollout=2",
    ),
}


def _first_step(tmp_path, overrides) -> dict[str, float]:
    cfg = compose_config(*TINY, *overrides)
    loop = TRAINERS.get(cfg.trainer.name)(cfg, tmp_path)
    loop.prepare()
    figures = loop.train_step(1, loop.next_batch(1))
    got = {k: figures[k] for k in ("loss", "kl") if k in figures}
    # the update itself: a sum over the trained weights after the step, in float64
    got["weights"] = float(sum(p.detach().double().sum() for p in loop.policy.parameters()))
    return got


@pytest.mark.parametrize("preset", list(PRESETS))
def test_one_step_gives_the_loss_it_gave_before_the_refactor(tmp_path, preset):
    got = _first_step(tmp_path, PRESETS[preset])
    assert got == BEFORE[preset]
