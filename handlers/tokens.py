"""Words of a command line: quoting, mentions, `key:value` tokens and how far a date value reaches.

Knows nothing of which commands exist; `handlers.parse` puts the tokens to the grammar.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from handlers.command import ParseError, UserRef
from handlers.dates import is_date_expression

__all__ = [
    "OPTION_TOKEN",
    "Token",
    "date_value_length",
    "is_cjk",
    "is_free_text",
    "looks_like_option",
    "mention",
    "norm",
    "tokenize",
]

_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "「": "」", "『": "』", "«": "»"}
_SLACK_MENTION = re.compile(r"^<@([A-Za-z0-9_.-]+)(?:\|([^>]*))?>$")
OPTION_TOKEN = re.compile(r"^([^\s:：\"'“「『@<#\d][^\s:：]{0,23})[:：](.*)$", re.DOTALL)


def norm(word: str) -> str:
    """The form aliases are compared in: NFKC (full-width digits and letters), trimmed, lower case."""
    return unicodedata.normalize("NFKC", word).strip().lower()


@dataclass
class Token:
    text: str
    quoted: bool = False  # the token began with a quote: a literal word, never an option
    quoted_value: bool = False  # a quote came later, as in key:"value"


def tokenize(text: str) -> list[Token]:
    """Split on whitespace, honouring quotes (also inside `key:"value"`)."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        buf: list[str] = []
        start, quoted_at = i, -1
        while i < n and not text[i].isspace():
            ch = text[i]
            # An apostrophe after a letter or digit is part of the word (don't, Bob's, users').
            if ch in _QUOTES and not (ch == "'" and i > start and text[i - 1].isalnum()):
                close = _QUOTES[ch]
                end = text.find(close, i + 1)
                if end < 0:
                    raise ParseError("error.unclosed_quote", quote=ch)
                buf.append(text[i + 1 : end])
                quoted_at = i if quoted_at < 0 else quoted_at
                i = end + 1
            else:
                buf.append(ch)
                i += 1
        tokens.append(Token("".join(buf), quoted_at == start, quoted_at > start))
    return tokens


def mention(token: str) -> UserRef | None:
    """The user a word names (`@alice`, `<@U1|alice>`), or None."""
    match = _SLACK_MENTION.match(token)
    if match:
        return UserRef(match.group(1), match.group(2) or "")
    if token.startswith(("@", "＠")) and len(token) > 1 and "," not in token:
        return UserRef(token[1:], token[1:])
    return None


def is_cjk(word: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in word)


def looks_like_option(token: Token) -> bool:
    return (
        not token.quoted
        and bool(OPTION_TOKEN.match(token.text))
        and not token.text.lower().startswith(("http:", "https:", "mailto:"))
    )


def is_free_text(token: Token) -> bool:
    return not looks_like_option(token)


# --- how far an unquoted date value reaches -------------------------------------------------

_DATE_WORD = re.compile(
    r"^(next|this|coming|in|within|at|on|by|before|after|from|the|of|end|and|start|beginning|early|"
    r"mid|middle|late|last|\d{1,4}(st|nd|rd|th)?|\d{1,2}(:\d{2})?(am|pm)?|am|pm|q[1-4]|"
    r"days?|weeks?|months?|quarter|year|weekend|working|business|workdays?|"
    r"mon(day)?|tue(s|sday)?|wed(nesday)?|thu(r|rs|rsday)?|fri(day)?|"
    r"sat(urday)?|sun(day)?|jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|"
    r"aug(ust)?|sep(t|tember)?|oct(ober)?|nov(ember)?|dec(ember)?|noon|midday|tomorrow|today|"
    r"tonight|morning|afternoon|evening|night|eod|cob|eow|eom|eoq|eoy|first|second|third|"
    r"\w+(st|nd|rd|th))$",
    re.IGNORECASE,
)
# Chinese dates, times and parts of the day written after a space: `截止:明天 下午3点`.
_ZH_DATE_WORD = re.compile(
    r"^[0-9:：一二两三四五六七八九十零〇点點时半分刻整钟上下中午晚早凌晨傍今明后前之以内周星期礼拜"
    r"本这个月日号年天季度第工作旬初底末班]+$"
)
# Date words that only join others; an absorbed date value never ends with one.
_DATE_GLUE = frozenset(
    {
        "next",
        "this",
        "coming",
        "in",
        "within",
        "at",
        "on",
        "by",
        "before",
        "after",
        "from",
        "the",
        "of",
        "end",
        "and",
        "start",
        "mid",
        "early",
        "late",
    }
)


def _is_date_word(token: Token) -> bool:
    if token.quoted or not token.text:
        return False
    return bool(_DATE_WORD.match(token.text) or _ZH_DATE_WORD.match(unicodedata.normalize("NFKC", token.text)))


def date_value_length(value: str, following: list[Token]) -> int:
    """How many of the `following` tokens belong to an unquoted date value.

    It takes the date words that follow, but only as far as the date stays in the grammar
    (`due:3 dec 10 copies` leaves "10" to the title), and never ends on a joining word
    ("the" in `due:fri the report`). A value ending in a word that needs one more
    (`due:next blursday`) takes that word too, so an error names what was not understood.
    """
    end = 0
    while end < len(following) and _is_date_word(following[end]):
        end += 1
    while end > 0 and norm(following[end - 1].text) in _DATE_GLUE:
        end -= 1
    words = [value, *(t.text for t in following[:end])]
    fits = [n for n in range(len(words), 0, -1) if is_date_expression(" ".join(words[:n]))]
    if fits:
        return fits[0] - 1
    if (
        norm(words[-1]) in _DATE_GLUE
        and end < len(following)
        and is_free_text(following[end])
        and mention(following[end].text) is None
    ):
        end += 1
        while end < len(following) and _is_date_word(following[end]):  # "after National Day"
            end += 1
    return end
