"""Per-request loaders. One batch function per access pattern, each a plain
``(session, keys) -> list[value]`` in the keys' order, so it can be reused outside GraphQL.

Two ways to call one:

- ``Loaders.load(batch, key)``: synchronous, batched by siblings. A batch function declares with
  ``@keys_from((Model, "attr"), ...)`` which already-loaded rows hold its keys; on a cache miss the
  loader fetches the key asked for plus the keys of every such row this request has loaded, in one
  call. A page of 100 projects therefore costs one query per level of nesting, and the resolvers
  stay plain functions: an async resolver per list item costs graphql-core far more than the SQL.
- ``Loaders.get(batch)``: a strawberry DataLoader, for keys no row holds (e.g. paged children).

List reads load plain rows (SQLAlchemy Core, ``rows_of``), not ORM entities: the columns a type
shows, without the identity map, change tracking or the JSON columns nobody asked for (a record's
sync messages are read by their own loader, when selected). A batch function that loads rows
hands them to ``Loaders.remember`` so that their siblings' keys are found as for entities; the
objects made from them are kept per request (``Loaders.by_id``), so a cost code or sub job
shown on 600 lines is made once, and a line reaches it with one dictionary lookup.
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from collections.abc import Callable, Hashable, Iterable, Sequence
from operator import attrgetter
from typing import Any

from sqlalchemy import any_, event, inspect, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from strawberry.dataloader import DataLoader

BatchFn = Callable[[Session, Sequence[Any]], list[Any]]
KeyOf = Callable[[Any], Hashable | None]

# batch function -> [(model whose loaded rows hold keys, how to read the key from a row)]
KEY_SOURCES: dict[BatchFn, list[tuple[type, KeyOf]]] = {}

# columns list reads leave out: the ERP's messages (JSON decoded for every row, shown rarely: their
# own loader reads them) and the row stamps no listed type shows
LEFT_OUT_COLUMNS = frozenset({"sync_messages", "created_at", "updated_at"})
_COLUMNS: dict[type, tuple[Any, ...]] = {}


def row_columns(model: type[Any]) -> tuple[Any, ...]:
    """The ORM attributes a list read selects for ``model``: every column but the heavy ones, so a
    row answers ``row.number``, ``row.sync_status`` ... like an entity."""
    found = _COLUMNS.get(model)
    if found is None:
        attrs = inspect(model).column_attrs
        found = _COLUMNS[model] = tuple(getattr(model, a.key) for a in attrs if a.key not in LEFT_OUT_COLUMNS)
    return found


_SELECTS: dict[type, Any] = {}


def rows_of(model: type[Any]):
    """``SELECT`` of a model's list-read columns (add ``where``/``order_by``). Built once per model:
    a statement is immutable (``where`` answers a new one), and building the column list anew costs
    about 80 coercions per read."""
    found = _SELECTS.get(model)
    if found is None:
        found = _SELECTS[model] = select(*row_columns(model))
    return found


def key_in(session: Session, column: Any, keys: Iterable[Any]) -> Any:
    """``column IN keys``. On PostgreSQL ``column = ANY(array)``: one parameter however many keys,
    so the statement's text is the same for every page (the driver and the server prepare it
    once) instead of a hundred placeholders parsed anew."""
    wanted = list(set(keys))
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(wanted, ARRAY(column.type)))
    return column.in_(wanted)


# the named tuple class of each shape of plain row read (column names), None where the names cannot
# be tuple fields; bounded by the statements the code writes
_ROW_CLASSES: dict[tuple[str, ...], Any] = {}


def _row_class(keys: tuple[str, ...]) -> Any:
    try:
        return _ROW_CLASSES[keys]
    except KeyError:
        pass
    try:
        _ROW_CLASSES[keys] = namedtuple("PlainRow", keys)  # noqa: PYI024
    except ValueError:  # a name starting with "_", a keyword, a repeated name
        _ROW_CLASSES[keys] = None
    return _ROW_CLASSES[keys]


def read_rows(session: Session, stmt: Any) -> list[Any]:
    """The rows of a plain ``SELECT`` (``rows_of``), executed on the session's connection: the
    same values and column types as ``session.execute`` without the ORM's result processing, which
    costs a few microseconds a row; fetched at once (not a driver call per row). Each row is a named
    tuple (``row.number``, ``row[0]``): reading a field of a SQLAlchemy ``Row`` by name costs about
    half a microsecond, and a list of 663 budget lines reads 15 of them per line. Pending changes
    are flushed first, as the ORM would."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    result = session.connection().execute(stmt)
    row_class = _row_class(tuple(result.keys()))
    rows = result.all()
    if row_class is None:
        return list(rows)
    return list(map(row_class._make, rows))


# batch function -> the model whose plain rows it returns (registered as seen, see ``remember``)
ROW_MODELS: dict[BatchFn, type] = {}


def returns_rows(model: type):
    """Declare that a batch function returns plain rows of ``model`` (one, None or a list per key)."""

    def wrap(batch: BatchFn) -> BatchFn:
        ROW_MODELS[batch] = model
        return batch

    return wrap


def keys_from(*sources: tuple[type, str | KeyOf]):
    """Declare the rows that carry a batch function's keys: ``(BudgetLine, "cost_code_id")``."""

    def wrap(batch: BatchFn) -> BatchFn:
        KEY_SOURCES[batch] = [
            (model, attrgetter(key) if isinstance(key, str) else key) for model, key in sources
        ]
        return batch

    return wrap


