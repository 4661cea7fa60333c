"""`python -m experiments.studies NAME --report-only` on a partial study: the runs that did
not finish, the rows they leave empty and the differences that cannot be computed are
reported as missing (stderr, table.md, differences.md, results.json), never dropped."""

import json

from experiments.studies.__main__ import main
from experiments.studies.heldout import PREDICTIONS, heldout_examples, study_config
from experiments.studies.spec import load_spec

SPEC = """\
name: partial
exp: ifeval_drbo
seeds: [0, 1]
overrides: [trainer.eval_before=false, dataset.max_eval=8]
eval: {kind: ifeval}
zero_shot: true
conditions:
  inverse: [balancer=inverse]
  average: [balancer=average]
differences: [[inverse, average]]
reference: zero_shot
"""


def _predictions(folder, n, text):
    """Cached held-out predictions: the study loads no model for them."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PREDICTIONS).write_text(
        "".join(json.dumps({"prediction": text}) + "\n" for _ in range(n))
    )


def _finished(folder, n, text):
    """A finished run as the study reads it: summary.json and final_model/."""
    (folder / "final_model").mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps({"wall_s": 1.0}))
    _predictions(folder, n, text)


def test_report_only_lists_missing_runs_rows_and_differences(tmp_path, capsys):
    spec_file = tmp_path / "partial.yaml"
    spec_file.write_text(SPEC)
    spec = load_spec(spec_file)
    root, out = tmp_path / "root", tmp_path / "report"
    n = len(heldout_examples(study_config(spec, root), spec, root))
    _predictions(root / "zero_shot", n, "")
    for s in (0, 1):
        _finished(root / "runs" / "inverse" / f"seed{s}", n, "hello, world")
    crashed = root / "runs" / "average" / "seed0"  # started, died: a log, no summary
    crashed.mkdir(parents=True)
    (crashed / "train.log").write_text("Killed\n")
    never = root / "runs" / "average" / "seed1"

    argv = [str(spec_file), "--report-only", "--root", str(root), "--out", str(out)]
    assert main([*argv, "--resamples", "20"]) == 0
    err = capsys.readouterr().err
    assert f"average seed 0: unfinished (no summary.json or final_model/; see {crashed}" in err
    assert f"average seed 1: not started: {never}" in err

    results = json.loads((out / "results.json").read_text())
    assert results["seeds_planned"] == [0, 1] and results["seeds"] == {"inverse": [0, 1]}
    assert [(m["condition"], m["seed"]) for m in results["missing"]] == [
        ("average", 0),
        ("average", 1),
    ]
    assert results["rows_missing"] == ["average"]
    assert results["response_words"] == {"zero_shot": [0.0], "inverse": [2.0, 2.0]}
    # 2-word answers have no 3-gram: distinct-3 1.0, none looping
    assert results["response_distinct3"] == {"zero_shot": [1.0], "inverse": [1.0, 1.0]}
    assert results["response_looping"] == {"zero_shot": [0.0], "inverse": [0.0, 0.0]}
    assert set(results["differences_missing"]) == {"inverse - average", "average - zero_shot"}
    assert "no finished run of average" in results["differences_missing"]["inverse - average"]
    table = (out / "table.md").read_text()
    assert "| inverse | 2 of 2 |" in table and "| average | 0 of 2 |" in table
    assert "| inverse | 2.0 | 1.000 | 0 % |" in table and "answers loop" not in table
    assert "Incomplete study: 2 planned run(s)" in table and str(never) in table
    assert "`inverse - average`: not computed" in (out / "differences.md").read_text()


def test_no_report_caches_only_this_calls_runs_and_writes_no_report(tmp_path, monkeypatch):
    """A lane (`--only C --no-report`) trains C and caches C's held-out predictions; the other
    conditions' runs (another lane's) and the zero-shot policy are left to `--report-only`."""
    import experiments.studies.grid as grid
    import experiments.studies.heldout as heldout

    spec_file = tmp_path / "partial.yaml"
    spec_file.write_text(SPEC)
    root, out = tmp_path / "root", tmp_path / "report"
    trained, predicted = [], []

    def fake_train(spec, runs, log=print):
        for run in runs:
            trained.append((run.condition, run.seed))
            (run.folder / "final_model").mkdir(parents=True)
            (run.folder / "summary.json").write_text("{}")

    monkeypatch.setattr(grid, "train_all", fake_train)
    monkeypatch.setattr(
        heldout, "predictions_for", lambda spec, folder, *a: predicted.append(folder) or []
    )
    other = root / "runs" / "average" / "seed0"  # finished by another lane
    (other / "final_model").mkdir(parents=True)
    (other / "summary.json").write_text("{}")

    argv = [str(spec_file), "--only", "inverse", "--seeds", "0", "--root", str(root)]
    assert main([*argv, "--out", str(out), "--no-report"]) == 0
    assert trained == [("inverse", 0)]
    assert predicted == [root.resolve() / "runs" / "inverse" / "seed0"]
    assert not out.exists()
    assert main([*argv, "--report-only", "--no-report"]) == 2


def test_answers_md_flags_rows_whose_answers_loop():
    from experiments.studies.report import answers_md

    text = answers_md(
        {
            "response_words": {"zero_shot": [62.0], "lora": [67.0, 69.0]},
            "response_distinct3": {"zero_shot": [0.89], "lora": [0.17, 0.21]},
            "response_looping": {"zero_shot": [0.05], "lora": [0.99, 0.9]},
        }
    )
    assert "| zero_shot | 62.0 | 0.890 | 5 % |" in text
    assert "| lora | 68.0 | 0.190 | 94 % |" in text  # means over the two seeds
    assert "**Warning: answers loop under lora**" in text
    assert answers_md({"response_words": {"a": [1.0]}}) == ""
