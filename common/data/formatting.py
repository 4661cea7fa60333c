"""Prompt text as the policy sees it: chat-templated when the tokenizer has a template."""

from __future__ import annotations

from typing import Any


def format_prompt(tokenizer: Any, prompt: str, system: str | None = None) -> str:
    """Render ``prompt`` for generation.

    With a chat template (``tokenizer.chat_template`` set) the prompt becomes a user turn,
    preceded by a system turn when ``system`` is given, rendered with
    ``add_generation_prompt=True`` so the text ends where the assistant's reply begins.
    Without one (base models, GPT-2) the plain prompt is returned, after ``system`` and a
    blank line when given.
    """
    if not getattr(tokenizer, "chat_template", None):
        return f"{system}\n\n{prompt}" if system else prompt
    messages = [{"role": "user", "content": prompt}]
    if system:
        messages.insert(0, {"role": "system", "content": system})
    try:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    except Exception as err:  # jinja raises its own TemplateError; not importable without jinja
        if not system or "system" not in str(err).lower():
            raise
    # Some templates (Gemma's, Mistral's early ones) refuse a system role: fold it into the
    # user turn rather than drop instructions the run asked for.
    merged = [{"role": "user", "content": f"{system}\n\n{prompt}"}]
    return tokenizer.apply_chat_template(merged, tokenize=False, add_generation_prompt=True)


def fit_prompts(
    tokenizer: Any, prompts: list[str], max_tokens: int | None, system: str | None = None
) -> tuple[list[str], int]:
    """:func:`format_prompt` each prompt, cutting over-long ones to ``max_tokens`` tokens.

    The cut removes tokens from the START of the user content, so what the model must answer
    survives: the question, ``Answer:``, and the chat template's assistant tag all sit at the
    end (a right-side cut removes exactly those). Returns the texts and how many were cut.
    """
    texts = [format_prompt(tokenizer, p, system) for p in prompts]
    if max_tokens is None or not texts:
        return texts, 0
    lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    cut = 0
    for i, n in enumerate(lengths):
        if n > max_tokens:
            texts[i] = _cut_from_left(tokenizer, prompts[i], n, max_tokens, system)
            cut += 1
    return texts, cut


def _cut_from_left(tokenizer: Any, prompt: str, n: int, max_tokens: int, system: str | None) -> str:
    ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    overhead = n - len(ids)  # the template's own tokens (system turn, role tags)
    keep = max_tokens - overhead
    text = format_prompt(tokenizer, prompt, system)
    for _ in range(4):  # re-tokenizing a cut text can merge or split a token or two
        if keep <= 0:
            raise ValueError(
                f"the prompt template alone takes {overhead} tokens, more than "
                f"dataset.max_prompt_tokens allows ({max_tokens})"
            )
        text = format_prompt(tokenizer, tokenizer.decode(ids[-keep:]), system)
        n = len(tokenizer(text, add_special_tokens=False)["input_ids"])
        if n <= max_tokens:
            return text
        keep -= n - max_tokens
    return text  # at most a stray token or two over; the tokenizer call truncates those
