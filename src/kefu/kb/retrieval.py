"""Ranking knowledge-base documents (articles, Q&A pairs, bot-action triggers) for a question,
in Chinese and English: the help centre's search, the widget's search box, agent assist and the
FAQ bot all ask `KbIndex.search`. docs/faq-eval.md explains the design and its measured
quality (bench/faq_eval.py).

- Text is folded first (kefu.search.folding: Traditional = Simplified, width, case), so 帳號 and
  账号 are one word. Chinese is segmented by jieba (kefu.search.segmenter, shared with message
  search, so its dictionary is left alone): pieces that spell a Taiwanese shop word jieba's
  dictionary lacks (超商, 免運, 宅配, 登入...) are joined again, a long word also gives the words
  inside it (營業時間: 營業, 時間), and each stretch of Chinese also gives its character bigrams,
  a lower-weighted fallback when the question and the article split a phrase differently.
  English is stemmed (Snowball: refunds = refund). Stop words of both languages are dropped on
  both sides, so they neither match nor dilute.
- BM25 over the document's terms; an article's title counts three times. Plain Python: the
  corpus is hundreds to a few thousand documents and an inverted index answers in about a
  millisecond; bm25s would bring numpy and scipy for no gain at this size.
- A query word the index lacks is looked for, at a discount: as a typo (English: the indexed
  words at edit distance 1, found through a deletion index), in pieces (Chinese: its bigrams
  and characters), and through a small bilingual synonym list (店 = 門市 = store = shop).
- `Match.confidence` (0..1, comparable across questions: the bot compares it with one
  threshold) is the idf-weighted share of the question the document covers, times a factor for
  its margin over the best document that gives a different answer (a Q&A pair and its linked
  article are one answer; so are an article's two languages). A word the index has never seen
  weighs as much as the rarest word, so a question about something the knowledge base does not
  cover ("what's the weather in Taipei?") scores low even when a common word matches. A Q&A
  pair (or an action) is at least as sure as the question is near one of its phrasings: a
  question an admin added as a phrasing is answered whatever else matches.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import jieba  # type: ignore[import-untyped]
import snowballstemmer  # type: ignore[import-untyped]

from kefu.search.folding import fold
from kefu.search.segmenter import cut

DocumentKind = Literal["article", "qa", "action"]

# The bot's default confidence threshold, chosen from bench/faq_eval.py's curve: the lowest
# threshold at which wrong answers stay at or under 5% of all questions (a wrong answer is
# worse than a handoff); docs/faq-eval.md has the curve and the figures.
DEFAULT_THRESHOLD: float = 0.3

MAX_QUERY_CHARS = 500  # a 100 KB message is searched by its beginning only

_CJK = "\u3400-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
_CJK_CHAR = re.compile(f"[{_CJK}]")

_BIGRAM = "\u2082"  # marks a CJK bigram term (never a character of folded text's words)
_TITLE_WEIGHT = 3  # an article's title counts three times
_BIGRAM_WEIGHT = 0.35  # a bigram's share of the score next to a whole word's
_TYPO_DISCOUNT = 0.7  # a word matched at edit distance 1 counts this much
_SPLIT_DISCOUNT = 0.6  # an unknown Chinese word matched by a piece (bigram, character)
_SYNONYM_FACTOR = 0.9  # a synonym match counts this much
_K1, _B = 1.2, 0.75  # BM25
_MARGIN_FLOOR = 0.2  # confidence = coverage x (floor + (1 - floor) x margin)

_EN_STOP_RAW = """a about am an and any anything are as at be been being but by can could did do
    does doing for from get got had has have having he her hi hello hey him his how i if in into
    is it its just me much many my myself need of on or our ours please she should so some such
    than thank thanks that the their them then there these they this those to too us very want
    was we were what when where which who whom why will with would you your yours ok okay im
    dont cant wont ive id s t m d ll re ve here"""  # the last ones are pieces of don't, I'm, we've
_EN_STOP = frozenset(_EN_STOP_RAW.split())
_ZH_STOP_RAW = """的 了 嗎 吗 呢 吧 啊 呀 喔 哦 欸 耶 嘛 啦 囉 唷 哈 呵 請問 请问 請 请 問 想問
    想請問 你們 你们 你 您 我 我們 我们 他 她 它 是 在 有 和 跟 與 与 及 或 要 想 會 会 能 可以
    可不可以 能不能 可否 是否 怎麼 怎么 怎樣 怎样 怎麼樣 如何 什麼 什么 甚麼 哪 哪裡 哪里 哪些
    哪個 多少 一下 一個 一个 這 这 那 這個 这个 那個 那个 這樣 还 還 也 都 就 謝謝 谢谢 感謝
    你好 您好 哈囉 嗨 麻煩 麻烦 幫 帮 幫我 帮我 一 個 个 些 下 嗯 喂 請教 要怎麼 該 该 應該 应该
    為 为 讓 让 被 把 給 给 對 对 得 地 著 着 過 过 所以 因為 因为 但是 然後 然后 如果 的話 的话
    時候 时候 現在 现在 今天 已經 已经"""
_ZH_STOP = frozenset(fold(w) for w in _ZH_STOP_RAW.split())

_stemmer = snowballstemmer.stemmer("english")
_stems: dict[str, str] = {}


def _stem(word: str) -> str:
    stem = _stems.get(word)
    if stem is None:
        stem = _stemmer.stemWord(word)
        if len(_stems) < 100_000:  # bounded: a flood of junk words must not grow it forever
            _stems[word] = stem
    return stem


def _is_latin_word(term: str) -> bool:
    return term.isascii() and term.isalpha()


# Taiwanese shop vocabulary jieba's (mainland) dictionary splits into characters: merged back
# when jieba's pieces spell one of them (the segmenter is shared with message search, so its
# dictionary is left alone).
_ZH_WORDS_RAW = """超商 超取 免運 宅配 登入 統一編號 床包 連假 包郵 折扣碼
    優惠碼 烘衣機 載具 個資 鑑賞期 客製化 禮物卡 愛心碼 單號 商品 退貨
    換貨 門市 分店 實體店 訂單 統編 街口 點數 刷卡 分期 幾期 運費 付現
    到貨 取貨 加購 客服 真人 寄回 抵用券"""
_ZH_WORDS = frozenset(fold(w) for w in _ZH_WORDS_RAW.split())
_MAX_MERGE = 4  # pieces

# Words customers and articles use for the same thing (folded; English stemmed at import):
# a query word also matches its synonyms, at a small discount.
_SYNONYM_GROUPS = """
    門市 店 門店 實體店 店面 分店 store shop outlet branch | 開門 營業 開 open |
    幾點 時間 hour time | 包郵 免運 | 運費 郵費 | 超取 超商 | 刷卡 信用卡 | 積分 點數 紅利 point |
    加入 註冊 register signup enrol enroll join | 登入 登錄 登陸 login logon signin |
    壞 壞掉 故障 損壞 破 破損 瑕疵 broken damaged cracked faulty defective |
    修 維修 修理 repair fix | 退錢 退款 退費 refund | 退貨 return | 換貨 exchange |
    優惠券 折價券 抵用券 折扣碼 優惠碼 coupon voucher promo | 統編 統一編號 |
    電話 打電話 phone telephone call | 信箱 電子郵件 email | 碗 盤子 杯子 餐具 陶瓷 |
    床單 床包 寢具 | 烘衣機 烘乾 烘 | 寄出 出貨 發貨 ship dispatch |
    宅配 送貨 配送 寄送 deliver | 刮痕 刮傷 scratch | 連假 假期 假日 holiday |
    收據 發票 receipt invoice | 桌子 桌 餐桌 table | 沙發 sofa couch | 帳號 帳戶 account |
    貨到付款 付現 cod cash | 東西 商品 product item | 包裹 快遞 parcel package | 訂單 order |
    海外 國外 overseas international abroad |
    取消 cancel | 密碼 password | 會員 member | 保固 warranty | 禮物 gift | 地址 address |
    wardrobe closet | mug cup | bowl plate dish ceramic tableware | sheet bedding linen |
    instalment installment | colour color | cost fee price charge | wrong incorrect |
    remove delete | send mail post"""


def _group_terms(group: str) -> list[str]:
    out: list[str] = []
    for w in group.split():
        folded = fold(w)
        out.append(_stemmer.stemWord(folded) if _is_latin_word(folded) else folded)
    return out


def _synonyms() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for group in _SYNONYM_GROUPS.split("|"):
        members = _group_terms(group)
        for m in members:
            table.setdefault(m, set()).update(x for x in members if x != m)
    return {k: frozenset(v) for k, v in table.items()}


_SYNONYMS = _synonyms()


def _merge(pieces: list[str]) -> list[str]:
    """jieba's pieces with runs that spell a word of _ZH_WORDS joined (longest first)."""
    out: list[str] = []
    i = 0
    while i < len(pieces):
        for j in range(min(len(pieces), i + _MAX_MERGE), i + 1, -1):
            joined = "".join(pieces[i:j])
            if joined in _ZH_WORDS:
                out.append(joined)
                i = j
                break
        else:
            out.append(pieces[i])
            i += 1
    return out


