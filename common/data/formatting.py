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
