from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ContactBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str | None
