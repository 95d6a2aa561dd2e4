"""A bounded cache of finished answers, keyed by the question and the committed documents.

Workshops and FAQ-style traffic repeat the same questions; the grounded composer is
deterministic, so a repeated question over the same committed documents has the same answer.
The key includes every store's committed (doc_id, version) pairs, so an ingest, an upload or a
deletion — by this worker or, within the manifest TTL, by another one — changes the key and old
answers are simply never looked up again. Nothing here must be shared between workers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from advisor.models import Answer


class AnswerCache:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Hashable, Answer] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Answer | None:
        if self.capacity <= 0:
            return None
        with self._lock:
            answer = self._items.get(key)
            if answer is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
        return answer.model_copy(deep=True)

    def put(self, key: Hashable, answer: Answer) -> None:
        if self.capacity <= 0:
            return
        with self._lock:
            self._items[key] = answer.model_copy(deep=True)
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
