# The GIL is released while Kestrel runs: another Python thread makes progress during a long
# call, and two Python threads may call the same function at once.
import threading
import time

import numpy as np

import kestrel

SPIN = """fn spin(n: i64) -> i64 {
    var s = 0
    for i in 0..n {
        s = (s * 31 + i) % 1000003
    }
    return s
}
fn scaled_sum(a: f64[:], k: f64) -> f64 {
    var s = 0.0
    for i in 0..len(a) {
        s += a[i] * k
    }
    return s
}
"""


def spin_for(m, seconds):
    """An n for which m.spin(n) takes about `seconds`."""
    n = 100000
    while True:
        t = time.perf_counter()
        m.spin(n)
        took = time.perf_counter() - t
        if took > seconds / 4:
            return int(n * seconds / took)
        n *= 4


def test_gil_released_during_a_call(mode):
    m = kestrel.compile(SPIN, mode=mode)
    n = spin_for(m, 0.4)
    window = {}

    def call():
        window["start"] = time.perf_counter()
        window["result"] = m.spin(n)
        window["end"] = time.perf_counter()

    t = threading.Thread(target=call)
    ticks = []
    t.start()
    while t.is_alive():
        ticks.append(time.perf_counter())
    t.join()
    start, end = window["start"], window["end"]
    assert end - start > 0.1
    # Python ran here in the middle of the call: the middle third of its window has ticks.
    third = (end - start) / 3
    inside = [x for x in ticks if start + third < x < end - third]
    assert len(inside) > 100, (len(inside), end - start)
    assert window["result"] == m.spin(n)


def test_two_threads_call_at_once(mode):
    m = kestrel.compile(SPIN, mode=mode)
    expected = {k: m.scaled_sum(np.arange(1000.0), float(k)) for k in range(8)}
    errors = []
    barrier = threading.Barrier(2)

    def worker(offset):
        a = np.arange(1000.0)
        barrier.wait()
        for i in range(200):
            k = (i + offset) % 8
            got = m.scaled_sum(a, float(k))
            if got != expected[k]:
                errors.append((k, got))

    threads = [threading.Thread(target=worker, args=(o,)) for o in (0, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_threads_share_an_array(mode):
    m = kestrel.compile("fn mid(a: f64[:]) -> f64[:] {\n    return a[1:3]\n}\n", mode=mode)
    a = np.arange(4.0)
    out = []

    def worker():
        for _ in range(500):
            out.append(m.mid(a))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 1000 and all(v.tolist() == [1.0, 2.0] for v in out)
    del out
    assert a.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_interrupt_from_another_thread(mode):
    m = kestrel.compile(SPIN, mode=mode)
    n = spin_for(m, 0.5) * 20  # about 10 s unless interrupted
    caught = []

    def call():
        try:
            m.spin(n)
        except kestrel.Error as e:
            caught.append(e)

    t = threading.Thread(target=call)
    start = time.perf_counter()
    t.start()
    time.sleep(0.2)
    m.interrupt()
    t.join()
    assert len(caught) == 1 and caught[0].message == "interrupted", caught
    assert caught[0].line == 3  # the loop it stopped in
    assert time.perf_counter() - start < 5.0
    assert m.spin(10) == m.spin(10)  # later calls run normally
