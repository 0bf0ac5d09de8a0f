"""The Alembic migrations produce exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from kefu.db import null_pool_engine
from kefu.models import Base
from kefu.search.schema import include_name


async def test_models_and_migrations_agree(database_url: str) -> None:
    engine = null_pool_engine(database_url)

    def diff(connection: Connection) -> list[object]:
        # The search index's tables are raw DDL, not models (kefu/search/schema.py).
        opts = {"compare_type": True, "include_name": include_name}
        context = MigrationContext.configure(connection, opts=opts)
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    await engine.dispose()
    assert differences == []
