"""A study's YAML (``conf/study/<name>.yaml``) read into a :class:`StudySpec`.

name: ifeval_balancers
exp: ifeval_drbo                 # the experiment every run starts from (+exp=...)
seeds: [0, 1, 2]
overrides: [trainer.eval_before=false]   # for every run
eval:
  kind: ifeval                   # ifeval | reward_set (see experiments.studies.heldout)
  max_new_tokens: 96
  batch_size: 16
zero_shot: true                  # also evaluate the untrained policy (greedy: once)
conditions:                      # name -> overrides of that condition
  inverse: [balancer=inverse]
  average: [balancer=average]
differences: [[inverse, average]]  # paired differences reported with intervals
reference: zero_shot             # every condition's gain over this row is reported
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

REPO = Path(__file__).resolve().parents[2]
STUDY_CONF = REPO / "conf" / "study"
EVAL_KINDS = ("ifeval", "reward_set", "shopbench")
ZERO_SHOT = "zero_shot"


@dataclass(frozen=True)
class StudySpec:
    name: str
    exp: str
    seeds: tuple[int, ...]
    conditions: dict[str, tuple[str, ...]]
    overrides: tuple[str, ...] = ()
    eval: dict[str, Any] = field(default_factory=dict)
    zero_shot: bool = True
    differences: tuple[tuple[str, str], ...] = ()
    reference: str | None = ZERO_SHOT

    @property
    def eval_kind(self) -> str:
        return str(self.eval.get("kind", "reward_set"))

    def rows(self) -> list[str]:
        """Row order of the report: the zero-shot policy first, then the conditions."""
        return ([ZERO_SHOT] if self.zero_shot else []) + list(self.conditions)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: expected a list of strings (Hydra overrides), got {value!r}")
    return tuple(value)


def load_spec(name_or_path: str | Path) -> StudySpec:
    """Read ``conf/study/<name>.yaml`` (or a YAML path) and check it.

    Raises:
        FileNotFoundError: no such study, naming the studies that exist.
        ValueError: a bad key, naming the file, the key and the allowed values.
    """
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = STUDY_CONF / f"{name_or_path}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in STUDY_CONF.glob("*.yaml"))
        raise FileNotFoundError(f"no study {name_or_path!r} ({path}); known studies: {known}")
    raw = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    allowed = {
        "name", "exp", "seeds", "overrides", "eval", "zero_shot", "conditions", "differences",
        "reference", "hypothesis",
    }  # fmt: skip
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    for key in ("exp", "conditions"):
        if key not in raw:
            raise ValueError(f"{path}: missing key {key!r}")
    conditions = raw["conditions"]
    if not isinstance(conditions, dict) or not conditions:
        raise ValueError(f"{path}: conditions: expected a non-empty mapping name -> overrides")
    if ZERO_SHOT in conditions:
        raise ValueError(f"{path}: conditions: {ZERO_SHOT!r} is reserved for the untrained policy")
    seeds = raw.get("seeds", [0, 1, 2])
    if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) for s in seeds):
        raise ValueError(f"{path}: seeds: expected a non-empty list of integers, got {seeds!r}")
    spec = StudySpec(
        name=str(raw.get("name", path.stem)),
        exp=str(raw["exp"]),
        seeds=tuple(seeds),
        conditions={c: _strings(o, f"{path}: conditions.{c}") for c, o in conditions.items()},
        overrides=_strings(raw.get("overrides"), f"{path}: overrides"),
        eval=dict(raw.get("eval") or {}),
        zero_shot=bool(raw.get("zero_shot", True)),
        differences=tuple(tuple(d) for d in raw.get("differences") or ()),
        reference=raw.get("reference", ZERO_SHOT),
    )
    if spec.eval_kind not in EVAL_KINDS:
        raise ValueError(f"{path}: eval.kind {spec.eval_kind!r}; allowed: {list(EVAL_KINDS)}")
    known_rows = set(spec.rows())
    for pair in spec.differences:
        if len(pair) != 2 or not set(pair) <= known_rows:
            raise ValueError(
                f"{path}: differences: {list(pair)} must name two of {sorted(known_rows)}"
            )
    if spec.reference is not None and spec.reference not in known_rows:
        raise ValueError(f"{path}: reference {spec.reference!r}; allowed: {sorted(known_rows)}")
    return spec
