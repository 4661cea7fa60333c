import pytest
import torch

from common.models import assets


def test_gpt2_tokenizer_dir_loads_offline():
    from transformers import GPT2TokenizerFast

    tok = GPT2TokenizerFast.from_pretrained(assets.gpt2_tokenizer_dir())
    assert tok.vocab_size == 50257
    assert tok.decode(tok("hello world")["input_ids"]) == "hello world"


def test_tiny_gpt2_is_deterministic_in_seed():
    a, _ = assets.load_causal_lm("tiny-gpt2", seed=3)
    b, _ = assets.load_causal_lm("tiny-gpt2", seed=3)
    c, _ = assets.load_causal_lm("tiny-gpt2", seed=4)
    pa, pb, pc = (next(m.parameters()) for m in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)
    assert a.config.n_layer == 2


def test_local_path_goes_through_the_same_loader(tmp_path, tiny_lm):
    """A user's local folder (or hub id) loads through load_causal_lm unchanged."""
    model, tok = tiny_lm
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    m2, t2 = assets.load_causal_lm(str(tmp_path))
    assert t2.padding_side == "left" and t2.pad_token is not None
    for p, q in zip(model.parameters(), m2.parameters(), strict=True):
        assert torch.equal(p, q)


def test_resolve_passes_hub_ids_and_paths_through():
    assert assets.resolve_model_path("meta-llama/Meta-Llama-3-8B") == "meta-llama/Meta-Llama-3-8B"
    assert assets.resolve_model_path("/some/dir") == "/some/dir"


def test_missing_asset_package_names_the_fix():
    with pytest.raises(ModuleNotFoundError, match="make install"):
        assets.package_dir("no_such_asset_pkg_xyz")


def test_embedders_give_normalized_rows():
    import numpy as np

    e = assets.multilingual_embedder().encode(["ein roter Stuhl", "a red chair", "Steuer"])
    assert e.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-3)
    # the translation pair is closer than the unrelated word
    assert e[0] @ e[1] > e[0] @ e[2]
    s = assets.sentence_embedder().encode(["a red chair"])
    assert s.shape == (1, 384)


@pytest.mark.slow
def test_embedded_policy_loads_and_generates():
    from common.data.formatting import format_prompt
    from common.generation.rollout import generate

    model, tok = assets.load_causal_lm("default")
    assert model.config.model_type == "llama"
    assert sum(p.numel() for p in model.parameters()) > 100e6
    prompt = format_prompt(tok, "What is the capital of France? Answer in one word.")
    r = generate(model, tok, [prompt], 8, do_sample=False)
    assert r.response_ids.shape[1] <= 8 and "paris" in r.texts[0].lower()
