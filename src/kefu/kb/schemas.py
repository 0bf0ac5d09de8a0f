"""Request and response models of the knowledge-base API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kefu.bounds import Id
from kefu.kb.markdown import MAX_BODY_CHARS

Locale = Literal["zh-TW", "en"]
Status = Literal["draft", "published"]
MAX_TITLE_CHARS = 200
MAX_QUESTIONS = 20
MAX_QUESTION_CHARS = 300
MAX_ANSWER_CHARS = 4000
MAX_CATEGORY_NAME_CHARS = 80
Slug = Annotated[str, StringConstraints(min_length=1, max_length=80)]
Position = Annotated[int, Field(ge=-100_000, le=100_000)]


class CategoryNames(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    zh_tw: str | None = Field(default=None, alias="zh-TW", max_length=MAX_CATEGORY_NAME_CHARS)
    en: str | None = Field(default=None, max_length=MAX_CATEGORY_NAME_CHARS)


class CategoryOut(BaseModel):
    id: int
    slug: str
    names: dict[str, str]
    position: int
    articles: int  # how many articles it holds (drafts included)
    updated_at: datetime


class CategoryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    names: CategoryNames
    position: Position = 0


class CategoryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug | None = None
    names: CategoryNames | None = None
    position: Position | None = None


class LocaleContent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=MAX_TITLE_CHARS)
    body: str = Field(default="", max_length=MAX_BODY_CHARS)


class LocaleContentOut(BaseModel):
    title: str
    body: str
    updated_at: datetime


class ArticleLocales(BaseModel):
    """One language's version per key; on update, `null` removes that language."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    zh_tw: LocaleContent | None = Field(default=None, alias="zh-TW")
    en: LocaleContent | None = None


class ArticleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    category_id: Id | None = None
    position: Position = 0
    status: Status = "draft"
    locales: ArticleLocales


class ArticleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Annotated[str, StringConstraints(min_length=1, max_length=120)] | None = None
    category_id: Id | None = None
    position: Position | None = None
    locales: ArticleLocales | None = None


class ArticleSummary(BaseModel):
    id: int
    slug: str
    category_id: int | None
    status: Status
    position: int
    titles: dict[str, str]
    views: int
    helpful_yes: int
    helpful_no: int
    updated_at: datetime
    published_at: datetime | None


class ArticleOut(ArticleSummary):
    locales: dict[str, LocaleContentOut]
    # The help-centre address of each language (reachable once published).
    urls: dict[str, str]


class ArticlePage(BaseModel):
    items: list[ArticleSummary]
    total: int


class QaCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locale: Locale
    questions: list[Annotated[str, Field(max_length=MAX_QUESTION_CHARS)]] = Field(
        min_length=1, max_length=MAX_QUESTIONS
    )
    answer: str = Field(max_length=MAX_ANSWER_CHARS)
    article_id: Id | None = None
    enabled: bool = True


class QaUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locale: Locale | None = None
    questions: list[Annotated[str, Field(max_length=MAX_QUESTION_CHARS)]] | None = Field(
        default=None, min_length=1, max_length=MAX_QUESTIONS
    )
    answer: str | None = Field(default=None, max_length=MAX_ANSWER_CHARS)
    article_id: Id | None = None
    enabled: bool | None = None


class QaOut(BaseModel):
    id: int
    locale: Locale
    questions: list[str]
    answer: str
    article_id: int | None
    enabled: bool
    updated_at: datetime


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(max_length=MAX_BODY_CHARS)


class PreviewOut(BaseModel):
    html: str


class SearchHit(BaseModel):
    kind: Literal["article", "qa"]
    id: int
    locale: Locale
    title: str
    snippet: str
    confidence: float
    url: str | None  # the help-centre page (articles)


class PublicHit(BaseModel):
    title: str
    snippet: str
    url: str  # a path on kefu's origin: /help/<locale>/articles/<slug>


class PublicSearchOut(BaseModel):
    results: list[PublicHit]
