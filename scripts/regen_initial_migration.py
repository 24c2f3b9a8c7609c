"""Regenerate the initial Alembic revision from the models.

Only valid while no database outside development has been migrated: once a release ships,
schema changes go in new revisions (``alembic revision --autogenerate``) instead.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from models.db import MIGRATIONS_DIR, alembic_config, make_engine

INITIAL = MIGRATIONS_DIR / "versions" / "0001_initial.py"


def main() -> None:
    INITIAL.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'empty.db'}")
        cfg = alembic_config(engine)
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
    generated = next((MIGRATIONS_DIR / "versions").glob("0001_*.py"))
    if generated != INITIAL:
        generated.rename(INITIAL)
    print(f"wrote {INITIAL}")


if __name__ == "__main__":
    main()
