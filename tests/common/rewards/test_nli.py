"""NLI scorers: the offline proxy (training, caching, accuracy) and the HF loading plumbing
on tiny random models saved to tmp_path (shapes and label lookup, not accuracy)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    GPT2TokenizerFast,
    T5Config,
    T5ForConditionalGeneration,
)

from common.models.assets import gpt2_tokenizer_dir
from common.rewards.nli import EmbeddingNLI, build_nli, lexical_features
from common.rewards.nli.hf import HFSeq2SeqNLI, HFSequenceClassificationNLI
from common.rewards.nli.pairs import generate_pairs

PREMISES = ["Title: Paris\nParis is the capital of France. It has 2 million people."] * 2 + [
    "Title: Rome\nRome is old."
]
HYPOTHESES = ["Paris is the capital of France.", "Paris has 9 million people.", "Rome is old."]


def test_generated_pairs_are_balanced_and_deterministic():
    pairs = generate_pairs(n_premises=50, seed=3)
    assert len(pairs) == 200 and sum(p.entailed for p in pairs) == 100
    assert pairs == generate_pairs(n_premises=50, seed=3)
    assert pairs != generate_pairs(n_premises=50, seed=4)
    copies = [p for p in pairs if p.kind == "copy"]
    assert all(p.hypothesis in p.premise for p in copies)
    negated = [p for p in pairs if p.kind == "negated"]
    assert all(not p.entailed and p.hypothesis not in p.premise for p in negated)


def test_lexical_features_by_hand():
    # hypothesis words: paris has 4 museums -> 3 of 4 in the premise; number 4 absent (0/1);
    # name Paris present (1/1); no negation
    assert lexical_features("Paris has 3 museums.", "Paris has 4 museums.") == [0.75, 0.0, 1.0, 0.0]
    assert lexical_features("Paris has 3 museums.", "Paris does not have 3 museums.")[3] == 1.0


@pytest.fixture(scope="module")
def small_nli(tmp_path_factory) -> EmbeddingNLI:
    cache = tmp_path_factory.mktemp("nli_cache")
    return EmbeddingNLI(n_premises=60, epochs=100, cache_dir=cache)


def test_small_embedding_nli_trains_caches_and_beats_chance(small_nli):
    # 60 premises -> 240 pairs; 12 held-out premises -> 48 pairs; chance is 0.5
    assert small_nli.heldout_accuracy >= 0.75
    assert small_nli.cache_path.exists()
    probs = small_nli.probs(PREMISES, HYPOTHESES)
    flags = small_nli.entails(PREMISES, HYPOTHESES)
    assert probs.shape == (3,) and flags.shape == (3,) and flags.dtype == bool
    assert ((probs >= 0) & (probs <= 1)).all()
    again = EmbeddingNLI(n_premises=60, epochs=100, cache_dir=small_nli.cache_path.parent)
    np.testing.assert_array_equal(again.probs(PREMISES, HYPOTHESES), probs)  # from the cache
    assert small_nli.probs([], []).shape == (0,)


def test_embedding_nli_training_is_deterministic(small_nli, tmp_path):
    other = EmbeddingNLI(n_premises=60, epochs=100, cache_dir=tmp_path, retrain=True)
    for a, b in zip(
        small_nli.net.state_dict().values(), other.net.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.slow
def test_default_embedding_nli_accuracy(tmp_path):
    nli = EmbeddingNLI(cache_dir=tmp_path)  # the default recipe, trained from scratch
    assert nli.heldout_accuracy >= 0.85, nli.heldout_by_kind
    flags = nli.entails(PREMISES, HYPOTHESES)
    assert flags[0] and flags[2]  # copied sentences


# ----------------------------------------------------------------------------- HF plumbing


@pytest.fixture(scope="module")
def tok() -> GPT2TokenizerFast:
    tok = GPT2TokenizerFast.from_pretrained(gpt2_tokenizer_dir())
    tok.pad_token = tok.eos_token
    return tok


@pytest.fixture(scope="module")
def t5_dir(tok, tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny_t5")
    torch.manual_seed(0)
    config = T5Config(
        vocab_size=tok.vocab_size,
        d_model=32,
        d_kv=16,
        d_ff=64,
        num_layers=1,
        num_heads=2,
        pad_token_id=tok.eos_token_id,
        eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.eos_token_id,
    )
    T5ForConditionalGeneration(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def bert_dir(tok, tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny_bert")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tok.vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=3,
        pad_token_id=tok.eos_token_id,
        id2label={0: "CONTRADICTION", 1: "NEUTRAL", 2: "ENTAILMENT"},
        label2id={"CONTRADICTION": 0, "NEUTRAL": 1, "ENTAILMENT": 2},
    )
    BertForSequenceClassification(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path


def test_seq2seq_nli_plumbing(t5_dir, tok):
    nli = HFSeq2SeqNLI(str(t5_dir), batch_size=2)
    assert (nli.pos_id, nli.neg_id) == (tok.encode("1")[0], tok.encode("0")[0])
    probs, flags = nli.probs(PREMISES, HYPOTHESES), nli.entails(PREMISES, HYPOTHESES)
    assert probs.shape == (3,) and flags.shape == (3,) and flags.dtype == bool
    # by hand, one pair at a time: first decoder step from the start token
    model = nli.model
    for i, (p, h) in enumerate(zip(PREMISES, HYPOTHESES, strict=True)):
        ids = tok(f"premise: {p} hypothesis: {h}", return_tensors="pt")["input_ids"]
        with torch.no_grad():
            logits = model(
                input_ids=ids, decoder_input_ids=torch.tensor([[tok.eos_token_id]])
            ).logits[0, 0]
        two = logits[[nli.neg_id, nli.pos_id]].softmax(-1)
        assert probs[i] == pytest.approx(two[1].item(), abs=1e-5)  # padding changes nothing
        assert flags[i] == (logits.argmax().item() == nli.pos_id)


def test_seqcls_nli_plumbing(bert_dir, tok):
    nli = HFSequenceClassificationNLI(str(bert_dir), batch_size=2, max_length=128)
    assert nli.entail_index == 2  # looked up in id2label, not assumed
    probs, flags = nli.probs(PREMISES, HYPOTHESES), nli.entails(PREMISES, HYPOTHESES)
    assert probs.shape == (3,) and flags.dtype == bool
    with torch.no_grad():
        soft = (
            nli.model(**tok(PREMISES[2], HYPOTHESES[2], return_tensors="pt")).logits[0].softmax(-1)
        )
    assert probs[2] == pytest.approx(soft[2].item(), abs=1e-5)
    assert flags[2] == (soft.argmax().item() == 2)
    assert HFSequenceClassificationNLI(str(bert_dir), entailment_label="NEUTRAL").entail_index == 1
    with pytest.raises(ValueError, match="id2label"):
        HFSequenceClassificationNLI(str(bert_dir), entailment_label="yes")


def test_build_nli_infers_the_kind(t5_dir, bert_dir):
    assert isinstance(build_nli(str(t5_dir)), HFSeq2SeqNLI)
    assert isinstance(build_nli(str(bert_dir), max_length=128), HFSequenceClassificationNLI)
    assert build_nli(str(t5_dir)) is build_nli(str(t5_dir))  # shared instance by default
    with pytest.raises(ValueError, match="kind"):
        build_nli(str(t5_dir), kind="regression")
