"""A serving process freezes what it keeps once loaded, and a later pass frees what an old store
version left behind (heap.py): nothing frozen is ever kept for good."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from flask import Flask

from mappa_kb.web import heap


class _Node:
    other: object


@pytest.fixture
def app() -> Iterator[Flask]:
    app = Flask(__name__)
    app.config[heap.ENABLED] = True
    yield app
    gc.unfreeze()  # leave the test process as it was


def test_what_lives_is_frozen_and_cyclic_garbage_of_before_is_freed_by_the_next_pass(app: Flask) -> None:
    node = _Node()
    node.other = node  # a cycle: only the collector can free it
    alive = weakref.ref(node)
    heap.settle(app)
    assert gc.get_freeze_count() > 0
    del node
    gc.collect()
    assert alive() is not None  # frozen: out of the collector's reach
    heap.settle(app)  # as after a swap, once the old version is closed
    assert alive() is None


def test_a_process_that_does_not_settle_is_left_alone() -> None:
    app = Flask(__name__)
    before = gc.get_freeze_count()
    heap.settle(app)
    assert gc.get_freeze_count() == before
