"""Knowledge-base search (kefu/kb/retrieval.py) and the demo knowledge base it ships with."""

from __future__ import annotations

import time

import pytest

from kefu.kb.demo_content import LOCALES, demo_documents, load_demo_content
from kefu.kb.index_cache import bump_revision
from kefu.kb.models import KbArticle, KbArticleLocale, KbCategory, KbQaPair, KbState
from kefu.kb.retrieval import (
    DEFAULT_THRESHOLD,
    MAX_QUERY_CHARS,
    Document,
    KbIndex,
    Match,
    guess_locale,
    terms,
)
from kefu.runtime import Runtime


def article(ref_id: int, locale: str, title: str, body: str) -> Document:
    return Document(f"article:{ref_id}:{locale}", "article", ref_id, locale, title, (title, body))


def qa(ref_id: int, locale: str, *questions: str, article_id: int | None = None) -> Document:
    return Document(f"qa:{ref_id}", "qa", ref_id, locale, questions[0], questions, article_id)


SMALL = [
    article(1, "zh-TW", "帳號註冊", "如何註冊森日生活的會員帳號，收不到驗證碼怎麼辦。"),
    article(1, "en", "Creating an account", "Sign up with your email and confirm the code."),
    article(2, "zh-TW", "退款說明", "退貨完成後，款項會在 7 到 14 個工作天退回信用卡。"),
    article(2, "en", "Refund policy", "Refunds are paid back to your card within 14 days."),
    article(3, "en", "Password reset", "Forgot your password? Use the reset link we email you."),
    qa(1, "zh-TW", "運費多少?", "免運門檻是多少?", "宅配運費怎麼算?"),
    qa(2, "en", "How much is shipping?", "Is there free shipping?", article_id=None),
]


@pytest.fixture(scope="module")
def small() -> KbIndex:
    return KbIndex.build(SMALL)


@pytest.fixture(scope="module")
def demo() -> KbIndex:
    return KbIndex.build(demo_documents(load_demo_content()))


def top(index: KbIndex, query: str, **kwargs: object) -> Match:
    matches = index.search(query, **kwargs)  # type: ignore[arg-type]
    assert matches, query
    return matches[0]


def demo_slug(match: Match) -> str:
    """The article slug (or Q&A key) a demo-index match stands for."""
    content = load_demo_content()
    doc = match.document
    if doc.kind == "article":
        return content.articles[doc.ref_id - 1].slug
    pair = content.qa[doc.ref_id - 1]
    return pair.article or pair.key


def test_traditional_and_simplified_find_the_same_article(small: KbIndex) -> None:
    assert terms("帳號") == terms("账号")
    traditional, simplified = top(small, "帳號"), top(small, "账号")
    assert traditional.document.key == simplified.document.key == "article:1:zh-TW"
    assert traditional.score == simplified.score
    assert traditional.confidence == simplified.confidence


def test_english_is_case_insensitive_and_stemmed(small: KbIndex) -> None:
    assert terms("Refunds") == terms("refund") == terms("REFUNDED")
    assert top(small, "REFUNDS").document.key == "article:2:en"
    assert top(small, "refund").document.key == "article:2:en"


def test_english_typos_still_match(small: KbIndex) -> None:
    exact = top(small, "password")
    assert exact.document.key == "article:3:en"
    for typo in ("pasword", "passwrod", "passsword", "refnud"):
        match = top(small, typo)
        assert match.document.key in {"article:3:en", "article:2:en"}, typo
        assert 0 < match.confidence < 1
    # A typo counts less than the word itself.
    assert top(small, "pasword").confidence < exact.confidence
    # Short words are not "corrected" (too many neighbours).
    assert small.search("cat") == []


def test_stop_words_neither_match_nor_dilute(small: KbIndex) -> None:
    assert terms("請問你們的客服") == terms("客服")
    assert terms("What is the password?") == terms("password")
    assert small.search("the a is do you") == []
    assert small.search("請問 你們 的 了 嗎") == []
    plain = top(small, "password")
    wordy = top(small, "Hi, what is the password please?")
    assert wordy.document.key == plain.document.key
    assert wordy.confidence == plain.confidence


def test_locale_and_kinds_filters(small: KbIndex) -> None:
    both = small.search("refund 退款", limit=10)
    assert {m.document.locale for m in both} == {"en", "zh-TW"}
    only_en = small.search("refund 退款", locale="en", limit=10)
    assert only_en and all(m.document.locale == "en" for m in only_en)
    shipping_qa = small.search("運費", kinds=frozenset({"qa"}))
    assert [m.document.key for m in shipping_qa] == ["qa:1"]
    assert small.search("運費", kinds=frozenset({"article"})) == []
    assert small.search("refund", limit=0) == []


