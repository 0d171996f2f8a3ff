# numpy arrays across the boundary without copies: every element type in 1-D and 2-D, writes
# visible to the caller, results over Kestrel's memory, views of arguments keeping their base
# alive, strided views, and what is refused (wrong dtype or rank, negative strides, writing a
# read-only array).
import gc
import os
import resource
import weakref

import numpy as np
import pytest

import kestrel

SOURCE = """
fn ident(a: f64[:]) -> f64[:] {
    return a
}
fn middle(a: f64[:]) -> f64[:] {
    return a[1:len(a) - 1]
}
fn total(a: f64[:]) -> f64 {
    return sum(a)
}
fn fill(a: f64[:], v: f64) {
    a[:] = v
}
fn make(n: i64) -> f64[:] {
    var out = zeros(n)
    for i in 0..n {
        out[i] = f64(i) * 0.5
    }
    return out
}
fn grid(r: i64, c: i64) -> i64[:, :] {
    var out = zeros(r, c, i64)
    for i in 0..r {
        for j in 0..c {
            out[i, j] = i * 10 + j
        }
    }
    return out
}
fn col(m: f64[:, :], j: i64) -> f64[:] {
    return m[:, j]
}
fn both(a: f64[:]) -> (f64[:], f64) {
    return (a[0:2], sum(a))
}
fn bump_f32(a: f32[:]) -> f32[:] {
    a[0] = a[0] + 1.0
    return a
}
fn bump_i32(a: i32[:, :]) -> i32[:, :] {
    a[0, 0] = a[0, 0] + 1
    return a
}
fn bump_i64(a: i64[:]) -> i64[:] {
    a[0] = a[0] + 1
    return a
}
fn flip(a: bool[:, :]) -> bool[:, :] {
    a[0, 0] = not a[0, 0]
    return a
}
fn rows(m: f64[:, :]) -> f64[:, :] {
    return m
}
"""


@pytest.fixture
def m(mode):
    return kestrel.compile(SOURCE, mode=mode)


def ptr(a):
    return a.__array_interface__["data"][0]


def test_result_over_kestrel_memory(m):
    r = m.make(5)
    assert r.dtype == np.float64 and r.shape == (5,)
    assert r.tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert type(r.base).__name__ == "PyCapsule"  # Kestrel's buffer, not a copy
    assert r.flags.writeable
    g = m.grid(2, 3)
    assert g.dtype == np.int64 and g.tolist() == [[0, 1, 2], [10, 11, 12]]


def test_returned_view_is_the_input(m):
    a = np.arange(6.0)
    r = m.ident(a)
    assert ptr(r) == ptr(a)
    v = m.middle(a)
    assert ptr(v) == ptr(a) + 8 and v.tolist() == [1.0, 2.0, 3.0, 4.0]
    v[0] = 100.0
    assert a[1] == 100.0  # one memory, as numpy views share it


def test_view_keeps_its_base_alive(m):
    a = np.arange(1000.0)
    alive = weakref.ref(a)
    v = m.middle(a)
    del a
    gc.collect()
    assert alive() is not None  # held through v's base
    assert v[0] == 1.0 and v[-1] == 998.0
    del v
    gc.collect()
    assert alive() is None  # and released with it


def test_writes_are_visible(m):
    a = np.zeros(4)
    m.fill(a, 2.5)
    assert a.tolist() == [2.5] * 4
    assert m.total(a) == 10.0


@pytest.mark.parametrize(
    "fn, dtype, shape",
    [
        ("bump_f32", np.float32, (3,)),
        ("bump_i64", np.int64, (3,)),
        ("bump_i32", np.int32, (2, 3)),
        ("flip", np.bool_, (2, 2)),
    ],
)
def test_every_element_type(m, fn, dtype, shape):
    a = np.zeros(shape, dtype=dtype)
    r = getattr(m, fn)(a)
    assert ptr(r) == ptr(a) and r.dtype == a.dtype and r.shape == a.shape
    assert a.flat[0] == 1  # written through
    assert not a.flat[1:].any()


def test_two_dimensional_and_strided(m):
    x = np.arange(12.0).reshape(3, 4)
    assert ptr(m.rows(x)) == ptr(x)
    c = m.col(x, 2)
    assert c.tolist() == [2.0, 6.0, 10.0] and ptr(c) == ptr(x) + 16 and c.strides == (32,)
    # strided views bind without a copy too
    s = x[::2, 1:3]
    r = m.rows(s)
    assert ptr(r) == ptr(s) and r.strides == s.strides and r.tolist() == s.tolist()
    e = np.arange(10.0)[::3]
    assert m.total(e) == 0 + 3 + 6 + 9
    assert m.middle(e).tolist() == [3.0, 6.0]
    f = np.asfortranarray(x)
    assert m.col(f, 1).tolist() == [1.0, 5.0, 9.0]
    assert m.total(np.zeros(0)) == 0.0