def _parts(word: str) -> tuple[str, ...]:
    """The dictionary words inside a long Chinese word (營業時間: 营业, 时间), like jieba's
    search mode: an article saying 營業時間 answers a question about 營業."""
    if len(word) < 3:
        return ()
    freq = jieba.dt.FREQ
    found = [
        word[i : i + n]
        for n in (2, 3)
        if n < len(word)
        for i in range(len(word) - n + 1)
        if freq.get(word[i : i + n]) or word[i : i + n] in _ZH_WORDS
    ]
    return tuple(p for p in dict.fromkeys(found) if p not in _ZH_STOP)


def _analyse(text: str) -> tuple[list[str], list[str], dict[str, tuple[str, ...]]]:
    """(words, CJK bigrams, {long Chinese word: the words inside it}) of `text`: folded, stop
    words out, English stemmed."""
    words: list[str] = []
    bigrams: list[str] = []
    parts: dict[str, tuple[str, ...]] = {}
    for token in _WORD.findall(fold(text)):
        pos = 0
        for run in _CJK_RUN.finditer(token):
            if run.start() > pos:
                _latin(token[pos : run.start()], words)
            # Bigrams within each stretch of words between stop words (退貨的運費: 退货, 运费,
            # not 货的), so that a word jieba splits differently on the two sides still meets.
            stretch: list[str] = []
            for w in [*_merge(cut(run.group())), ""]:
                if w and w not in _ZH_STOP:
                    words.append(w)
                    stretch.append(w)
                    if len(w) >= 3 and w not in parts:
                        parts[w] = _parts(w)
                    continue
                chars = "".join(stretch)
                bigrams.extend(_BIGRAM + chars[i : i + 2] for i in range(len(chars) - 1))
                stretch = []
            pos = run.end()
        if pos < len(token):
            _latin(token[pos:], words)
    return words, bigrams, parts


