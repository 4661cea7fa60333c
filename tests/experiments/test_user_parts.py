"""A user's own reward, mixer, dataset loader and loop, named by dotted path (``pkg.module:Name``)
from a package outside the project: validated, then run, with no file of the project edited."""

from __future__ import annotations

import sys
import textwrap

import pytest

from common.mixers import MIXERS
from common.rewards import SCORERS
from common.rundir.tracking import read_metrics
from experiments.compose import compose_config
from experiments.run import run
from experiments.validate import ConfigError, validate_config

PKG = "user_parts"
FILES = {
    "__init__.py": "",
    "rewards.py": '''
        import numpy as np

        from common.rewards.base import RewardOutput, Scorer


        class Brevity(Scorer):
            """1 / (1 + words / 4): shorter answers score higher; needs no gold."""

            def score(self, prompts, outputs, golds):
                s = np.array([1.0 / (1.0 + len(o.split()) / 4) for o in outputs])
                return RewardOutput(self.name, s, np.zeros(len(outputs), dtype=bool))
        ''',
    "mixers.py": '''
        import numpy as np

        from common.mixers.base import MixDecision, RewardMixer


        class LastHeavy(RewardMixer):
            """The last source gets ``share`` of the weight, the others split the rest."""

            def __init__(self, names, share=0.5):
                super().__init__(names)
                if not 0 < share < 1:
                    raise ValueError(f"share={share} must be in (0, 1)")
                self.share = share

            def decide(self, step, context=None):
                w = np.full(self.n, (1 - self.share) / (self.n - 1))
                w[-1] = self.share
                return MixDecision(w)
        ''',
    "data.py": '''
        from common.data.types import Example


        def load_lines(path, metric="brevity"):
            """One prompt a line, no gold."""
            lines = [s.strip() for s in path.read_text().splitlines()]
            return [Example(s, None, metric, task_type="generation") for s in lines if s]
        ''',
    "loop.py": """
        from drbo.trainer import PolicyGradientLoop


        class MyReMax(PolicyGradientLoop):
            method = "my_remax"
        """,
}
BREVITY = f"{PKG}.rewards:Brevity"


@pytest.fixture
def user_package(tmp_path, monkeypatch):
    """The package ``user_parts`` written under tmp_path and put on sys.path; a prompts file."""
    root = tmp_path / "site"
    (root / PKG).mkdir(parents=True)
    for name, text in FILES.items():
        (root / PKG / name).write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(root))
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("\n".join(f"Describe item number {i}." for i in range(30)))
    yield prompts
    for module in [m for m in sys.modules if m == PKG or m.startswith(f"{PKG}.")]:
        del sys.modules[module]


def _user_config(prompts, *extra: str):
    """debug with every part replaced by the user's: two rewards (a built-in and the user's),
    the user's mixer over them (its own option ``share``), loader and loop."""
    return compose_config(
        "+exp=debug",
        "rewards=cheap_rms",
        f"rewards.names=[fmt,{BREVITY}]",
        "~rewards.options.short",
        "~rewards.options.long",
        "balancer=random",
        "~balancer.seed",
        f"balancer.name={PKG}.mixers:LastHeavy",
        "+balancer.share=0.75",
        "dataset=instruct",
        f"dataset.kind={PKG}.data:load_lines",
        f"dataset.path={prompts}",
        f"trainer.name={PKG}.loop:MyReMax",
        "trainer.eval_before=false",
        "dataset.max_new_tokens.default=8",
        "dataset.max_eval=4",
        "trainer.standardize_k=4",
        *extra,
    )


def test_user_parts_run_end_to_end_by_dotted_path(user_package, tmp_path):
    cfg = _user_config(user_package)
    validate_config(cfg)
    summary = run(cfg, tmp_path / "run")
    assert summary["method"] == "my_remax" and summary["steps"] == 2
    rows = read_metrics(tmp_path / "run" / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2]
    for r in rows:
        assert 0 <= r[f"reward/{BREVITY}"] <= 1
        assert r[f"weight/{BREVITY}"] == pytest.approx(0.75)
        assert r["weight/fmt"] == pytest.approx(0.25)
    # found by path, not registered: nothing in the project lists them
    assert BREVITY not in SCORERS.names() and "LastHeavy" not in str(MIXERS.names())


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("rewards.names=[fmt,nowhere_pkg.rewards:Brevity]", "rewards.names"),
        ("balancer.name=nowhere_pkg.mixers:LastHeavy", "balancer.name"),
        ("dataset.kind=nowhere_pkg.data:load_lines", "dataset.kind"),
        ("trainer.name=nowhere_pkg.loop:MyReMax", "trainer.name"),
    ],
)
def test_a_dotted_path_that_does_not_import_names_its_key(user_package, override, key):
    with pytest.raises(ConfigError) as err:
        validate_config(_user_config(user_package, override))
    msg = str(err.value)
    assert msg.startswith(f"{key}: ") and "cannot import module 'nowhere_pkg" in msg


@pytest.mark.parametrize(
    ("override", "key", "wanted"),
    [
        (f"rewards.names=[fmt,{PKG}.mixers:LastHeavy]", "rewards.names", "Scorer"),
        (f"balancer.name={BREVITY}", "balancer.name", "RewardMixer"),
        (f"trainer.name={BREVITY}", "trainer.name", "TrainingLoop"),
        (f"dataset.kind={PKG}.data:Example", "dataset.kind", "DatasetKind"),
        (f"balancer.name={PKG}.mixers:Missing", "balancer.name", "has no attribute 'Missing'"),
    ],
)
def test_a_dotted_path_to_the_wrong_object_is_refused(user_package, override, key, wanted):
    with pytest.raises(ConfigError) as err:
        validate_config(_user_config(user_package, override))
    assert str(err.value).startswith(key) and wanted in str(err.value)


def test_the_user_mixer_options_are_checked_as_balancer_keys(user_package):
    with pytest.raises(ConfigError, match=r"balancer=user_parts.mixers:LastHeavy: share=2"):
        validate_config(_user_config(user_package, "balancer.share=2"))


def test_a_user_loader_needs_a_path(user_package):
    with pytest.raises(ConfigError, match="dataset.path is null but dataset.kind=.* no bundled"):
        validate_config(_user_config(user_package, "dataset.path=null"))


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("trainer.name=remx", "trainer.name='remx': unknown trainer (did you mean 'remax'?)"),
        ("dataset.kind=gsm8", "dataset.kind='gsm8': unknown dataset kind (did you mean 'gsm8k'?)"),
    ],
)
def test_an_unknown_name_is_refused_before_the_model_loads(override, message):
    with pytest.raises(ConfigError) as err:
        validate_config(compose_config("+exp=debug", override))
    assert str(err.value).startswith(message) and "or a dotted path pkg.module:Name" in str(
        err.value
    )
