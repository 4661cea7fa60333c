"""An output flag that resolves to an input is refused before anything is read or written:
`experiments.evaluate --out data.jsonl` once replaced the benchmark file it had scored."""

from __future__ import annotations

import json
import os

import pytest

from common.data import load_dataset
from common.data.shopbench import write_shopbench
from experiments.evaluate import main
from experiments.output_paths import (
    OutputOverInputError,
    model_folders,
    refuse_outputs_over_inputs,
)


@pytest.fixture
def shop(tmp_path):
    """(data file, predictions file) of two ShopBench rows."""
    rows = [ex for ex in load_dataset("shopbench", None) if ex.metric == "mc_accuracy"][:2]
    data = tmp_path / "data.jsonl"
    write_shopbench(data, rows)
    pred = tmp_path / "pred.jsonl"
    pred.write_text('{"prediction": "1"}\n{"prediction": "2"}\n')
    return data, pred


def _ifeval_file(tmp_path):
    data = tmp_path / "ifeval_rows.jsonl"
    row = {"key": 1, "prompt": "p", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}
    data.write_text(json.dumps(row) + "\n")
    return data


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (lambda d, p, t: ["--predictions", p, "--out", d], "--out {d} is the input --data"),
        (lambda d, p, t: ["--predictions", p, "--out", p], "--out {p} is the input --predictions"),
        (
            lambda d, p, t: ["--model", "tiny-gpt2", "--predictions-out", d],
            "--predictions-out {d} is the input --data",
        ),
        (
            lambda d, p, t: ["--model", "tiny-gpt2", "--out", t, "--predictions-out", t],
            "--out and --predictions-out are one file",
        ),
    ],
    ids=["out_is_data", "out_is_predictions", "predictions_out_is_data", "two_outputs"],
)
def test_evaluate_refuses_an_output_over_an_input(shop, tmp_path, capsys, flags, message):
    data, pred = shop
    before = data.read_bytes(), pred.read_bytes()
    argv = [str(x) for x in flags(data, pred, tmp_path / "same.json")]
    assert main(["--data", str(data), *argv]) == 2
    err = capsys.readouterr().err
    assert message.format(d=data, p=pred) in err
    assert (data.read_bytes(), pred.read_bytes()) == before
    assert not (tmp_path / "same.json").exists()


@pytest.mark.parametrize("link", ["symlink", "hardlink", "dotted"])
def test_another_name_for_the_data_file_is_refused(shop, tmp_path, capsys, link):
    """Resolved, not compared as text: a symlink, a hard link or a `sub/../` path."""
    data, pred = shop
    (tmp_path / "sub").mkdir()
    other = tmp_path / "other.json"
    if link == "symlink":
        other.symlink_to(data)
    elif link == "hardlink":
        os.link(data, other)
    else:
        other = tmp_path / "sub" / ".." / "data.jsonl"
    before = data.read_bytes()
    assert main(["--data", str(data), "--predictions", str(pred), "--out", str(other)]) == 2
    assert f"is the input --data {data}" in capsys.readouterr().err
    assert data.read_bytes() == before


def test_ifeval_format_data_is_guarded_too(tmp_path, capsys):
    data = _ifeval_file(tmp_path)
    pred = tmp_path / "pred.jsonl"
    pred.write_text('{"prediction": "no commas here"}\n')
    before = data.read_bytes()
    assert main(["--data", str(data), "--predictions", str(pred), "--out", str(data)]) == 2
    assert f"--out {data} is the input --data" in capsys.readouterr().err
    assert data.read_bytes() == before
    # a fresh path is fine
    assert (
        main(["--data", str(data), "--predictions", str(pred), "--out", str(tmp_path / "s")]) == 0
    )


def test_an_output_inside_the_model_folder_is_refused_but_beside_it_allowed(tmp_path):
    run = tmp_path / "run"
    (run / "final_model").mkdir(parents=True)
    (run / ".hydra").mkdir()
    folders = {"--model": model_folders(str(run))}
    with pytest.raises(OutputOverInputError, match="--model loads the model from"):
        refuse_outputs_over_inputs({}, {"--out": run / "final_model" / "config.json"}, folders)
    refuse_outputs_over_inputs({}, {"--out": run / "scores.json"}, folders)  # beside: fine
    model = tmp_path / "model"
    model.mkdir()
    with pytest.raises(OutputOverInputError, match="lies in"):
        refuse_outputs_over_inputs(
            {}, {"--out": model / "x.json"}, {"--model": model_folders(str(model))}
        )
    assert model_folders("tiny-gpt2") == [] and model_folders(None) == []


def test_ifeval_pass_rates_refuses_out_over_data(tmp_path, capsys):
    from experiments.ifeval_pass_rates import main as pass_rates

    data = _ifeval_file(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        pass_rates(["--data", str(data), "--out", str(data), "--model", "tiny-gpt2"])
    assert exit_.value.code == 2 and "is the input --data" in capsys.readouterr().err
