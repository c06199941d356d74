"""Bootstrap intervals of prevalence by group: right centre, right width, honest coverage."""

from __future__ import annotations

import numpy as np

from probation_themes.workflows.prevalence import bootstrap_shares


def test_share_is_exact_and_inside_its_interval():
    x = np.zeros((200, 3), dtype=np.uint8)
    x[:50, 0] = 1   # 25%
    x[:, 1] = 1     # everyone
    share, low, high = bootstrap_shares(x, n_boot=1000, seed=1)
    np.testing.assert_allclose(share, [0.25, 1.0, 0.0])
    assert low[0] < 0.25 < high[0]
    assert (low[1], high[1]) == (1.0, 1.0) and (low[2], high[2]) == (0.0, 0.0)
    # The percentile interval of a share is close to the normal approximation.
    se = np.sqrt(0.25 * 0.75 / 200)
    assert abs((high[0] - low[0]) - 2 * 1.96 * se) < 0.02


def test_intervals_narrow_as_groups_grow_and_repeat_with_the_seed():
    rng = np.random.default_rng(0)
    small = (rng.random((100, 1)) < 0.3).astype(np.uint8)
    large = (rng.random((2500, 1)) < 0.3).astype(np.uint8)
    w_small = np.subtract(*bootstrap_shares(small, seed=2)[2:0:-1])
    w_large = np.subtract(*bootstrap_shares(large, seed=2)[2:0:-1])
    assert w_large[0] < w_small[0] / 3
    assert [a.tolist() for a in bootstrap_shares(small, seed=2)] == [a.tolist() for a in bootstrap_shares(small, seed=2)]


def test_95_percent_intervals_cover_the_true_share_about_95_percent_of_the_time():
    rng = np.random.default_rng(42)
    samples = (rng.random((300, 150, 1)) < 0.3).astype(np.uint8)
    covered = 0
    for i, sample in enumerate(samples):
        _, low, high = bootstrap_shares(sample, n_boot=400, seed=i)
        covered += low[0] <= 0.3 <= high[0]
    assert 0.89 <= covered / len(samples) <= 0.99, covered
