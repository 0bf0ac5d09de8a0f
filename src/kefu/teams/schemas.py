from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from kefu.bounds import Id


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store a NUL in text (a 500), SQLite would keep it silently.
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    member_ids: list[int] = []


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=100)
    description: Text = Field(default="", max_length=500)
    member_ids: list[Id] = Field(default_factory=list, max_length=1000)


class TeamUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text | None = Field(default=None, min_length=1, max_length=100)
    description: Text | None = Field(default=None, max_length=500)
    member_ids: list[Id] | None = Field(default=None, max_length=1000)