def _latin(word: str, out: list[str]) -> None:
    if word in _EN_STOP:
        return
    out.append(_stem(word) if _is_latin_word(word) else word)


def terms(text: str) -> list[str]:
    """The words of `text` as the index sees them: folded (Traditional = Simplified, case,
    width), Chinese segmented, English stemmed, stop words of both languages left out."""
    return _analyse(text)[0]


def guess_locale(text: str, default: str) -> str:
    """ "zh-TW" when `text` is mainly Chinese, "en" when mainly Latin letters, else `default`.
    Chinese characters count double: one carries about a word ("我的 order 呢" is Chinese)."""
    sample = text[:MAX_QUERY_CHARS]
    cjk = len(_CJK_CHAR.findall(sample))
    latin = len(_LATIN_LETTER.findall(sample))
    if cjk == 0 and latin == 0:
        return default
    if cjk * 4 >= latin:  # about two letters a syllable and two syllables a word
        return "zh-TW"
    return "en"


def _confidence(coverage: float, margin: float) -> float:
    """0..1 from the idf-weighted share of the question the document covers and its margin
    over the best other answer (1 - rival's score / its score). A Q&A pair or an action also
    gets at least its phrasing match (KbIndex._phrasing_match)."""
    return coverage * (_MARGIN_FLOOR + (1 - _MARGIN_FLOOR) * margin)


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _within_one_edit(a: str, b: str) -> bool:
    """Levenshtein distance <= 1, or one transposition of neighbours."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


@dataclass(frozen=True, slots=True)
class Document:
    key: str  # unique: "article:12:zh-TW", "qa:7", "action:3"
    kind: DocumentKind
    ref_id: int  # the article's, Q&A pair's or action's id
    locale: str  # "zh-TW" or "en"
    title: str  # the article's title, the Q&A pair's first question, the action's name
    # What is matched: an article's (title, body); a Q&A pair's or an action's phrasings.
    texts: tuple[str, ...]
    # A Q&A pair's linked article: the pair and the article are one answer (confidence
    # measures the margin over the best *other* answer).
    article_id: int | None = None

    @property
    def answer_key(self) -> tuple[str, int]:
        """Documents with the same answer_key give the same answer."""
        if self.kind == "article":
            return ("article", self.ref_id)
        if self.article_id is not None:
            return ("article", self.article_id)
        return (self.kind, self.ref_id)


@dataclass(frozen=True, slots=True)
class Match:
    document: Document
    score: float  # raw ranking score (higher is better; only comparable within one query)
    confidence: float  # 0..1: how sure the match answers the question (the bot's threshold)


@dataclass(slots=True)
class KbIndex:
    documents: list[Document] = field(default_factory=list)
    # term -> [(document number, weighted term frequency)]
    _postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    _lengths: list[float] = field(default_factory=list)
    _avg_len: float = 1.0
    # An edit-distance-1 lookup of the English words: each word with one letter deleted ->
    # the stems of the words it comes from (deleting from both sides finds substitutions,
    # insertions, deletions and transpositions; candidates are then checked exactly).
    _deletes: dict[str, set[str]] = field(default_factory=dict)
    _surface: dict[str, set[str]] = field(default_factory=dict)  # stem -> indexed words
    # A Q&A pair's or an action's phrasings, each as its set of words: a question that is
    # (nearly) one of them is answered with confidence whatever else matches.
    _phrasings: dict[int, list[frozenset[str]]] = field(default_factory=dict)

    @classmethod
    def build(cls, documents: Iterable[Document]) -> KbIndex:
        index = cls()
        postings: defaultdict[str, list[tuple[int, float]]] = defaultdict(list)
        surface: defaultdict[str, set[str]] = defaultdict(set)
        for n, doc in enumerate(documents):
            counts: Counter[str] = Counter()
            for i, text in enumerate(doc.texts):
                weight = _TITLE_WEIGHT if doc.kind == "article" and i == 0 else 1
                words, bigrams, parts = _analyse(text)
                if (doc.kind != "article" or i == 0) and words:  # an article's title too
                    index._phrasings.setdefault(n, []).append(frozenset(words))
                for w in words:
                    counts[w] += weight
                    for p in parts.get(w, ()):
                        counts[p] += weight
                for b in bigrams:
                    counts[b] += weight
                for token in _WORD.findall(fold(text)):
                    if _is_latin_word(token) and len(token) >= 4 and token not in _EN_STOP:
                        surface[_stem(token)].add(token)
            index.documents.append(doc)
            # Bigrams repeat the words' text: they do not lengthen the document.
            index._lengths.append(
                float(sum(c for t, c in counts.items() if not t.startswith(_BIGRAM))) or 1.0
            )
            for term, tf in counts.items():
                postings[term].append((n, float(tf)))
        index._postings = dict(postings)
        index._avg_len = (sum(index._lengths) / len(index._lengths)) if index._lengths else 1.0
        deletes: defaultdict[str, set[str]] = defaultdict(set)
        for stem, forms in surface.items():
            for w in forms | {stem}:
                if len(w) >= 4:
                    deletes[w].add(stem)
                    for d in _deletes(w):
                        deletes[d].add(stem)
        index._deletes = dict(deletes)
        index._surface = dict(surface)
        return index

    def _idf(self, df: int) -> float:
        n = len(self.documents)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _typo_candidates(self, raw: str, stem: str) -> set[str]:
        """Indexed stems one edit away from the (unknown) query word."""
        found: set[str] = set()
        for probe in {raw, stem}:
            keys = {probe} | _deletes(probe)
            for key in keys:
                for cand in self._deletes.get(key, ()):
                    forms = self._surface.get(cand, set()) | {cand}
                    if any(_within_one_edit(probe, f) for f in forms):
                        found.add(cand)
        return {c for c in found if c in self._postings}

    def _query_terms(self, query: str) -> list[tuple[str, float, list[tuple[str, float]], float]]:
        """[(query term, its weight in coverage, [(indexed term, match factor)], its scale in
        the score)]. A word the index lacks is looked for as a typo (English: edit distance
        1) or in pieces (Chinese: its bigrams and characters), at a discount; bigrams add to
        the score (phrases that match closely rank first) but not to coverage."""
        text = query[:MAX_QUERY_CHARS]
        words, bigrams, parts = _analyse(text)
        raw_of: dict[str, str] = {}
        for token in _WORD.findall(fold(text)):
            if _is_latin_word(token):
                raw_of.setdefault(_stem(token), token)
        unknown_idf = self._idf(0)
        out: list[tuple[str, float, list[tuple[str, float]], float]] = []
        for term in dict.fromkeys(words):
            postings = self._postings.get(term)
            expansions: list[tuple[str, float]] = [(term, 1.0)] if postings else []
            expansions += [
                (syn, _SYNONYM_FACTOR)
                for syn in sorted(_SYNONYMS.get(term, ()))
                if syn in self._postings
            ]
            expansions += [(p, _SPLIT_DISCOUNT) for p in parts.get(term, ()) if p in self._postings]
            if not postings:
                if _is_latin_word(term):
                    if len(term) >= 4:
                        cands = self._typo_candidates(raw_of.get(term, term), term)
                        expansions += [(c, _TYPO_DISCOUNT) for c in sorted(cands)]
                elif len(term) >= 2 and _CJK_CHAR.match(term):
                    pieces = [_BIGRAM + term[i : i + 2] for i in range(len(term) - 1)]
                    pieces += [ch for ch in term if ch not in _ZH_STOP]
                    expansions += [
                        (p, _SPLIT_DISCOUNT) for p in dict.fromkeys(pieces) if p in self._postings
                    ]
            weight = self._idf(len(postings)) if postings else unknown_idf
            out.append((term, weight, expansions, 1.0))
        for bigram in dict.fromkeys(bigrams):
            if bigram in self._postings:
                out.append((bigram, 0.0, [(bigram, 1.0)], _BIGRAM_WEIGHT))
        return out

    def _phrasing_match(self, n: int, qwords: dict[str, float]) -> float:
        """How nearly the question is one of document n's phrasings: the idf-weighted share
        of the words in either that are in both (1 = the same words)."""
        best = 0.0
        for phrasing in self._phrasings.get(n, ()):
            union = qwords.keys() | phrasing
            both = sum(qwords[t] for t in phrasing if t in qwords)
            whole = sum(qwords[t] if t in qwords else self._idf_of(t) for t in union)
            if whole > 0:
                best = max(best, both / whole)
        return best

    def _idf_of(self, term: str) -> float:
        return self._idf(len(self._postings.get(term, ())))

    def search(
        self,
        query: str,
        *,
        locale: str | None = None,
        limit: int = 5,
        kinds: frozenset[DocumentKind] | None = None,
    ) -> list[Match]:
        if not self.documents or limit <= 0:
            return []
        qterms = self._query_terms(query)
        qwords = {term: weight for term, weight, _, scale in qterms if scale == 1.0}
        total = sum(weight for _, weight, _, _ in qterms)
        if total <= 0:
            return []
        scores: defaultdict[int, float] = defaultdict(float)
        covered: defaultdict[int, float] = defaultdict(float)
        for _term, weight, expansions, scale in qterms:
            # Per document, the best of the term's expansions (a typo may be one edit away
            # from several indexed words).
            part_of: dict[int, float] = {}
            factor_of: dict[int, float] = {}
            for indexed, factor in expansions:
                postings = self._postings[indexed]
                idf = self._idf(len(postings)) * scale
                if indexed.startswith(_BIGRAM) and scale == 1.0:
                    idf *= _BIGRAM_WEIGHT  # a piece of an unknown word, matched as a bigram
                for n, tf in postings:
                    doc = self.documents[n]
                    if (locale and doc.locale != locale) or (kinds and doc.kind not in kinds):
                        continue
                    norm = _K1 * (1 - _B + _B * self._lengths[n] / self._avg_len)
                    part = factor * idf * tf * (_K1 + 1) / (tf + norm)
                    part_of[n] = max(part_of.get(n, 0.0), part)
                    factor_of[n] = max(factor_of.get(n, 0.0), factor)
            for n, part in part_of.items():
                scores[n] += part
                covered[n] += factor_of[n] * weight
        if not scores:
            return []
        ranked = sorted(
            (n for n, score in scores.items() if score > 0),
            key=lambda n: (-scores[n], self.documents[n].key),
        )
        if not ranked:
            return []
        # The margin over the best other answer (the same article in the other language is
        # the same answer): a question that two answers fit equally well is unsure. The best
        # other answer is the top document's, or for the top answer's documents, the runner-up.
        top_answer = self.documents[ranked[0]].answer_key
        runner_up = next(
            (scores[m] for m in ranked if self.documents[m].answer_key != top_answer), 0.0
        )
        matches: list[Match] = []
        for n in ranked[:limit]:
            doc = self.documents[n]
            rival = runner_up if doc.answer_key == top_answer else scores[ranked[0]]
            margin = max(0.0, 1.0 - rival / scores[n])
            coverage = min(1.0, covered[n] / total)
            confidence = max(_confidence(coverage, margin), self._phrasing_match(n, qwords))
            matches.append(Match(doc, scores[n], round(min(1.0, max(0.0, confidence)), 4)))
        return matches
