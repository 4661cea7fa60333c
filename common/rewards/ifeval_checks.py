"""IFEval / IFBench instruction checking with the official semantics, through `if-verifiable`.

Only the packages' instruction registries are used (their data loaders need a hub): for one
response and one prompt's instructions, each checker is built with the row's kwargs
(``build_description(**kwargs)``, None values dropped, the prompt passed again to checkers
that take it) and asked ``check_following(text)``:

    strict: response.strip() != "" and check_following(response)
    loose:  any of the 8 loose variants of the response (first / last / both lines removed,
            markdown ``*`` removed) is non-blank and passes

exactly as Google's ``instruction_following_eval/evaluation_lib.py`` does. Aggregates:
prompt-level accuracy = mean over prompts of "every instruction passes"; instruction-level
accuracy = passed instructions / all instructions (micro over instructions).

A checker that raises (IFBench's ``ratio:stop_words`` and ``words:start_verb`` need NLTK
corpora that cannot be downloaded here) counts as failed and records the error, so a report
can say which instructions were not scorable instead of silently passing or dropping them.
"""

from __future__ import annotations

import contextlib
import functools
import io
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

IFEVAL = "ifeval"
IFBENCH = "ifbench"
REGISTRIES = (IFEVAL, IFBENCH)


@dataclass(frozen=True)
class InstructionCheck:
    """One instruction's verdict on one response.

    Attributes:
        instruction_id: e.g. ``punctuation:no_comma``.
        strict: passes on the response as written.
        loose: passes on at least one loose variant.
        error: why the checker could not run (then strict = loose = False), else None.
    """

    instruction_id: str
    strict: bool
    loose: bool
    error: str | None = None


def family_of(instruction_id: str) -> str:
    """The family of an instruction id: the part before ``:`` (``change_case``)."""
    return instruction_id.split(":", 1)[0]


def ensure_sentence_data() -> None:
    """Make NLTK's English Punkt parameters (``punkt_tab``) loadable offline and have the
    checkers use them.

    if-verifiable counts sentences with ``nltk.data.load("tokenizers/punkt/english.pickle")``,
    which NLTK >= 3.9 no longer ships (pickles are refused); NLTK 3.9 replaced it with the
    same parameters as ``punkt_tab`` data, read by ``nltk.tokenize.PunktTokenizer``. The
    project's copy of that data (common/data/nltk_data) is put on ``nltk.data.path`` by
    :func:`common.text.sentences.ensure_punkt`; ``nltk.word_tokenize`` (used by the
    capital-word checker) needs it too.
    """
    _patch_sentence_tokenizers()


@functools.cache
def _patch_sentence_tokenizers() -> None:
    import nltk

    from common.text.sentences import ensure_punkt

    if not ensure_punkt():
        raise LookupError(
            "NLTK's English Punkt data (punkt_tab) cannot be loaded, not even from the "
            "project's copy in common/data/nltk_data: IFEval's sentence and capital-word "
            "checks would be wrong"
        )

    @functools.cache
    def punkt_tab_english():
        return nltk.tokenize.PunktTokenizer("english")

    with _quiet():  # IFBench's module tries nltk.download at import (no network here)
        from if_verifiable.ifbench import instructions_util as ifbench_util
        from if_verifiable.ifeval import instructions_util as ifeval_util

    # Both modules look the function up at call time, so replacing it here is enough.
    ifeval_util._get_sentence_tokenizer = punkt_tab_english
    ifbench_util._get_sentence_tokenizer = punkt_tab_english


@functools.cache
def instruction_registry(name: str) -> Mapping[str, type]:
    """``INSTRUCTION_DICT`` of if-verifiable's IFEval or IFBench checkers (id -> class)."""
    if name not in REGISTRIES:
        raise ValueError(f"unknown instruction registry {name!r}; allowed values: {REGISTRIES}")
    # Language detection is randomized unless seeded: the same response must always get
    # the same verdict (rewards, resumed runs).
    import langdetect

    langdetect.DetectorFactory.seed = 0
    with _quiet():
        if name == IFEVAL:
            from if_verifiable.ifeval.instructions_registry import INSTRUCTION_DICT
        else:
            from if_verifiable.ifbench.instructions_registry import INSTRUCTION_DICT
    ensure_sentence_data()
    return INSTRUCTION_DICT


@contextlib.contextmanager
def _quiet():
    """Import if-verifiable's IFBench module without its ``nltk.download`` calls (there is no
    network; each attempt prints an error) and without what else it prints."""
    import nltk

    download = nltk.download
    nltk.download = lambda *args, **kwargs: False
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        nltk.download = download


def registry_of(instruction_ids: Sequence[str]) -> str | None:
    """Which registry knows every id (IFEval first), or None when neither does."""
    for name in REGISTRIES:
        if all(i in instruction_registry(name) for i in instruction_ids):
            return name
    return None


def loose_variants(response: str) -> list[str]:
    """The 8 response variants of IFEval's loose evaluation (if-verifiable's copy of them)."""
    from if_verifiable.common import get_loose_transformations

    return get_loose_transformations(response)


def build_checker(
    instruction_id: str, kwargs: Mapping[str, Any] | None, prompt: str, registry: str = IFEVAL
):
    """The checker of ``instruction_id`` built with ``kwargs`` (None values dropped), and
    with ``prompt`` for checkers that take it. Global ``random`` state is preserved:
    ``build_description`` draws random values for missing arguments, and rewards must not
    move a training run's random stream."""
    cls = instruction_registry(registry)[instruction_id]
    checker = cls(instruction_id)
    state = random.getstate()
    try:
        checker.build_description(**{k: v for k, v in (kwargs or {}).items() if v is not None})
        args = checker.get_instruction_args()
        if args and "prompt" in args:
            checker.build_description(prompt=prompt)
    finally:
        random.setstate(state)
    return checker


def describe(instruction_id: str, kwargs: Mapping[str, Any] | None, registry: str = IFEVAL) -> str:
    """The instruction's text as the benchmark words it (``build_description``)."""
    cls = instruction_registry(registry)[instruction_id]
    state = random.getstate()
    try:
        return cls(instruction_id).build_description(
            **{k: v for k, v in (kwargs or {}).items() if v is not None}
        )
    finally:
        random.setstate(state)


def check_response(
    prompt: str,
    response: str,
    instruction_ids: Sequence[str],
    kwargs_list: Sequence[Mapping[str, Any] | None],
    registry: str = IFEVAL,
    loose: bool = True,
) -> list[InstructionCheck]:
    """Strict (and loose) verdicts of every instruction of one prompt on ``response``.

    Args:
        loose: also run the loose variants (8x the checks); False leaves ``loose = strict``.
    """
    if len(kwargs_list) != len(instruction_ids):
        raise ValueError(
            f"{len(instruction_ids)} instruction ids but {len(kwargs_list)} kwargs entries"
        )
    variants = loose_variants(response) if loose else []
    out = []
    for instruction_id, kwargs in zip(instruction_ids, kwargs_list, strict=True):
        try:
            checker = build_checker(instruction_id, kwargs, prompt, registry)
            strict = bool(response.strip() and checker.check_following(response))
            passed_loose = strict or any(v.strip() and checker.check_following(v) for v in variants)
            out.append(InstructionCheck(instruction_id, strict, bool(passed_loose)))
        except Exception as err:  # noqa: BLE001 - reported per instruction, see module doc
            out.append(
                InstructionCheck(instruction_id, False, False, f"{type(err).__name__}: {err}")
            )
    return out
