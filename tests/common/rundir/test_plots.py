import json

from common.rundir.plots import plot_run


def test_plots_written_for_weights_rewards_and_arms(tmp_path):
    rows = [
        {
            "step": s,
            "weight/a": 0.5 + 0.1 * s,
            "weight/b": 0.5 - 0.1 * s,
            "reward/a": 0.1 * s,
            "scaled/a": s - 1.0,
            "arm": "a" if s % 2 else "b",
            "loss": 1.0,
        }
        for s in (1, 2, 3)
    ]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    written = {p.name for p in plot_run(tmp_path)}
    assert written == {"weights.png", "rewards.png", "scaled_rewards.png", "arms.png"}
    for name in written:
        assert (tmp_path / "plots" / name).read_bytes()[:4] == b"\x89PNG"


def test_empty_run_writes_nothing(tmp_path):
    (tmp_path / "metrics.jsonl").write_text("")
    assert plot_run(tmp_path) == []
