"""Command-line keys that nothing reads are refused, naming the key and the known names
(issue 29: ``+trainer.stepz=3`` and ``+foo=1`` were added and silently ignored)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.compose import UnknownKeyError, check_added_keys, compose_config

REPO = Path(__file__).resolve().parents[2]


def _refused(*overrides: str) -> str:
    with pytest.raises(UnknownKeyError) as err:
        check_added_keys(list(overrides))
    return str(err.value)


def test_a_misspelled_trainer_key_names_the_closest_known_key():
    msg = _refused("+exp=laser_debug", "+trainer.stepz=3")
    assert msg.startswith("+trainer.stepz=3: trainer (trainer=laser_dpo) has no key 'stepz'")
    assert "did you mean trainer.steps?" in msg and "steps_per_iteration" in msg


def test_an_unknown_top_level_key_lists_the_top_level_names():
    msg = _refused("+exp=debug", "+foo=1")
    assert msg.startswith("+foo=1: the config has no key 'foo', and nothing would read it")
    assert "known names: balancer, dataset, engine, exp_name" in msg


def test_trainer_keys_are_those_of_the_chosen_trainer():
    # ReMax's standardize_k means nothing to LASeR: refused there, a known key under ReMax
    msg = _refused("+exp=laser_debug", "+trainer.standardize_k=5")
    assert "trainer (trainer=laser_dpo) has no key 'standardize_k'" in msg
    check_added_keys(["+exp=debug", "++trainer.standardize_k=5"])


def test_a_nested_typo_and_a_key_below_a_value_are_named():
    assert "did you mean model.lora.r?" in _refused("+exp=debug", "+model.lora.rr=3")
    assert "trainer.lr is a value, not a group of keys" in _refused("+exp=debug", "+trainer.lr.x=1")


@pytest.mark.parametrize(
    "overrides",
    [
        ("+exp=debug", "+engine.zero.stage3_max_live_parameters=10000000"),  # README
        (
            "+exp=debug",
            "+balancer.conditions.fmt.gate=exact",
            "+balancer.conditions.fmt.threshold=1",
        ),
        ("+exp=shopping_mmlu", "+dataset.task_metric=sent_sim"),  # a key of another dataset
        ("+exp=shopping_mmlu", "+rewards.options.len_short={scorer: length_reward}"),
        ("+exp=debug", "++trainer.lr=0.1", "~logger", "balancer=inverse"),
        ("+exp=debug", "++hydra.run.dir=/tmp/x", "hydra/launcher=basic", "+rewards.max_resident=1"),
    ],
)
def test_keys_that_are_read_or_named_by_the_user_are_accepted(overrides):
    check_added_keys(list(overrides))
    compose_config(*overrides)


def _readme_run_commands() -> list[list[str]]:
    """The overrides of README's ``python -m experiments.run`` commands (continuation lines
    joined, comments dropped; a sweep's first value)."""
    text = (REPO / "README.md").read_text().replace("\\\n", " ")
    commands = []
    for line in text.splitlines():
        m = re.search(r"python -m experiments\.run (.*)", line.split("#")[0].split("`")[0])
        if not m:
            continue
        args = [a for a in shlex.split(m.group(1)) if "=" in a and not a.startswith("-")]
        commands.append([re.sub(r"=([^,{\[]*),.*", r"=\1", a) for a in args])
    return commands


def test_every_readme_command_passes_the_added_key_check():
    commands = _readme_run_commands()
    assert len(commands) >= 15
    for overrides in commands:
        check_added_keys(overrides)


def test_the_entry_point_refuses_an_unknown_key_before_anything_runs(tmp_path, child_env):
    out = subprocess.run(
        [sys.executable, "-m", "experiments.run", "+exp=debug", "+trainer.stepz=3"]
        + [f"hydra.run.dir={tmp_path}"],
        cwd=REPO,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode != 0
    assert "+trainer.stepz=3: trainer (trainer=remax) has no key 'stepz'" in out.stderr
    assert "did you mean trainer.steps?" in out.stderr
    assert not (tmp_path / "run_info.json").exists()