def test_tuple_with_a_view(m):
    a = np.arange(4.0)
    v, s = m.both(a)
    assert ptr(v) == ptr(a) and s == 6.0


def test_refused_arrays(m):
    with pytest.raises(TypeError, match=r"must be a numpy array of float64 with 1 dimension, not "
                                        r"one of int64 with 1 dimension.*astype"):
        m.total(np.arange(3))
    with pytest.raises(TypeError, match="not one of float64 with 2 dimensions"):
        m.total(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="must be a numpy array of float64 with 1 dimension, not list"):
        m.total([1.0, 2.0])
    with pytest.raises(TypeError, match="not one of >f8"):
        m.total(np.zeros(3, dtype=">f8"))
    with pytest.raises(TypeError, match="total\\(a: f64\\[:\\]\\) -> f64"):
        m.total(np.zeros(3, dtype=np.float32))


def test_read_only_arrays(m):
    a = np.arange(5.0)
    a.flags.writeable = False
    assert m.total(a) == 10.0  # read: fine
    with pytest.raises(TypeError, match="read-only array, and 'fill' may write its parameter 'a'"):
        m.fill(a, 1.0)
    assert a.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    v = m.middle(a)  # a view of it comes back read-only, as numpy's views do
    assert ptr(v) == ptr(a) + 8 and not v.flags.writeable
    with pytest.raises(ValueError):
        v[0] = 1.0


def test_big_array_is_not_copied(mode):
    # issue 17: 10^8 f64 in and out, no copy. 10^7 by default (80 MB); KESTREL_PY_BIG=1: 10^8.
    n = 10**8 if os.environ.get("KESTREL_PY_BIG") else 10**7
    m = kestrel.compile("fn ident(a: f64[:]) -> f64[:] {\n    return a\n}\n", mode=mode)
    a = np.ones(n)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    r = m.ident(a)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert ptr(r) == ptr(a)
    assert after - before < a.nbytes // 10, (before, after)


def test_results_go_back_in_and_aliasing(m):
    r = m.make(5)
    assert m.total(r) == 5.0  # a Kestrel result passed straight back
    v = m.middle(m.middle(r))  # views of views, over Kestrel's memory
    assert v.tolist() == [1.0] and ptr(v) == ptr(r) + 16
    del r
    gc.collect()
    assert v.tolist() == [1.0]
    a = np.arange(4.0)
    m.fill(a[1:3], 7.0)  # a view of a numpy array: writes land in a
    assert a.tolist() == [0.0, 7.0, 7.0, 3.0]


def test_function_outlives_its_module(mode):
    f = kestrel.compile("fn twice(a: f64[:]) -> f64[:] {\n    return a * 2.0\n}\n", mode=mode).twice
    gc.collect()
    assert f(np.arange(3.0)).tolist() == [0.0, 2.0, 4.0]


def test_negative_strides_come_in_without_a_copy(m, mode):
    # numpy's a[::-1] and x[::-1, ::2] are views with negative strides: Kestrel reads and writes
    # them in place, and a view it returns of one is a view of the same memory.
    a = np.arange(5.0)
    r = a[::-1]
    assert m.total(r) == 10.0
    m.fill(r[1:3], 7.0)
    assert a.tolist() == [0.0, 1.0, 7.0, 7.0, 4.0]
    v = m.middle(r)
    assert v.tolist() == [7.0, 7.0, 1.0] and np.shares_memory(v, a) and v.strides == (-8,)
    x = np.arange(12.0).reshape(3, 4)
    assert m.col(x[::-1, ::-2], 0).tolist() == [11.0, 7.0, 3.0]
    a.flags.writeable = False
    w = m.middle(a[::-1])  # a view of a read-only array: read-only, below the pointer passed too
    assert not w.flags.writeable


def test_negative_stride_view_goes_out_as_a_view(mode):
    # a[::-1] and m[::-1, ::2] are views with negative strides: numpy sees the same memory.
    m = kestrel.compile(
        "fn rev(a: f64[:]) -> f64[:] {\n    return a[::-1]\n}\n"
        "fn flip(m: f64[:, :]) -> f64[:, :] {\n    return m[::-1, ::2]\n}\n",
        mode=mode,
    )
    a = np.arange(5.0)
    r = m.rev(a)
    assert r.tolist() == [4.0, 3.0, 2.0, 1.0, 0.0] and r.strides == (-8,)
    assert ptr(r) == ptr(a) + 32
    r[0] = 9.0
    assert a[4] == 9.0
    x = np.arange(12.0).reshape(3, 4)
    f = m.flip(x)
    assert f.tolist() == [[8.0, 10.0], [4.0, 6.0], [0.0, 2.0]]
    assert np.shares_memory(f, x)
