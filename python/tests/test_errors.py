# Kestrel errors as kestrel.Error: an Exception carrying file, line, col and the message, with
# the rendered diagnostics as str(e); raised for compile errors, runtime errors and bad loads.
import numpy as np
import pytest

import kestrel

RUNTIME = """fn at(a: f64[:], i: i64) -> f64 {
    return a[i]
}
"""


def test_is_an_exception():
    assert issubclass(kestrel.Error, Exception)
    assert not issubclass(kestrel.Error, TypeError)


def test_runtime_error_has_its_location(mode):
    m = kestrel.compile(RUNTIME, mode=mode, name="prog.kst")
    with pytest.raises(kestrel.Error) as e:
        m.at(np.zeros(3), 5)
    err = e.value
    assert (err.file, err.line, err.col) == ("prog.kst", 2, 12)
    assert err.message == "index 5 is out of bounds for axis 0 with size 3"
    assert str(err).startswith("prog.kst:2:12: error: index 5 is out of bounds")
    assert "return a[i]" in str(err) and "^" in str(err)  # the source line and a caret
    # the module still works after an error
    assert m.at(np.arange(3.0), 2) == 2.0


def test_compile_error_has_its_location():
    with pytest.raises(kestrel.Error) as e:
        kestrel.compile("fn f() -> i64 {\n    return 1.5\n}\n", name="bad.kst")
    err = e.value
    assert err.file == "bad.kst" and err.line == 2 and err.col > 0
    assert str(err).startswith("bad.kst:2:")
    assert err.error_count == 1


def test_load_errors(tmp_path, root):
    bad = tmp_path / "two.kst"
    bad.write_text("fn f() -> i64 {\n    return x\n}\nfn g() -> i64 {\n    return y\n}\n")
    with pytest.raises(kestrel.Error) as e:
        kestrel.load(str(bad))
    assert e.value.file == str(bad) and e.value.line == 2 and e.value.error_count == 2
    assert str(bad) + ":5:" in str(e.value)  # every diagnostic in the text


def test_error_without_location(tmp_path):
    with pytest.raises(kestrel.Error) as e:
        kestrel.load(str(tmp_path / "missing.kst"))
    err = e.value
    assert (err.file, err.line, err.col) == (None, None, None)
    assert err.message.startswith("cannot read ") and str(err).startswith("error: cannot read ")
