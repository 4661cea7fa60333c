"""Two-level (seed, prompt) bootstrap: values by hand, interval behaviour, pairing."""

import numpy as np
import pytest

from experiments.studies.seed_bootstrap import (
    Cell,
    cell_interval,
    difference_interval,
    mean_of_cells,
)


def test_value_is_mean_over_seeds_of_each_seeds_ratio():
    # seed 0: (1 + 0 + 1) / (1 + 1 + 1) = 2/3; seed 1: (2 + 1 + 0) / (2 + 2 + 0) = 3/4
    cell = Cell([[1, 0, 1], [2, 1, 0]], [[1, 1, 1], [2, 2, 0]])
    assert cell.per_seed() == pytest.approx([2 / 3, 3 / 4])
    assert cell.value() == pytest.approx((2 / 3 + 3 / 4) / 2)
    assert cell.n == 3 * 2  # prompts with any den > 0, times seeds


def test_masked_prompts_do_not_count():
    cell = Cell([[1, 0, 0, 0]], [[1, 1, 0, 0]])
    assert cell.value() == pytest.approx(0.5)
    assert cell.n == 2


def test_constant_rows_give_a_point_interval_and_noise_a_wide_one():
    flat = cell_interval(Cell(np.ones((3, 50)), np.ones((3, 50))), resamples=200)
    assert flat.lo == flat.hi == flat.value == 1.0
    rng = np.random.default_rng(1)
    noisy = cell_interval(Cell(rng.integers(0, 2, (3, 50)), np.ones((3, 50))), resamples=500)
    assert noisy.lo < noisy.value < noisy.hi
    assert 0.05 < noisy.hi - noisy.lo < 0.6


def test_seed_variance_widens_the_interval():
    """Same prompt noise; seeds that disagree must give a wider interval than seeds that
    agree (the seed stage of the bootstrap is not ignored)."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2, 60).astype(float)
    agree = Cell(np.stack([base] * 3), np.ones((3, 60)))
    shifted = np.stack([base * 0.2, base * 0.6, base * 1.0])
    disagree = Cell(shifted, np.ones((3, 60)))
    a, d = cell_interval(agree, resamples=500), cell_interval(disagree, resamples=500)
    assert (d.hi - d.lo) > (a.hi - a.lo)


def test_difference_of_a_cell_with_itself_is_exactly_zero():
    rng = np.random.default_rng(2)
    cell = Cell(rng.random((1, 40)), np.ones((1, 40)))  # one seed: only prompts resampled
    iv = difference_interval(cell, cell, resamples=300)
    assert iv.value == 0.0 and iv.lo == 0.0 and iv.hi == 0.0
    assert iv.contains_zero


def test_clear_difference_excludes_zero():
    good = Cell(np.ones((3, 40)), np.ones((3, 40)))
    bad = Cell(np.zeros((3, 40)), np.ones((3, 40)))
    iv = difference_interval(good, bad, resamples=300)
    assert iv.value == 1.0 and not iv.contains_zero


def test_difference_needs_the_same_prompts():
    with pytest.raises(ValueError, match="same prompts"):
        difference_interval(
            Cell(np.ones((1, 3)), np.ones((1, 3))), Cell(np.ones((1, 4)), np.ones((1, 4)))
        )


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="differ in shape"):
        Cell(np.ones((2, 3)), np.ones((2, 4)))


def test_mean_of_cells_averages_the_metrics_each_prompt_carries():
    # prompt 0 carries a (1.0) and b (0.0) -> 0.5; prompt 1 only b (1/2 = 0.5 rate) -> 0.5;
    # prompt 2 neither -> masked.
    a = Cell([[1, 0, 0]], [[1, 0, 0]])
    b = Cell([[0, 1, 0]], [[1, 2, 0]])
    mean = mean_of_cells([a, b])
    assert mean.num[0].tolist() == pytest.approx([0.5, 0.5, 0.0])
    assert mean.den[0].tolist() == [1.0, 1.0, 0.0]


def test_resampled_cell_adds_the_seed_stage_to_row_samples():
    from experiments.studies.seed_bootstrap import ResampledCell

    # Two seeds; sample r of both used the same rows. Seed values 0.2 and 0.4.
    samples = np.stack([np.full(200, 0.2), np.full(200, 0.4)])
    cell = ResampledCell([0.2, 0.4], samples, rows=10)
    iv = cell_interval(cell, resamples=200)
    assert iv.value == pytest.approx(0.3) and iv.n == 20
    assert iv.lo == pytest.approx(0.2) and iv.hi == pytest.approx(0.4)  # all-low .. all-high
    same = difference_interval(cell, cell, resamples=200)
    assert same.value == 0.0
    one_seed = ResampledCell([0.5], np.linspace(0.4, 0.6, 200)[None, :], rows=10)
    other = ResampledCell([0.3], np.linspace(0.2, 0.4, 200)[None, :], rows=10)
    diff = difference_interval(one_seed, other, resamples=200)
    # paired sample by sample: every difference is exactly 0.2
    assert diff.lo == pytest.approx(0.2) and diff.hi == pytest.approx(0.2)
