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


def _saved(tmp_path, tiny_lm):
    model, tok = tiny_lm
    folder = tmp_path / "model"
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


@pytest.mark.parametrize("name", ["model.safetensors", "config.json", "tokenizer.json"])
def test_a_directory_where_a_model_file_belongs_is_named(tmp_path, tiny_lm, name):
    """transformers said "no file named model.safetensors", "Unrecognized model" or loaded
    without the tokenizer file at all."""
    folder = _saved(tmp_path, tiny_lm)
    (folder / name).unlink()
    (folder / name).mkdir()
    with pytest.raises(assets.ModelFileError, match=f"{folder / name}: a directory where"):
        assets.load_trained_policy(str(folder))


def test_a_dangling_weights_link_is_named(tmp_path, tiny_lm):
    folder = _saved(tmp_path, tiny_lm)
    (folder / "model.safetensors").unlink()
    (folder / "model.safetensors").symlink_to(tmp_path / "gone.safetensors")
    with pytest.raises(assets.ModelFileError, match="gone.safetensors, which does not exist"):
        assets.load_trained_policy(str(folder))


def test_an_unreadable_weights_file_says_permission_denied(tmp_path, tiny_lm):
    """A model.safetensors with mode 000 was reported as "No such file or directory". Root
    reads it anyway, so as root the load runs as `nobody` (setpriv) in a child process."""
    import os
    import shutil
    import stat
    import subprocess
    import sys
    from pathlib import Path

    folder = _saved(tmp_path, tiny_lm)
    weights = folder / "model.safetensors"
    weights.chmod(0o000)
    if os.geteuid() != 0:
        with pytest.raises(assets.ModelFileError, match=f"{weights}: permission denied"):
            assets.load_trained_policy(str(folder))
        return
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot drop the read permission")
    # A folder of its own that `nobody` can reach: pytest's base folders are 0700 and other
    # tests of the session may hold them, so they are not opened up here.
    import tempfile

    reachable = Path(tempfile.mkdtemp(prefix="unreadable-weights-"))
    closed: dict[Path, int] = {}
    try:
        reachable.chmod(0o755)
        folder = _saved(reachable, tiny_lm)
        folder.chmod(0o755)
        weights = folder / "model.safetensors"
        weights.chmod(0o000)
        repo = Path(__file__).resolve().parents[3]
        # a clone inside `mktemp -d` (0700): let `nobody` traverse (not list) the closed
        # folders above the project for this check, so it can import it; restored below
        closed = {d: stat.S_IMODE(d.stat().st_mode) for d in (repo, *repo.parents)
                  if not d.stat().st_mode & stat.S_IXOTH}  # fmt: skip
        for d, mode in closed.items():
            d.chmod(mode | stat.S_IXOTH)
        code = (
            "from common.models.assets import load_trained_policy, ModelFileError\n"
            f"try:\n    load_trained_policy({str(folder)!r})\n"
            "except ModelFileError as e:\n    print('ERR', e)\n"
        )
        env = {**os.environ, "PYTHONPATH": str(repo), "HOME": str(reachable)}
        r = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable]
            + ["-c", code],
            cwd=reachable,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        shutil.rmtree(reachable, ignore_errors=True)
        for d, mode in closed.items():
            d.chmod(mode)
    assert f"ERR [Errno 13] {weights}: permission denied (mode 000" in r.stdout, r.stderr[-2000:]
