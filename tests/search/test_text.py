"""Folding, tokens and query parsing: the rules that make Chinese and English search correct."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.search.expressions import fts5_match, tsquery
from kefu.search.fold_build import build_pairs
from kefu.search.fold_data import PAIRS
from kefu.search.folding import fold, fold_with_offsets
from kefu.search.snippets import snippet
from kefu.search.tokens import Phrase, index_tokens, parse_query


def matches(query: str, text: str) -> bool:
    """What the index does, in Python: every clause has an alternative whose phrase occurs as
    consecutive tokens of the document (the last one as a prefix when the phrase says so)."""
    doc = index_tokens(text)

    def phrase_in(p: Phrase) -> bool:
        n = len(p.tokens)
        for i in range(len(doc) - n + 1):
            window = doc[i : i + n]
            head_ok = window[:-1] == list(p.tokens[:-1])
            last = window[-1]
            tail_ok = last.startswith(p.tokens[-1]) if p.prefix else last == p.tokens[-1]
            if head_ok and tail_ok:
                return True
        return False

    parsed = parse_query(query)
    return not parsed.empty and all(
        any(phrase_in(p) for p in c.alternatives) for c in parsed.clauses
    )


def test_traditional_and_simplified_fold_to_the_same_text() -> None:
    for traditional, simplified in [
        ("退款", "退款"),
        ("發票", "发票"),
        ("帳號", "账号"),
        ("賬號", "账号"),
        ("頭髮", "头发"),
        ("臺灣", "台湾"),
        ("裡面", "里面"),
        ("為什麼", "为什么"),
        ("說明", "説明"),
    ]:
        assert fold(traditional) == fold(simplified), (traditional, simplified)
    assert fold("ＡＢＣ１２３") == "abc123"  # full width
    assert fold("Café ÉCOLE") == "cafe ecole"
    assert fold("Straße") == "strasse"
    assert fold(fold("發票 Café")) == fold("發票 Café")


def test_the_committed_fold_table_is_what_opencc_builds() -> None:
    pairs = build_pairs()
    committed = "".join(PAIRS)
    assert pairs == {committed[i]: committed[i + 1] for i in range(0, len(committed), 2)}


def test_both_spellings_find_each_other_and_substrings_match() -> None:
    assert matches("退款", "我要退款請求")
    assert matches("发票", "請問可以開發票嗎")
    assert matches("發票", "请问可以开发票吗")
    assert matches("账号", "我的帳號被鎖住了")
    assert matches("帳號", "我的账号被锁住了")
    assert matches("头发", "頭髮護理")
    assert matches("款請", "我要退款請求")  # not a word, still a substring
    assert not matches("退货", "我要退款請求")


def test_one_chinese_character_finds_it_anywhere() -> None:
    for text in ("退", "我要退", "退款", "我要退款請求"):
        assert matches("退", text), text
    assert matches("求", "我要退款請求")
    assert not matches("貨", "我要退款請求")


def test_several_words_without_spaces_are_anded_not_a_phrase() -> None:
    # jieba cuts 退款发票 into 退款 / 发票: both must appear, anywhere.
    assert matches("退款发票", "發票已開,退款處理中")
    assert not matches("退款发票", "退款處理中")


def test_taiwan_and_mainland_words_find_each_other() -> None:
    assert matches("软件", "這個軟體打不開")
    assert matches("軟體", "这个软件打不开")
    assert matches("信息", "請看資訊")


def test_english_words_are_prefixes_without_stemming() -> None:
    assert matches("refun", "I want a refund")
    assert matches("refund", "Refunded yesterday")
    assert matches("REFUND", "refunds")
    assert not matches("refunds", "refund")  # no stemming: the query is a prefix, no more
    assert not matches("fund", "refund")  # prefixes of words, not infixes
    assert matches("ab", "ab cd") and not matches("ab", "abc")  # short words: exact
    assert matches("e-mail", "send an E-mail please")
    assert not matches("e-mail", "email")


def test_mixed_text_punctuation_and_emoji() -> None:
    text = "我的iPhone15要退款!!😡 order#12345,謝謝🙏"
    assert matches("iphone15", text)
    assert matches("iPhone 退款", text)
    assert matches("iPhone退款", text)
    assert matches("12345", text)
    assert matches("謝謝", text)
    assert matches("😡 退款", text)  # the emoji is no token; the rest still searches
    assert parse_query("😡🙏 !!! ，。").empty
    assert index_tokens("😡🙏 !!! ，。") == []


def test_expressions_quote_every_token() -> None:
    parsed = parse_query('退款 "refun OR x* NEAR(')
    match = fts5_match(parsed)
    assert match.startswith('"退款" AND "refun" *')
    assert "NEAR(" not in match and "OR x" not in match
    assert tsquery(parse_query("e-mail 軟體")) == "('e' <-> 'mail':*) & ('软体' | '软件')"


def test_snippets_mark_the_original_text() -> None:
    segments = snippet("我要退款請求,Refunds please", parse_query("退款 refund").marks)
    assert [s for s, m in segments if m] == ["退款", "Refund"]
    assert "".join(s for s, _ in segments) == "我要退款請求,Refunds please"
    long = "前" * 300 + "發票" + "後" * 300
    cut = snippet(long, parse_query("发票").marks)
    assert cut[0] == ("…", False) and cut[-1] == ("…", False) and ("發票", True) in cut
    assert sum(len(s) for s, _ in cut) < 170


def test_fold_with_offsets_points_back_into_the_original() -> None:
    folded, origin = fold_with_offsets("ＡＢ發票ß")
    assert folded == "ab发票ss"
    assert origin == [0, 1, 2, 3, 4, 4]


CHINESE = st.text(
    alphabet=st.sampled_from(
        list("我要退款請求发票發票帳號账号訂單订单頭髮头发的了吗嗎")
        + ["？", ",", "!", "😀", " ", "a", "b", "1"]
    ),
    min_size=2,
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(text=CHINESE, data=st.data())
def test_any_substring_of_two_or_more_chinese_characters_finds_the_message(
    text: str, data: st.DataObject
) -> None:
    runs = [m for m in re.finditer(r"[\u4e00-\u9fff]{2,}", text)]
    if not runs:
        return
    run = data.draw(st.sampled_from(runs)).group()
    start = data.draw(st.integers(0, len(run) - 2))
    end = data.draw(st.integers(start + 2, len(run)))
    assert matches(run[start:end], text), (run[start:end], text)
