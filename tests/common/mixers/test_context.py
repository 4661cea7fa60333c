import numpy as np
import pytest
import torch

from common.mixers.context import prompt_context


@pytest.mark.parametrize("kind", ["mean_input_embedding", "mean_hidden", "last_hidden"])
def test_context_shape_and_determinism(tiny_lm, kind):
    model, tok = tiny_lm
    a = prompt_context(model, tok, ["a short prompt", "another, longer prompt here"], kind)
    b = prompt_context(model, tok, ["a short prompt", "another, longer prompt here"], kind)
    assert a.shape == (model.config.n_embd,)
    np.testing.assert_array_equal(a, b)


def test_mean_input_embedding_by_hand(tiny_lm):
    model, tok = tiny_lm
    ids = tok("hello there", add_special_tokens=False)["input_ids"]
    expected = model.get_input_embeddings()(torch.tensor(ids)).mean(0).double().detach().numpy()
    got = prompt_context(model, tok, ["hello there"], "mean_input_embedding")
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_unknown_kind_lists_allowed_values(tiny_lm):
    model, tok = tiny_lm
    with pytest.raises(ValueError, match="allowed values: mean_input_embedding"):
        prompt_context(model, tok, ["x"], "cls")