class SiblingLoader:
    def __init__(self, loaders: Loaders, batch: BatchFn) -> None:
        self.loaders = loaders
        self.batch = batch
        self.sources = KEY_SOURCES.get(batch, [])
        self.cache: dict[Hashable, Any] = {}
        self.scanned: dict[type, int] = {}

    def load(self, key: Hashable) -> Any:
        try:
            return self.cache[key]
        except KeyError:
            pass
        keys: dict[Hashable, None] = {key: None}
        for model, key_of in self.sources:
            rows = self.loaders.seen(model)
            for row in rows[self.scanned.get(model, 0) :]:
                sibling = key_of(row)
                if sibling is not None and sibling not in self.cache:
                    keys[sibling] = None
            self.scanned[model] = len(rows)
        wanted = list(keys)
        values = self.batch(self.loaders.session, wanted)
        row_model = ROW_MODELS.get(self.batch)
        if row_model is not None:
            for value in values:
                if isinstance(value, list):
                    self.loaders.remember(row_model, value)
                elif value is not None:
                    self.loaders.remember(row_model, [value])
        self.cache.update(zip(wanted, values, strict=True))
        return self.cache[key]


class ById(dict):
    """``{id: object}`` filled on first use of each id by ``make(loaders, id)``: the objects a
    request shows by reference (a line's cost code, cost type, sub job), one lookup each time they
    are shown."""

    __slots__ = ("loaders", "make")

    def __init__(self, loaders: Loaders, make: Callable[[Loaders, Any], Any]) -> None:
        super().__init__()
        self.loaders = loaders
        self.make = make

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.make(self.loaders, key)
        return value


class Loaders:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._loaders: dict[BatchFn, DataLoader] = {}
        self._siblings: dict[BatchFn, SiblingLoader] = {}
        self._tables: dict[type, dict[int, Any]] = {}
        self._derived: dict[Hashable, Any] = {}
        self._by_id: dict[type, ById] = {}
        # Rows this request loaded, by model: where sibling keys come from. Holding them also keeps
        # them alive (the session's identity map is weak) until the response is built.
        self._seen: dict[type, list[Any]] = defaultdict(list)
        event.listen(session, "loaded_as_persistent", self._remember)

    def _remember(self, _session: Session, instance: Any) -> None:
        self._seen[type(instance)].append(instance)

    def remember(self, model: type, rows: Sequence[Any]) -> Sequence[Any]:
        """Plain rows of ``model`` this request loaded: their keys are siblings like an entity's."""
        self._seen[model].extend(rows)
        return rows

    def seen(self, model: type) -> list[Any]:
        return self._seen[model]

    def by_id(self, kind: type, make: Callable[[Loaders, Any], Any]) -> ById:
        """The request's ``{id: kind object}``, each made by ``make(self, id)`` when first asked for."""
        found = self._by_id.get(kind)
        if found is None:
            found = self._by_id[kind] = ById(self, make)
        return found

    def derived(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()``, once per request for ``key`` (e.g. a budget's net modifications by line)."""
        found = self._derived.get(key)
        if found is None:
            found = self._derived[key] = compute()
        return found

    def load(self, batch: BatchFn, key: Hashable) -> Any:
        loader = self._siblings.get(batch)
        if loader is None:
            loader = self._siblings[batch] = SiblingLoader(self, batch)
        return loader.load(key)

    def get(self, batch: BatchFn) -> DataLoader:
        loader = self._loaders.get(batch)
        if loader is None:
            session = self.session

            async def load(keys: list[Any]) -> list[Any]:
                return batch(session, keys)

            loader = DataLoader(load_fn=load)
            self._loaders[batch] = loader
        return loader

    def table(self, model: type[Any]) -> dict[int, Any]:
        """Every row of a small company-wide list (cost codes, cost types) by id, as plain rows,
        one SELECT per request."""
        rows = self._tables.get(model)
        if rows is None:
            rows = {row.id: row for row in read_rows(self.session, rows_of(model))}
            self._tables[model] = rows
        return rows


def group_by(
    rows: Sequence[Any], key: Callable[[Any], Hashable], keys: Sequence[Hashable]
) -> list[list[Any]]:
    """Group ``rows`` by ``key`` and return one list per requested key, in the keys' order."""
    buckets: dict[Hashable, list[Any]] = defaultdict(list)
    for row in rows:
        buckets[key(row)].append(row)
    return [buckets.get(k, []) for k in keys]


def by_id(session: Session, model: type[Any], keys: Sequence[int]) -> list[Any]:
    """Load ``model`` rows by primary key, one SELECT, in the keys' order (None where missing)."""
    rows: Sequence[Any] = session.scalars(select(model).where(key_in(session, model.id, keys))).all()
    found = {r.id: r for r in rows}
    return [found.get(k) for k in keys]


def rows_by_id(session: Session, model: type[Any], keys: Sequence[int]) -> list[Any]:
    """``by_id`` as plain rows (``rows_of``)."""
    found = {r.id: r for r in read_rows(session, rows_of(model).where(key_in(session, model.id, keys)))}
    return [found.get(k) for k in keys]
