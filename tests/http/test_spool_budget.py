"""Page spools share one in-memory byte budget: concurrent walks never hold more than it."""

from __future__ import annotations

import gc
import json
import threading
import tracemalloc

import pytest

from tap_miso.http import page_spool
from tap_miso.http.page_spool import PageSpool, SpoolBudget

from .conftest import json_response, script
from .test_paging import PATH, URL_PATH, envelope


def body(walk: int, number: int, size: int) -> bytes:
    """A distinct page body of ``size`` bytes."""
    head = f"walk {walk} page {number} ".encode()
    return head + b"x" * (size - len(head))


def test_concurrent_spools_hold_at_most_the_budget_in_memory():
    walks, pages, size, limit = 8, 20, 50_000, 400_000  # 8 MB spooled, 400 kB budget
    budget = SpoolBudget(limit)
    spools = [PageSpool(budget=budget) for _ in range(walks)]
    start = threading.Barrier(walks)

    def walk(i: int) -> None:
        start.wait()
        for n in range(pages):
            spools[i].append(body(i, n, size))

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        threads = [threading.Thread(target=walk, args=(i,)) for i in range(walks)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # The spools (all alive) hold 8 MB of pages; the heap keeps only the budget's worth.
    assert held < limit + 150_000, held
    assert budget.peak <= limit
    assert sum(s.in_memory for s in spools) == budget.used <= limit
    assert sum(s.on_disk for s in spools) >= walks - limit // (pages * size) - 1
    for i, spool in enumerate(spools):
        assert list(spool) == [body(i, n, size) for n in range(pages)]
        spool.close()
    assert budget.used == 0


def test_budget_comes_back_on_close_disk_move_and_collection():
    budget = SpoolBudget(1000)
    a, b = PageSpool(budget=budget), PageSpool(budget=budget)
    a.extend([b"a" * 300, b"a" * 300])
    b.append(b"b" * 300)
    assert (budget.used, a.on_disk, b.on_disk) == (900, False, False)
    b.append(b"b" * 300)  # does not fit: b moves to disk and returns its 300
    assert (budget.used, b.on_disk, b.in_memory) == (600, True, 0)
    assert list(b) == [b"b" * 300, b"b" * 300]
    a.close()
    assert budget.used == 0
    with pytest.raises(ValueError, match="closed page spool"):
        list(a)
    c = PageSpool(budget=budget)
    c.append(b"c" * 700)
    assert budget.used == 700
    del c
    gc.collect()
    assert budget.used == 0  # a dropped spool gives its memory back
    b.close()


def test_per_spool_cap_applies_within_the_budget():
    budget = SpoolBudget(10_000)
    spool = PageSpool(max_memory=500, budget=budget)
    spool.extend([b"p" * 200] * 3)
    assert spool.on_disk and budget.used == 0
    assert list(spool) == [b"p" * 200] * 3 and spool.nbytes == 600 and len(spool) == 3


def test_concurrent_client_walks_respect_the_shared_budget(httpserver, make_client,
                                                            monkeypatch):
    budget = SpoolBudget(30_000)
    monkeypatch.setattr(page_spool, "SHARED_BUDGET", budget)
    padding = "y" * 9_000  # ~9 kB pages, 4 per walk, 6 walks: ~220 kB in all

    def handler(request):
        number = int(request.args["pageNumber"])
        walk = request.args["node"]
        data = [{"node": walk, "n": number, "pad": padding}]
        return json_response(envelope(data, number, 4, 4))

    script(httpserver, URL_PATH, handler)
    client = make_client(pricing_keys=("KEY-BUDGET-1",), max_concurrent_requests=6)
    results: dict[int, PageSpool] = {}

    def walk(i: int) -> None:
        results[i] = client.data_exchange_spool("pricing", PATH, {"node": f"W{i}"})

    threads = [threading.Thread(target=walk, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == list(range(6))
    assert budget.peak <= budget.limit and budget.used <= budget.limit
    assert any(s.on_disk for s in results.values())
    for i, spool in results.items():
        assert [(r["node"], r["n"]) for b in spool for r in json.loads(b)["data"]] == [
            (f"W{i}", n) for n in range(1, 5)
        ]