def test_confidence_is_between_0_and_1(demo: KbIndex) -> None:
    for query in ("refund", "退款", "password reset 密碼", "a b c", "🙂", "運費 shipping 123"):
        for m in demo.search(query, limit=10):
            assert 0.0 <= m.confidence <= 1.0
            assert m.score > 0


def test_routine_questions_are_answered(demo: KbIndex) -> None:
    # The browser test asks this one; the bot must answer it, not hand off.
    for query, slug in [
        ("你們幾點開門?", "store-hours"),
        ("可以貨到付款嗎", "cash-on-delivery"),
        ("退款要等多久", "refund-timeline"),
        ("How do I reset my password?", "reset-password"),
        ("Do you ship to Singapore?", "overseas-shipping"),
    ]:
        match = top(demo, query, locale=guess_locale(query, "zh-TW"))
        assert demo_slug(match) == slug, query
        assert match.confidence >= DEFAULT_THRESHOLD, (query, match.confidence)


def test_out_of_scope_questions_score_low(demo: KbIndex) -> None:
    for query in (
        "what's the weather in Taipei tomorrow",
        "台北明天會下雨嗎",
        "explain quantum computing",
        "幫我寫一首詩",
        "who won the baseball game last night",
    ):
        matches = demo.search(query, locale=guess_locale(query, "en"))
        assert all(m.confidence < DEFAULT_THRESHOLD for m in matches), query


def test_a_question_two_answers_fit_is_less_sure() -> None:
    # (Titles other than the question: a question that *is* a title is sure of it.)
    one = KbIndex.build([article(1, "en", "Vouchers", "Gift cards are valid for two years.")])
    two = KbIndex.build(
        [
            article(1, "en", "Vouchers", "Gift cards are valid for two years."),
            article(2, "en", "Shopping in person", "Gift cards work in stores too."),
        ]
    )
    assert top(two, "gift cards").confidence < top(one, "gift cards").confidence
    # A question that is an article's title is answered by it, a rival or not.
    titled = KbIndex.build(
        [
            article(1, "en", "Gift cards", "Gift cards are valid for two years."),
            article(2, "en", "Shopping in person", "Gift cards work in stores too."),
        ]
    )
    assert top(titled, "gift cards").document.ref_id == 1
    assert top(titled, "gift cards").confidence == 1.0
    # A Q&A pair linked to the article is the same answer, not a rival.
    linked = KbIndex.build(
        [
            article(1, "en", "Vouchers", "Gift cards are valid for two years."),
            qa(1, "en", "How long are gift cards valid?", article_id=1),
        ]
    )
    assert top(linked, "gift cards").confidence == top(one, "gift cards").confidence


def test_a_100_kb_query_is_bounded(demo: KbIndex) -> None:
    huge = "退款 refund 請問運費多少 " * 6000
    assert len(huge.encode()) > 100_000
    started = time.perf_counter()
    matches = demo.search(huge)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5
    # Only the beginning is read.
    assert [m.document.key for m in matches] == [
        m.document.key for m in demo.search(huge[:MAX_QUERY_CHARS])
    ]


def test_guess_locale() -> None:
    assert guess_locale("你們幾點開門?", "en") == "zh-TW"
    assert guess_locale("你们几点开门", "en") == "zh-TW"
    assert guess_locale("What time do you open?", "zh-TW") == "en"
    assert guess_locale("我的 order 呢", "en") == "zh-TW"
    assert guess_locale("I want a refund 退款", "zh-TW") == "en"
    assert guess_locale("12345 !!!", "en") == "en"
    assert guess_locale("12345 !!!", "zh-TW") == "zh-TW"
    assert guess_locale("", "zh-TW") == "zh-TW"


def test_demo_content_is_complete() -> None:
    content = load_demo_content()
    categories = {c.slug for c in content.categories}
    slugs = [a.slug for a in content.articles]
    assert len(slugs) >= 50 and len(set(slugs)) == len(slugs)
    assert len(categories) >= 8
    for a in content.articles:
        assert a.category in categories, a.slug
        assert set(a.locales) == set(LOCALES), a.slug
        for loc in a.locales.values():
            assert loc.title.strip() and loc.body.strip(), a.slug
    for c in content.categories:
        assert set(c.names) == set(LOCALES)
    assert len(content.qa) >= 30
    assert {q.locale for q in content.qa} == set(LOCALES)
    assert len({q.key for q in content.qa}) == len(content.qa)
    for pair in content.qa:
        assert 3 <= len(pair.questions) <= 6, pair.key
        assert pair.answer.strip()
        assert pair.article is None or pair.article in slugs, pair.key


