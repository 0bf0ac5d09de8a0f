from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kefu.tags.models import Tag
from kefu.tags.names import COLOUR_PATTERN

# Names are checked by the actions (trimmed, then at most 50 characters), so that a long name
# gets the tag's own error; this bound only keeps absurd bodies from being processed.
RAW_NAME_CHARS = 20_000


class TagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    colour: str


class TagCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=RAW_NAME_CHARS)
    colour: str | None = Field(default=None, pattern=COLOUR_PATTERN)


class TagUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=RAW_NAME_CHARS)
    colour: str | None = Field(default=None, pattern=COLOUR_PATTERN)


class ConversationTagsIn(BaseModel):
    """Tags to add and to remove, by name (any case); a new name joins the catalogue."""

    model_config = ConfigDict(extra="forbid")

    add: list[str] = Field(default_factory=list, max_length=30)
    remove: list[str] = Field(default_factory=list, max_length=30)

    @model_validator(mode="after")
    def _something(self) -> ConversationTagsIn:
        if not self.add and not self.remove:
            raise ValueError("give tags to add or to remove")
        return self


def tag_out(tag: Tag) -> TagOut:
    return TagOut.model_validate(tag)
