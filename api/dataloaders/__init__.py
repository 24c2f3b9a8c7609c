"""Per-request DataLoaders. One batch function per access pattern, each a plain
``(session, keys) -> list[value]`` so it can be reused outside GraphQL; ``Loaders.get`` wraps it
in a strawberry DataLoader cached for the request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.dataloader import DataLoader

BatchFn = Callable[[Session, Sequence[Any]], list[Any]]


class Loaders:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._loaders: dict[BatchFn, DataLoader] = {}

    def get(self, batch: BatchFn) -> DataLoader:
        loader = self._loaders.get(batch)
        if loader is None:
            session = self.session

            async def load(keys: list[Any]) -> list[Any]:
                return batch(session, keys)

            loader = DataLoader(load_fn=load)
            self._loaders[batch] = loader
        return loader


def group_by(
    rows: Sequence[Any], key: Callable[[Any], Hashable], keys: Sequence[Hashable]
) -> list[list[Any]]:
    """Group ``rows`` by ``key`` and return one list per requested key, in the keys' order."""
    buckets: dict[Hashable, list[Any]] = defaultdict(list)
    for row in rows:
        buckets[key(row)].append(row)
    return [buckets.get(k, []) for k in keys]


def by_id(session: Session, model: type, keys: Sequence[int]) -> list[Any]:
    """Load ``model`` rows by primary key, one SELECT, in the keys' order (None where missing)."""
    rows = session.scalars(select(model).where(model.id.in_(set(keys)))).all()
    found = {r.id: r for r in rows}
    return [found.get(k) for k in keys]
