from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Scope = Literal["contact", "conversation"]
AttributeType = Literal["text", "number", "date", "list"]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,40}$")]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Option = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# What a PATCH sends for custom attributes: key -> value (None removes it); checked against the
# definitions by kefu.attributes.validation.
AttributeChanges = Annotated[
    dict[Annotated[str, Field(max_length=100)], Any], Field(max_length=100)
]


def _unique(options: list[str]) -> list[str]:
    if len(set(options)) != len(options):
        raise ValueError("options must be different from each other")
    return options


class DefinitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    scope: Scope
    key: str
    label: str
    type: AttributeType
    options: list[str]
    created_at: datetime


class DefinitionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: Scope
    key: Key
    label: Label
    type: AttributeType
    options: list[Option] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _options_fit_type(self) -> DefinitionCreate:
        if self.type == "list" and not self.options:
            raise ValueError("a list attribute needs at least one option")
        if self.type != "list" and self.options:
            raise ValueError("only list attributes have options")
        _unique(self.options)
        return self


class DefinitionUpdate(BaseModel):
    """Key, scope and type are fixed once values exist; the label and options may change."""

    model_config = ConfigDict(extra="forbid")

    label: Label | None = None
    options: list[Option] | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _options_unique(self) -> DefinitionUpdate:
        if self.options is not None:
            _unique(self.options)
        return self


class AttributesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attributes: AttributeChanges
