"""Compose the real Hydra config outside a Hydra app (tests, benchmarks, notebooks), and
refuse command-line keys that nothing reads.

`paths.output_dir` is set explicitly because `${hydra:runtime.cwd}` only resolves in an app.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

CONF = Path(__file__).resolve().parents[1] / "conf"

# Maps whose keys are names the user chooses (reward sources, DeepSpeed keys, task types,
# gates): an added key there is checked by its owner (RewardSet, validate's DeepSpeed check,
# the reward step), not here.
FREE_FORM = (
    "rewards.options",
    "balancer.conditions",
    "engine.zero",
    "dataset.max_new_tokens",
    "dataset.loader_options",
)
# Groups whose options are different methods, so a key of one option means nothing to
# another (``standardize_k`` is ReMax/GRPO's, not LASeR's): only the chosen option's keys are
# known. In the other groups every option configures the same thing (a data loader, the
# engine, the logger, the model), so a key of any option is a key of all of them.
PER_OPTION_GROUPS = ("trainer", "balancer")
# Groups typed by one schema for all their options (experiments.schema): the composed node
# has every key of the schema, the chosen preset's file says which ones its method reads.
SCHEMA_GROUPS = ("trainer",)
# Keys the code reads with a default that no option file sets.
OPTIONAL_KEYS = {"rewards": ("noise", "max_resident"), "dataset": ("loader_options",)}


class UnknownKeyError(ValueError):
    """A ``+key=value`` override adds a key that no config file has and nothing reads."""


def compose_config(
    *overrides: str, output_dir: str | Path = "/tmp/multireward-tests"
) -> DictConfig:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("config", overrides=[f"paths.output_dir={output_dir}", *overrides])
    OmegaConf.set_struct(cfg, False)
    return cfg


def _compose_plain(overrides: list[str]) -> dict:
    """The composed config as plain containers, interpolations unresolved; inside a Hydra
    app (experiments.run) with the app's own search path."""
    if GlobalHydra.instance().is_initialized():
        cfg = compose("config", overrides=overrides)
    else:
        with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
            cfg = compose("config", overrides=overrides)
    return OmegaConf.to_container(cfg, resolve=False)


def _group_keys(group: str) -> set[str]:
    """Every key any option file of ``group`` sets (their ``defaults`` lists aside)."""
    keys: set[str] = set()
    for path in (CONF / group).glob("*.yaml"):
        node = OmegaConf.load(path)
        if isinstance(node, DictConfig):
            keys.update(k for k in node if k != "defaults")
    return keys


def _preset_keys(group: str, node: dict) -> set[str] | None:
    """For a :data:`PER_OPTION_GROUPS` group whose node is one schema for every option
    (``trainer``: common.training.config), the keys the chosen preset
    ``conf/<group>/<name>.yaml`` sets; None elsewhere, or for a user's own ``module:Class``."""
    path = CONF / group / f"{node.get('name')}.yaml" if isinstance(node, dict) else None
    if group not in SCHEMA_GROUPS or path is None or not path.is_file():
        return None
    return {k for k in OmegaConf.load(path) if k != "defaults"} | {"name"}


def check_added_keys(overrides: Sequence[str]) -> None:
    """Refuse a ``+key=value`` / ``++key=value`` override whose key the config composed
    without it does not have (``+trainer.stepz=3``, ``+foo=1``): Hydra adds it, nothing reads
    it, and the run goes on as if it had not been given.

    Known: a key of the composed config; below a :data:`FREE_FORM` map or an empty one; in
    ``trainer`` and ``balancer`` a key of the chosen option; in the other groups a key of any
    of the group's options or of :data:`OPTIONAL_KEYS`. ``hydra.*`` and group selections
    (``+exp=...``) are Hydra's own.

    Raises:
        UnknownKeyError: naming the override, the node it would add to, the closest known
            name and the known names there.
    """
    parsed = OverridesParser.create().parse_overrides(list(overrides))
    groups = {p.name for p in CONF.iterdir() if p.is_dir()}
    added = [
        o
        for o in parsed
        if (o.is_add() or o.is_force_add())
        and o.key_or_group.split("/")[0] not in groups | {"hydra"}
        and not o.key_or_group.startswith("hydra.")
    ]
    if not added:
        return
    rest = [o.input_line for o in parsed if o not in added]
    base = _compose_plain(rest)
    for o in added:
        parts = o.key_or_group.split(".")
        node, depth = base, 0
        while depth < len(parts) and isinstance(node, dict) and parts[depth] in node:
            node, depth = node[parts[depth]], depth + 1
        preset = _preset_keys(parts[0], base.get(parts[0])) if len(parts) > 1 else None
        if preset is not None and parts[1] not in preset:
            node, depth = base[parts[0]], 1  # a schema key the chosen method does not read
        if depth == len(parts):
            continue  # ++ on a key that exists
        where = ".".join(parts[:depth])
        if not isinstance(node, dict):
            raise UnknownKeyError(
                f"{o.input_line}: {where} is a value, not a group of keys (set it with "
                f"{where}=VALUE)"
            )
        if not node and depth > 1:
            continue  # an empty map: its keys are the user's to name
        if any(where == f or where.startswith(f + ".") for f in FREE_FORM):
            continue
        known = preset if preset is not None and depth == 1 else set(node)
        if depth == 1 and parts[0] not in PER_OPTION_GROUPS:
            known |= _group_keys(parts[0]) | set(OPTIONAL_KEYS.get(parts[0], ()))
        name = parts[depth]
        if name in known:
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f"did you mean {where + '.' if where else ''}{close[0]}? " if close else ""
        option = f" ({parts[0]}={node['name']})" if depth == 1 and "name" in node else ""
        raise UnknownKeyError(
            f"{o.input_line}: {where or 'the config'}{option} has no key {name!r}, and nothing "
            f"would read it; {hint}known names: {', '.join(sorted(map(str, known)))}"
        )
