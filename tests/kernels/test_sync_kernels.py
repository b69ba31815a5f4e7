"""The C kernels of distributed synchronisation (fastemb._sync): half
precision exactly as numpy rounds it, changed rows found in one pass, and
half-precision changes added in place."""
import numpy as np
import pytest

from fastemb import _sync

ALL_HALVES = np.arange(1 << 16, dtype=np.uint16)


def _finite_halves_as_floats():
    values = ALL_HALVES.view(np.float16).astype(np.float32)
    return values[np.isfinite(values)]


def test_portable_half_to_float_is_exact_for_every_half():
    expected = ALL_HALVES.view(np.float16).astype(np.float32)
    got = _sync.floats_from_half_bits_portable(ALL_HALVES)
    nan = np.isnan(expected)
    assert nan.sum() == 2046
    np.testing.assert_array_equal(got[~nan].view(np.uint32), expected[~nan].view(np.uint32))
    assert np.isnan(got[nan]).all()


def test_portable_float_to_half_rounds_like_numpy():
    rng = np.random.default_rng(0)
    halves = _finite_halves_as_floats()
    ordered = np.unique(halves.astype(np.float64))
    values = np.concatenate([
        rng.standard_normal(200_000) * 10.0 ** rng.integers(-10, 7, 200_000),
        halves,
        np.nextafter(halves, np.float32(np.inf)),
        np.nextafter(halves, np.float32(-np.inf)),
        (ordered[:-1] + ordered[1:]) / 2,  # every tie between two neighbours
        [np.inf, -np.inf, 65504, 65519.996, 65520, 1e30, 2.0 ** -25, -2.0 ** -25, 2.0 ** -24,
         3 * 2.0 ** -26, 1e-30, 0.0, -0.0],
    ]).astype(np.float32)
    with np.errstate(over="ignore"):
        expected = values.astype(np.float16).view(np.uint16)
    np.testing.assert_array_equal(_sync.half_bits_portable(values), expected)
    nan = _sync.half_bits_portable(np.array([np.nan], np.float32))
    assert np.isnan(nan.view(np.float16)).all()


def _moved_pair(seed=1, n=500, dim=37):
    rng = np.random.default_rng(seed)
    before = rng.standard_normal((n, dim)).astype(np.float32)
    after = before.copy()
    moved = np.sort(rng.choice(n, n // 3, replace=False))
    after[moved] += rng.standard_normal((len(moved), dim)).astype(np.float32) * 1e-2
    after[moved[0], 5] = before[moved[0], 5] + 1.0  # a row that moved in one column only
    after[moved[1]] = before[moved[1]]
    after[moved[1], -1] += 0.5
    return before, after, moved


def test_changed_rows_are_numpys_sparse_delta_in_half_precision():
    before, after, moved = _moved_pair()
    rows, change = _sync.changed_rows_half(before, after)
    assert rows.dtype == np.int32 and change.dtype == np.float16
    np.testing.assert_array_equal(rows, moved)
    np.testing.assert_array_equal(change.view(np.uint16),
                                  (after[moved] - before[moved]).astype(np.float16).view(np.uint16))
    rows, change = _sync.changed_rows_half(before, before.copy())
    assert rows.shape == (0,) and change.shape == (0, before.shape[1])
    with pytest.raises(ValueError, match="differ in shape"):
        _sync.changed_rows_half(before, after[:-1])


def test_half_rows_are_added_in_place_and_bad_ones_refused():
    before, after, moved = _moved_pair(seed=2)
    rows, change = _sync.changed_rows_half(before, after)
    target = before.copy()
    _sync.add_half_rows(target, rows, change)
    expected = before.copy()
    expected[rows] += change.astype(np.float32)
    np.testing.assert_array_equal(target, expected)
    np.testing.assert_allclose(target, after, atol=2e-3)
    twice = np.concatenate([rows[:1], rows[:1]])
    again = before.copy()
    _sync.add_half_rows(again, twice, np.concatenate([change[:1], change[:1]]))
    np.testing.assert_allclose(again[rows[0]] - before[rows[0]],
                               2 * change[0].astype(np.float32), atol=1e-6)
    untouched = before.copy()
    bad_rows = rows.copy()
    bad_rows[-1] = len(before)
    with pytest.raises(ValueError, match=f"row {len(before)} is outside"):
        _sync.add_half_rows(untouched, bad_rows, change)
    np.testing.assert_array_equal(untouched, before)  # nothing added before the check
    with pytest.raises(ValueError, match="expected"):
        _sync.add_half_rows(untouched, rows[:-1], change)
    with pytest.raises(ValueError, match="float16"):
        _sync.add_half_rows(untouched, rows, change.astype(np.float32))
