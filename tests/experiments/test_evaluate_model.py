"""`experiments.evaluate --model`: generate with a model, then score like a predictions file."""

import json

from common.data import load_dataset
from common.data.shopbench import write_shopbench
from experiments.evaluate import main, read_predictions


def _small_file(tmp_path):
    rows = load_dataset("shopbench", None)
    keep = [ex for ex in rows if ex.metric == "mc_accuracy"][:3]
    keep += [ex for ex in rows if ex.metric == "rouge_l"][:2]
    path = tmp_path / "data.jsonl"
    write_shopbench(path, keep)
    return path, len(keep)


def test_model_predictions_are_saved_and_scored_like_a_file(tmp_path, capsys):
    data, n = _small_file(tmp_path)
    pred, out, out2 = tmp_path / "pred.jsonl", tmp_path / "a.json", tmp_path / "b.json"
    assert (
        main(
            [
                "--data",
                str(data),
                "--model",
                "tiny-gpt2",
                "--predictions-out",
                str(pred),
                "--out",
                str(out),
                "--batch-size",
                "2",
            ]
        )
        == 0
    )
    assert len(read_predictions(pred, n)) == n
    # scoring the saved predictions through the file path gives the same report
    assert main(["--data", str(data), "--predictions", str(pred), "--out", str(out2)]) == 0
    assert json.loads(out.read_text()) == json.loads(out2.read_text())
    assert "overall" in capsys.readouterr().out


def test_model_from_a_local_folder(tmp_path, tiny_lm):
    model, tok = tiny_lm
    folder = tmp_path / "run" / "final_model"
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    data, _ = _small_file(tmp_path)
    # a run directory resolves to its final_model/
    assert main(["--data", str(data), "--model", str(tmp_path / "run")]) == 0


def test_unknown_model_name_is_a_clear_error(tmp_path, capsys):
    data, _ = _small_file(tmp_path)
    assert main(["--data", str(data), "--model", "no-such-model"]) == 2
    assert "--model 'no-such-model'" in capsys.readouterr().err


def test_predictions_out_needs_model(tmp_path, capsys):
    data, _ = _small_file(tmp_path)
    assert (
        main(
            [
                "--data",
                str(data),
                "--predictions",
                str(data),
                "--predictions-out",
                str(tmp_path / "x"),
            ]
        )
        == 2
    )
