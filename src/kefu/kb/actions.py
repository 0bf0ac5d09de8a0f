"""Writers for the knowledge base: categories, articles (a version per language, draft or
published) and the bot's question/answer pairs. Admins and supervisors edit; every change bumps
the KB revision (so each node rebuilds its search index) and is audited.

The actions validate their own input (the bot's learning loop and the demo loader call them
without the API's schemas)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.audit.actions import record_audit
from kefu.auth.permissions import actor_user_id
from kefu.auth.principals import AgentPrincipal, Principal, SystemPrincipal
from kefu.db import utcnow
from kefu.errors import Conflict, InvalidInput, PermissionDenied
from kefu.kb.index_cache import bump_revision
from kefu.kb.markdown import MAX_BODY_CHARS
from kefu.kb.models import KB_LOCALES, KbArticle, KbArticleLocale, KbCategory, KbQaPair
from kefu.kb.schemas import (
    MAX_ANSWER_CHARS,
    MAX_CATEGORY_NAME_CHARS,
    MAX_QUESTION_CHARS,
    MAX_QUESTIONS,
    MAX_TITLE_CHARS,
)

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# A language's (title, body); None on update removes that language.
LocaleTexts = Mapping[str, tuple[str, str] | None]


def is_editor(actor: Principal) -> bool:
    if isinstance(actor, SystemPrincipal):
        return True
    return isinstance(actor, AgentPrincipal) and actor.user.role in ("admin", "supervisor")


def require_editor(actor: Principal) -> None:
    if not is_editor(actor):
        raise PermissionDenied(
            "Only admins and supervisors edit the knowledge base.", code="kb_editors_only"
        )


def clean_slug(raw: str, *, max_length: int) -> str:
    slug = raw.strip()
    if len(slug) > max_length or not SLUG.fullmatch(slug):
        raise InvalidInput(
            "A slug is lowercase letters a-z, digits and single hyphens (e.g. opening-hours).",
            code="kb_bad_slug",
        )
    return slug


def encodable(text: str) -> bool:
    """False for text no database can store: NUL, or a lone surrogate (from JSON "\\ud800")."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean_line(raw: str, *, what: str, max_length: int) -> str:
    text = " ".join(raw.split())
    if not text:
        raise InvalidInput(f"The {what} is empty.", code="kb_empty_text", field=what)
    if len(text) > max_length:
        raise InvalidInput(
            f"The {what} is too long (at most {max_length}).",
            code="kb_text_too_long",
            field=what,
            max=max_length,
        )
    if not encodable(text) or any(unicodedata.category(ch) == "Cc" for ch in text):
        raise InvalidInput(f"The {what} contains a control character.", code="bad_text")
    return text


def _clean_body(raw: str, *, what: str, max_length: int) -> str:
    body = raw.replace("\r\n", "\n")
    if len(body) > max_length:
        raise InvalidInput(
            f"The {what} is too long (at most {max_length}).",
            code="kb_text_too_long",
            field=what,
            max=max_length,
        )
    if not encodable(body):
        raise InvalidInput(
            f"The {what} contains a character that cannot be stored.", code="bad_text"
        )
    return body


def _check_locale(locale: str) -> None:
    if locale not in KB_LOCALES:
        raise InvalidInput("The language must be zh-TW or en.", code="kb_bad_locale")


async def _flush_unique(session: AsyncSession, what: str) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"This {what} slug is already used.", code="kb_slug_taken") from exc


def _audit(
    session: AsyncSession,
    actor: Principal,
    action: str,
    kind: str,
    target_id: int,
    **details: object,
) -> None:
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action=action,
        target_type=kind,
        target_id=target_id,
        **details,
    )


# ---- categories ----


def _clean_names(names: Mapping[str, str | None]) -> dict[str, str]:
    out: dict[str, str] = {}
    for locale, name in names.items():
        _check_locale(locale)
        if name is not None and name.strip():
            out[locale] = _clean_line(
                name, what="category name", max_length=MAX_CATEGORY_NAME_CHARS
            )
    if not out:
        raise InvalidInput("A category needs a name.", code="kb_category_needs_name")
    return out


