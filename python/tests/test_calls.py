# Calling Kestrel functions from Python: scalars, str and tuples across, signatures checked
# (TypeError naming the Kestrel signature), names looked up as attributes, options.
import numpy as np
import pytest

import kestrel

SOURCE = """
import fibonacci

fn fib(n: i64) -> i64 {
    return fibonacci.fib(n)
}
fn mix(a: i32, b: f32, c: bool, d: f64) -> f64 {
    if c {
        return f64(a) + f64(b) * d
    }
    return -1.0
}
fn pair(x: f64) -> (i64, (f64, bool), str) {
    return (i64(x), (x * 2.0, x > 1.0), "big")
}
fn greet(name: str) -> str {
    return "hello " + name
}
fn shout(name: str, n: i64) -> (str, i64) {
    var s = ""
    for i in 0..n {
        s += name + "!"
    }
    return (s, n)
}
fn total_of(path: str, column: str) -> f64 {
    return sum(read_csv(path).f64(column))
}
fn label(x: i64) -> str {
    if x > 0 {
        return "positive"
    }
    return "not positive"
}
fn nothing(x: i64) {
    let y = x + 1
}
fn truth(x: i64) -> bool {
    return x > 0
}
fn tiny(x: f32) -> f32 {
    return x
}
"""


@pytest.fixture
def m(mode):
    return kestrel.compile(SOURCE, mode=mode)


def test_scalars_in_and_out(m):
    assert m.fib(20) == 6765
    assert m.mix(2, 0.5, True, 4.0) == 4.0
    assert m.mix(2, 0.5, False, 4.0) == -1.0
    assert m.truth(3) is True and m.truth(-3) is False
    assert m.nothing(1) is None
    # f32 rounds as Kestrel's f32 does
    assert m.tiny(0.1) == float(np.float32(0.1))


def test_numpy_scalars_and_ints_as_floats(m):
    assert m.fib(np.int64(10)) == 55
    assert m.fib(np.int32(10)) == 55
    assert m.mix(np.int32(1), np.float32(0.5), np.bool_(True), 2) == 2.0


def test_tuples_and_str(m):
    assert m.pair(1.5) == (1, (3.0, True), "big")
    assert m.label(3) == "positive" and m.label(0) == "not positive"


def test_wrong_count_names_the_signature(m):
    with pytest.raises(TypeError) as e:
        m.fib()
    assert "fib(n: i64) -> i64" in str(e.value) and "takes 1 argument, got 0" in str(e.value)
    with pytest.raises(TypeError, match=r"takes 1 argument, got 2"):
        m.fib(1, 2)


@pytest.mark.parametrize(
    "args, what",
    [
        ((1.5,), "argument 1 \\('n: i64'\\) must be an int, not float"),
        (("3",), "must be an int, not str"),
        ((True,), "must be an int, not bool"),
        ((np.zeros(3),), "must be an int, not ndarray"),
    ],
)
def test_wrong_type_names_the_signature(m, args, what):
    with pytest.raises(TypeError, match=what) as e:
        m.fib(*args)
    assert str(e.value).startswith("fib(n: i64) -> i64: ")


def test_bool_and_str_parameters_are_strict(m):
    with pytest.raises(TypeError, match=r"argument 3 \('c: bool'\) must be a bool, not int"):
        m.mix(1, 1.0, 1, 1.0)
    with pytest.raises(TypeError, match="must be a float or an int, not str"):
        m.mix(1, "1", True, 1.0)
    with pytest.raises(TypeError, match=r"argument 1 \('name: str'\) must be a str, not bytes"):
        m.greet(b"numpy")


def test_str_parameters(m, tmp_path):
    assert m.greet("numpy") == "hello numpy"
    assert m.greet("") == "hello "
    assert m.greet("héllo ✓") == "hello héllo ✓"  # UTF-8 both ways
    assert m.shout("a", 3) == ("a!a!a!", 3)
    path = tmp_path / "t.csv"
    path.write_text("k,v\na,1.5\nb,2\n")
    assert m.total_of(str(path), "v") == 3.5
    with pytest.raises(kestrel.Error, match="cannot open"):
        m.total_of(str(tmp_path / "missing.csv"), "v")


def test_integer_range(m):
    with pytest.raises(OverflowError, match="does not fit in i32"):
        m.mix(2**31, 1.0, True, 1.0)
    with pytest.raises(OverflowError, match="does not fit in i64"):
        m.fib(2**63)
    assert m.mix(-(2**31), 0.0, True, 0.0) == -(2.0**31)


def test_names(m):
    assert {"fib", "mix", "pair", "fibonacci"} <= set(dir(m))
    assert m.fib.signature == "fib(n: i64) -> i64"
    assert "fibonacci.fib_rec(n: i64) -> i64" in m.signatures()
    # an import's functions under its name
    assert m.fibonacci.fib_rec(15) == 610
    assert "fib_rec" in dir(m.fibonacci)
    with pytest.raises(AttributeError, match="has no function 'fob'; it has: .*fib"):
        m.fob
    with pytest.raises(AttributeError, match="no function 'fibonacci.nope'"):
        m.fibonacci.nope
    assert m.fib is m.fib  # bound once


def test_options():
    m = kestrel.compile("fn f(x: i64) -> i64 {\n    return x * 2\n}\n", mode="interp", threads=2)
    assert m.f(21) == 42
    with pytest.raises(ValueError, match="mode must be"):
        kestrel.compile("fn f() {\n}\n", mode="fast")
    with pytest.raises(ValueError, match="threads must be"):
        kestrel.compile("fn f() {\n}\n", threads=-1)
    with pytest.raises(ValueError, match="target must be"):
        kestrel.compile("fn f() {\n}\n", target="tpu")
    with pytest.raises(TypeError):
        kestrel.compile("fn f() {\n}\n", "jit")  # options are keywords


def test_load_a_file(root, mode):
    m = kestrel.load(str(root / "stdlib" / "montecarlo.kst"), mode=mode)
    p = m.pi(200000, 42)
    assert abs(p - 3.14159) < 0.02
    # the same (n, seed) gives the same bits in every mode
    assert p == kestrel.load(str(root / "stdlib" / "montecarlo.kst"), mode="interp").pi(200000, 42)


def test_target_gpu_on_the_emulated_device(monkeypatch):
    # KESTREL_GPU_DEVICE=emulate: the GPU backend's code on an emulated device (no GPU needed).
    monkeypatch.setenv("KESTREL_GPU_DEVICE", "emulate")
    src = """fn vadd(a: f32[:], b: f32[:]) -> f32[:] {
    var out = zeros(len(a), f32)
    parallel for i in 0..len(a) {
        out[i] = a[i] + b[i]
    }
    return out
}
"""
    m = kestrel.compile(src, target="gpu")
    a = np.arange(5, dtype=np.float32)
    assert m.vadd(a, a).tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
    with pytest.raises(kestrel.Error, match="runs with the JIT"):
        kestrel.compile(src, target="gpu", mode="interp")
