"""The evaluate CLI on IFEval-format files (experiments.evaluate_ifeval): which --data it
handles, scores written and printed, errors naming the file, generation with a model."""

from __future__ import annotations

import json

from experiments.evaluate import main as evaluate_main
from experiments.evaluate_ifeval import handles


def test_evaluate_cli_scores_an_ifeval_format_file(tmp_path, capsys):
    rows = [
        {"key": 1, "prompt": "p", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]},
        {
            "key": 2,
            "prompt": "q",
            "instruction_id_list": ["keywords:existence"],
            "kwargs": [{"keywords": ["tent"]}],
        },
    ]
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    pred = tmp_path / "pred.jsonl"
    pred.write_text(
        json.dumps({"prediction": "no commas"}) + "\n" + json.dumps({"prediction": "x, y"}) + "\n"
    )
    out = tmp_path / "scores.json"
    argv = ["--data", str(data), "--predictions", str(pred), "--out", str(out)]
    assert handles(argv)
    assert evaluate_main(argv) == 0
    scores = json.loads(out.read_text())
    assert scores["per_metric"]["prompt_strict"] == 0.5
    assert set(scores) >= {"per_task", "per_metric", "overall", "n", "ci"}
    # two prompts, one passing: n = 2 and the two-row interval [0, 1] (x100: 50.00 ± 50.00)
    assert scores["ci"]["per_metric"]["prompt_strict"] == {
        "value": 0.5,
        "lo": 0.0,
        "hi": 1.0,
        "n": 2,
    }
    assert scores["n"]["per_task"] == {"keywords": 1, "punctuation": 1}
    printed = capsys.readouterr().out
    assert "prompt_strict" in printed and "50.00 ± 50.00" in printed
    assert evaluate_main(argv + ["--resamples", "0"]) == 0
    assert "ci" not in json.loads(out.read_text())


def test_evaluate_cli_names_and_errors(tmp_path, capsys):
    assert handles(["--data", "ifeval", "--predictions", "x"])
    assert handles(["--data", "ifbench", "--model", "default"])
    assert not handles(["--data", str(tmp_path / "shop.jsonl"), "--predictions", "x"])
    pred = tmp_path / "short.jsonl"
    pred.write_text(json.dumps({"prediction": "a"}) + "\n")
    # 541 IFEval rows but one prediction: the predictions file is named
    assert evaluate_main(["--data", "ifeval", "--predictions", str(pred)]) == 2
    assert "short.jsonl" in capsys.readouterr().err


def test_evaluate_cli_on_ifbench_reports_unscorable(tmp_path, capsys):
    pred = tmp_path / "p.jsonl"
    pred.write_text("".join(json.dumps({"prediction": "hello world."}) + "\n" for _ in range(294)))
    assert evaluate_main(["--data", "ifbench", "--predictions", str(pred)]) == 0
    printed = capsys.readouterr().out
    assert "294 prompts" in printed and "prompt_strict" in printed


def test_evaluate_cli_generates_with_a_model(tmp_path, capsys):
    pred = tmp_path / "pred.jsonl"
    argv = ["--data", "ifeval_testbed", "--model", "tiny-gpt2", "--limit", "2"]
    argv += [
        "--max-new-tokens",
        "4",
        "--predictions-out",
        str(pred),
        "--out",
        str(tmp_path / "s.json"),
    ]
    assert evaluate_main(argv) == 0
    assert len(pred.read_text().splitlines()) == 2
    assert json.loads((tmp_path / "s.json").read_text())["details"]["n_prompts"] == 2


def test_evaluate_cli_generation_budget_defaults_to_the_runs_budget_for_the_testbed():
    # The testbed's runs answer in dataset.max_new_tokens (96): the CLI must generate the same
    # length to reproduce a run's held-out table; other files keep room for long answers.
    from omegaconf import OmegaConf

    from experiments.evaluate_ifeval import (
        DEFAULT_MAX_NEW_TOKENS,
        TESTBED_DATASET,
        default_max_new_tokens,
    )

    runs_budget = OmegaConf.load(TESTBED_DATASET).max_new_tokens.instruction_following
    assert default_max_new_tokens("ifeval_testbed") == runs_budget == 96
    assert default_max_new_tokens("ifeval") == DEFAULT_MAX_NEW_TOKENS == 512
    assert default_max_new_tokens("my_rows.jsonl") == 512


def test_evaluate_cli_generates_with_the_default_budget_and_a_precision(tmp_path, capsys):
    argv = ["--data", "ifeval_testbed", "--model", "tiny-gpt2", "--limit", "1"]
    argv += ["--precision", "float32", "--resamples", "0"]
    assert evaluate_main(argv) == 0
    assert "96 new tokens a prompt, float32" in capsys.readouterr().err