def test_demo_documents_are_one_per_article_language_and_qa_pair() -> None:
    content = load_demo_content()
    docs = demo_documents(content)
    assert len(docs) == 2 * len(content.articles) + len(content.qa)
    assert len({d.key for d in docs}) == len(docs)


async def test_load_documents_matches_demo_documents(runtime: Runtime) -> None:
    """Inserted in file order, the demo content indexes to exactly demo_documents (what the
    eval measures is what the bot searches)."""
    content = load_demo_content()
    async with runtime.db.write() as session:
        # Migration 0011 seeds kb_state's row; the PostgreSQL test fixture's TRUNCATE removes it.
        if await session.get(KbState, 1) is None:
            session.add(KbState(id=1, revision=0))
            await session.flush()
        category_ids = {}
        for c in content.categories:
            row = KbCategory(slug=c.slug, names=c.names, position=c.position)
            session.add(row)
            await session.flush()
            category_ids[c.slug] = row.id
        article_ids = {}
        for a in content.articles:
            art = KbArticle(
                slug=a.slug,
                category_id=category_ids[a.category],
                status="published",
                position=a.position,
            )
            session.add(art)
            await session.flush()
            article_ids[a.slug] = art.id
            for locale, loc in a.locales.items():
                row_locale = KbArticleLocale(
                    article_id=art.id, locale=locale, title=loc.title, body=loc.body
                )
                session.add(row_locale)
        for pair in content.qa:
            session.add(
                KbQaPair(
                    locale=pair.locale,
                    questions=list(pair.questions),
                    answer=pair.answer,
                    article_id=article_ids[pair.article] if pair.article else None,
                )
            )
        await bump_revision(session)
    index = await runtime.kb_index.current()
    assert index.documents == demo_documents(content)


def test_synonyms_bridge_wording_and_languages() -> None:
    index = KbIndex.build(
        [
            article(1, "zh-TW", "門市地址", "台北信義門市在松仁路。"),
            article(1, "en", "Store addresses", "Our Taipei store is on Songren Road."),
            article(2, "en", "Parcels", "Track each package with its number."),
        ]
    )
    assert top(index, "台北的店在哪", locale="zh-TW").document.key == "article:1:zh-TW"
    assert top(index, "is there a shop in Taipei", locale="en").document.key == "article:1:en"
    assert top(index, "where is my parcel", locale="en").document.key == "article:2:en"
    assert top(index, "我的 store 在哪", locale="zh-TW").document.key == "article:1:zh-TW"


def test_every_synonym_and_shop_word_is_one_index_term() -> None:
    """An entry the analysis splits into several terms would silently never match."""
    from kefu.kb.retrieval import _SYNONYM_GROUPS, _ZH_WORDS_RAW

    for word in _SYNONYM_GROUPS.replace("|", " ").split() + _ZH_WORDS_RAW.split():
        assert len(terms(word)) == 1, (word, terms(word))


def test_a_question_that_is_a_phrasing_is_answered_with_confidence() -> None:
    """A Q&A pair an admin made from a question (the learning loop) answers that question,
    even where articles share its words."""
    index = KbIndex.build(
        [
            article(1, "zh-TW", "如何申請退貨", "到會員中心申請退貨，物流到府收件。"),
            article(2, "zh-TW", "退貨規定", "收到商品 7 天內可以退貨。"),
            qa(1, "zh-TW", "我要退貨", "怎麼退貨?", article_id=None),
        ]
    )
    match = top(index, "請問我要退貨", locale="zh-TW")
    assert match.document.key == "qa:1"
    assert match.confidence == 1.0
    # Half of the words is not the phrasing: the usual confidence applies.
    partial = index.search("退貨 運費", locale="zh-TW", kinds=frozenset({"qa"}))
    assert partial and partial[0].confidence < 1.0


async def test_a_pair_linked_to_a_draft_article_is_its_own_answer(runtime: Runtime) -> None:
    async with runtime.db.write() as session:
        if await session.get(KbState, 1) is None:
            session.add(KbState(id=1, revision=0))
            await session.flush()
        draft = KbArticle(slug="draft", status="draft")
        published = KbArticle(slug="published", status="published")
        session.add_all([draft, published])
        await session.flush()
        session.add(KbArticleLocale(article_id=published.id, locale="en", title="T", body="B"))
        session.add_all(
            [
                KbQaPair(
                    locale="en", questions=["a?", "b?", "c?"], answer="x", article_id=draft.id
                ),
                KbQaPair(
                    locale="en", questions=["d?", "e?", "f?"], answer="y", article_id=published.id
                ),
            ]
        )
        await bump_revision(session)
    index = await runtime.kb_index.current()
    linked = {d.key: d.article_id for d in index.documents if d.kind == "qa"}
    assert len(linked) == 2 and set(linked.values()) == {published.id, None}