async def do_create_category(
    session: AsyncSession,
    *,
    actor: Principal,
    slug: str,
    names: Mapping[str, str | None],
    position: int = 0,
) -> KbCategory:
    require_editor(actor)
    category = KbCategory(
        slug=clean_slug(slug, max_length=80),
        names=_clean_names(names),
        position=position,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(category)
    await _flush_unique(session, "category")
    await bump_revision(session)
    _audit(session, actor, "kb.category_created", "kb_category", category.id, slug=category.slug)
    return category


async def do_update_category(
    session: AsyncSession,
    *,
    actor: Principal,
    category: KbCategory,
    slug: str | None = None,
    names: Mapping[str, str | None] | None = None,
    position: int | None = None,
) -> KbCategory:
    require_editor(actor)
    if slug is not None:
        category.slug = clean_slug(slug, max_length=80)
    if names is not None:
        category.names = _clean_names({**category.names, **names})
    if position is not None:
        category.position = position
    category.updated_at = utcnow()
    await _flush_unique(session, "category")
    await bump_revision(session)
    _audit(session, actor, "kb.category_updated", "kb_category", category.id, slug=category.slug)
    return category


async def do_delete_category(
    session: AsyncSession, *, actor: Principal, category: KbCategory
) -> None:
    """Its articles stay, without a category."""
    require_editor(actor)
    await session.execute(
        update(KbArticle).where(KbArticle.category_id == category.id).values(category_id=None)
    )
    _audit(session, actor, "kb.category_deleted", "kb_category", category.id, slug=category.slug)
    await session.delete(category)
    await bump_revision(session)


# ---- articles ----


async def _check_category(session: AsyncSession, category_id: int | None) -> None:
    if category_id is not None and await session.get(KbCategory, category_id) is None:
        raise InvalidInput("There is no such category.", code="kb_unknown_category")


def _clean_texts(locale: str, texts: tuple[str, str]) -> tuple[str, str]:
    _check_locale(locale)
    title, body = texts
    return (
        _clean_line(title, what="title", max_length=MAX_TITLE_CHARS),
        _clean_body(body, what="article body", max_length=MAX_BODY_CHARS),
    )


async def _locales_of(session: AsyncSession, article_id: int) -> dict[str, KbArticleLocale]:
    rows = await session.scalars(
        select(KbArticleLocale).where(KbArticleLocale.article_id == article_id)
    )
    return {row.locale: row for row in rows}


async def do_create_article(
    session: AsyncSession,
    *,
    actor: Principal,
    slug: str,
    locales: LocaleTexts,
    category_id: int | None = None,
    position: int = 0,
    status: str = "draft",
) -> KbArticle:
    require_editor(actor)
    texts = {loc: _clean_texts(loc, t) for loc, t in locales.items() if t is not None}
    if not texts:
        raise InvalidInput("An article needs at least one language.", code="kb_no_locale")
    if status not in ("draft", "published"):
        raise InvalidInput("The status is draft or published.", code="kb_bad_status")
    await _check_category(session, category_id)
    now = utcnow()
    article = KbArticle(
        slug=clean_slug(slug, max_length=120),
        category_id=category_id,
        position=position,
        status=status,
        author_id=actor_user_id(actor),
        created_at=now,
        updated_at=now,
        published_at=now if status == "published" else None,
    )
    session.add(article)
    await _flush_unique(session, "article")
    for locale, (title, body) in sorted(texts.items()):
        session.add(
            KbArticleLocale(
                article_id=article.id, locale=locale, title=title, body=body, updated_at=now
            )
        )
    await session.flush()
    await bump_revision(session)
    _audit(session, actor, "kb.article_created", "kb_article", article.id, slug=article.slug)
    return article


async def do_update_article(
    session: AsyncSession,
    *,
    actor: Principal,
    article: KbArticle,
    slug: str | None = None,
    category_id: int | None = None,
    clear_category: bool = False,
    position: int | None = None,
    locales: LocaleTexts | None = None,
) -> KbArticle:
    """Changes what is given; a language mapped to None is removed (one must remain)."""
    require_editor(actor)
    now = utcnow()
    new_slug = clean_slug(slug, max_length=120) if slug is not None else None
    if clear_category:
        article.category_id = None
    elif category_id is not None:
        await _check_category(session, category_id)
        article.category_id = category_id
    if position is not None:
        article.position = position
    if locales:
        current = await _locales_of(session, article.id)
        for locale, texts in sorted(locales.items()):
            _check_locale(locale)
            row = current.get(locale)
            if texts is None:
                if row is not None:
                    await session.delete(row)
                    del current[locale]
                continue
            title, body = _clean_texts(locale, texts)
            if row is None:
                row = KbArticleLocale(article_id=article.id, locale=locale)
                session.add(row)
                current[locale] = row
            row.title, row.body, row.updated_at = title, body, now
        if not current:
            raise InvalidInput("An article needs at least one language.", code="kb_no_locale")
    # Set last: the reads above would flush a taken slug outside _flush_unique's savepoint.
    if new_slug is not None:
        article.slug = new_slug
    article.updated_at = now
    await _flush_unique(session, "article")
    await bump_revision(session)
    _audit(session, actor, "kb.article_updated", "kb_article", article.id, slug=article.slug)
    return article


async def do_set_article_status(
    session: AsyncSession, *, actor: Principal, article: KbArticle, status: str
) -> KbArticle:
    """Publish (visible in the help centre, the widget and to the bot) or back to draft."""
    require_editor(actor)
    if status not in ("draft", "published"):
        raise InvalidInput("The status is draft or published.", code="kb_bad_status")
    if article.status != status:
        article.status = status
        article.updated_at = utcnow()
        if status == "published":
            article.published_at = article.updated_at
        await bump_revision(session)
        _audit(
            session,
            actor,
            "kb.article_published" if status == "published" else "kb.article_unpublished",
            "kb_article",
            article.id,
            slug=article.slug,
        )
    return article


async def do_delete_article(session: AsyncSession, *, actor: Principal, article: KbArticle) -> None:
    require_editor(actor)
    _audit(session, actor, "kb.article_deleted", "kb_article", article.id, slug=article.slug)
    await session.execute(
        update(KbQaPair).where(KbQaPair.article_id == article.id).values(article_id=None)
    )
    await session.delete(article)
    await bump_revision(session)


async def do_count_views(session: AsyncSession, *, views: Mapping[int, int]) -> None:
    """Add the help centre's batched page views (see help_centre.ViewCounter)."""
    for article_id, count in sorted(views.items()):
        await session.execute(
            update(KbArticle)
            .where(KbArticle.id == article_id)
            .values(views=KbArticle.views + count)
        )


async def do_vote_article(session: AsyncSession, *, article_id: int, helpful: bool) -> None:
    """A reader's "was this helpful?" (the help centre allows one per browser)."""
    column = KbArticle.helpful_yes if helpful else KbArticle.helpful_no
    await session.execute(
        update(KbArticle)
        .where(KbArticle.id == article_id, KbArticle.status == "published")
        .values({column: column + 1})
    )


# ---- question/answer pairs ----


def _clean_questions(questions: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for question in questions:
        text = _clean_line(question, what="question", max_length=MAX_QUESTION_CHARS)
        if text not in cleaned:
            cleaned.append(text)
    if not cleaned:
        raise InvalidInput("A Q&A pair needs at least one question.", code="kb_no_question")
    if len(cleaned) > MAX_QUESTIONS:
        raise InvalidInput(
            f"At most {MAX_QUESTIONS} phrasings of a question.",
            code="kb_too_many_questions",
            max=MAX_QUESTIONS,
        )
    return cleaned


def _clean_answer(answer: str) -> str:
    text = _clean_body(answer, what="answer", max_length=MAX_ANSWER_CHARS).strip()
    if not text:
        raise InvalidInput("The answer is empty.", code="kb_empty_text", field="answer")
    return text


async def _check_article(session: AsyncSession, article_id: int | None) -> None:
    if article_id is not None and await session.get(KbArticle, article_id) is None:
        raise InvalidInput("There is no such article.", code="kb_unknown_article")


async def do_create_qa_pair(
    session: AsyncSession,
    *,
    actor: Principal,
    locale: str,
    questions: Sequence[str],
    answer: str,
    article_id: int | None = None,
    enabled: bool = True,
) -> KbQaPair:
    """One step for the console, the API and the bot's learning loop."""
    require_editor(actor)
    _check_locale(locale)
    await _check_article(session, article_id)
    now = utcnow()
    pair = KbQaPair(
        locale=locale,
        questions=_clean_questions(questions),
        answer=_clean_answer(answer),
        article_id=article_id,
        enabled=enabled,
        created_by_id=actor_user_id(actor),
        created_at=now,
        updated_at=now,
    )
    session.add(pair)
    await session.flush()
    await bump_revision(session)
    _audit(session, actor, "kb.qa_created", "kb_qa_pair", pair.id, locale=locale)
    return pair


async def do_update_qa_pair(
    session: AsyncSession,
    *,
    actor: Principal,
    pair: KbQaPair,
    locale: str | None = None,
    questions: Sequence[str] | None = None,
    answer: str | None = None,
    article_id: int | None = None,
    clear_article: bool = False,
    enabled: bool | None = None,
) -> KbQaPair:
    require_editor(actor)
    if locale is not None:
        _check_locale(locale)
        pair.locale = locale
    if questions is not None:
        pair.questions = _clean_questions(questions)
    if answer is not None:
        pair.answer = _clean_answer(answer)
    if clear_article:
        pair.article_id = None
    elif article_id is not None:
        await _check_article(session, article_id)
        pair.article_id = article_id
    if enabled is not None:
        pair.enabled = enabled
    pair.updated_at = utcnow()
    await session.flush()
    await bump_revision(session)
    _audit(session, actor, "kb.qa_updated", "kb_qa_pair", pair.id, locale=pair.locale)
    return pair


async def do_delete_qa_pair(session: AsyncSession, *, actor: Principal, pair: KbQaPair) -> None:
    require_editor(actor)
    _audit(session, actor, "kb.qa_deleted", "kb_qa_pair", pair.id, locale=pair.locale)
    await session.delete(pair)
    await bump_revision(session)
