"""The fair-use table: a token bucket and a running count per client, shared by forked processes."""

from __future__ import annotations

import multiprocessing

from mappa_kb.web.fair_use import FORGET_AFTER, UNCOUNTED, ClientTable


def test_a_client_gets_its_rate_and_waits_for_the_next_token() -> None:
    table = ClientTable(per_minute=3, concurrent=100)
    for _ in range(3):
        assert table.admit("10.0.0.1", now=1000.0) is None
        table.finished("10.0.0.1")
    refusal = table.admit("10.0.0.1", now=1000.0)
    assert refusal is not None and refusal.reason == "rate" and refusal.retry_after == 20.0
    assert table.admit("10.0.0.2", now=1000.0) is None  # another client has its own bucket
    assert table.admit("10.0.0.1", now=1020.0) is None  # one token back after 20 s


def test_a_client_may_run_only_so_many_at_once() -> None:
    table = ClientTable(per_minute=0, concurrent=2)
    assert table.admit("a", now=1.0) is None and table.admit("a", now=1.0) is None
    refusal = table.admit("a", now=1.0)
    assert refusal is not None and (refusal.reason, refusal.running) == ("concurrent", 2)
    table.finished("a")
    assert table.admit("a", now=2.0) is None


def _use_the_rate(table: ClientTable) -> None:
    for _ in range(4):
        table.admit("203.0.113.9", now=50.0)


def test_processes_forked_after_the_table_is_made_share_it() -> None:
    table = ClientTable(per_minute=4, concurrent=100)
    child = multiprocessing.get_context("fork").Process(target=_use_the_rate, args=(table,))
    child.start()
    child.join(10)
    refusal = table.admit("203.0.113.9", now=50.0)
    assert refusal is not None and refusal.reason == "rate"


def test_a_full_table_admits_rather_than_refuses_and_quiet_clients_make_room() -> None:
    table = ClientTable(per_minute=1, concurrent=1, slots=4)
    for client in "abcd":
        assert table.admit(client, now=0.0) is None  # each now running one query, the table full
    assert table.admit("e", now=1.0) is UNCOUNTED  # no place to count it: admitted, not refused
    for client in "abcd":
        table.finished(client)
    assert table.admit("f", now=FORGET_AFTER + 1) is None  # a quiet client's place is given to f
    table.finished("f")
    assert table.admit("f", now=FORGET_AFTER + 1).reason == "rate"  # and f is counted there


def test_counts_left_by_a_process_that_died_mid_query_expire() -> None:
    table = ClientTable(per_minute=0, concurrent=1, stale_after=10.0)
    assert table.admit("a", now=0.0) is None  # and never finished: its process died
    assert table.admit("a", now=5.0).reason == "concurrent"
    assert table.admit("a", now=11.0) is None  # the lost count has expired
