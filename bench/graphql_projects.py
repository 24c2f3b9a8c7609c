"""Benchmark: the GraphQL list query of 100 projects with nested budget lines.

Two budgets from DESIGN.md section 8:
- the SQL statement count does not grow with page size (10 projects vs 100);
- latency <= 1.5x graphql-core executing the same query over pre-loaded plain objects (the
  query's own result, as dicts, through a schema built from schema.graphql with default resolvers).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graphql import build_schema, graphql_sync  # noqa: E402
from sqlalchemy import event  # noqa: E402
from starlette.requests import Request  # noqa: E402

from api.context import Context  # noqa: E402
from api.schema import schema  # noqa: E402
from models.audit import sessions_acting_as  # noqa: E402
from models.db import make_engine, make_sessionmaker, migrate  # noqa: E402
from models.policy import ALL_ADMIN, COMMAND_LINE  # noqa: E402
from models.users import User, create_user  # noqa: E402
from tests.test_no_n_plus_one import build  # noqa: E402

LIMIT = 1.5
PROJECTS = 100
QUERY = """
query($first: Int!) {
  projects(first: $first) {
    totalCount
    nodes {
      id number name
      sync { status originId }
      budget {
        locked
        totals { originalAmount revisedAmount }
        lines { id description originalAmount modificationsAmount revisedAmount
                costCode { code } costType { code } subJob { number } }
      }
    }
  }
}
"""


# One event loop for every query, as a server has: a loop per query (asyncio.run) would add its own
# set-up, and its SIGINT handling formats the finished task, result included, twice per run.
LOOP = asyncio.new_event_loop()


def run_query(factory, user_id: int, first: int) -> dict:
    session = factory()
    try:
        user = session.get(User, user_id)
        request = Request({"type": "http", "method": "POST", "path": "/graphql", "headers": []})
        context = Context(request=request, response=None, session=session, actor=user)
        result = LOOP.run_until_complete(
            schema.execute(QUERY, variable_values={"first": first}, context_value=context)
        )
        assert not result.errors, result.errors
        return result.data
    finally:
        session.close()


def best_of(fns, repeat: int = 15) -> list[tuple[float, float]]:
    """(best, median) seconds of each function, run in turns: other load on the machine weighs on
    each alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, found in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            found.append(time.perf_counter() - start)
    return [(min(t), statistics.median(t)) for t in times]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate(engine)
        factory = sessions_acting_as(make_sessionmaker(engine), COMMAND_LINE)
        build(factory, 0, PROJECTS)
        with factory() as s:
            user = create_user(s, COMMAND_LINE, name="Bench", email="bench@example.com", levels=ALL_ADMIN)
            s.commit()
            user_id = user.id

        counts = {}
        for first in (10, PROJECTS):
            statements: list[str] = []

            def listener(_conn, _cursor, statement, *_args, _seen=statements):
                _seen.append(statement)

            event.listen(engine, "before_cursor_execute", listener)
            run_query(factory, user_id, first)
            event.remove(engine, "before_cursor_execute", listener)
            counts[first] = len(statements)
        print(f"SQL statements: {counts[10]} at 10 projects, {counts[PROJECTS]} at {PROJECTS}")

        data = run_query(factory, user_id, PROJECTS)
        lines = sum(len(n["budget"]["lines"]) for n in data["projects"]["nodes"])
        plain = build_schema((ROOT / "schema.graphql").read_text())
        preloaded = json.loads(json.dumps(data))

        def baseline():
            result = graphql_sync(plain, QUERY, root_value=preloaded, variable_values={"first": PROJECTS})
            assert not result.errors, result.errors

        (ours_best, ours_median), (base_best, base_median) = best_of(
            [lambda: run_query(factory, user_id, PROJECTS), baseline]
        )
        engine.dispose()

    print(f"{PROJECTS} projects, {lines} budget lines")
    print(f"costbridge   best {ours_best * 1000:8.1f} ms  median {ours_median * 1000:8.1f} ms")
    print(f"graphql-core best {base_best * 1000:8.1f} ms  median {base_median * 1000:8.1f} ms")
    flat = "flat" if counts[10] == counts[PROJECTS] else "GROWS"
    print(f"ratio {ours_best / base_best:.2f} (limit {LIMIT}); statements {flat}")


if __name__ == "__main__":
    main()
