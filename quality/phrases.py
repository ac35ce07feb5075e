"""The phrase checker: does a text contain one of the store's banned phrases, however it is written?

Chinese agents (and customers asking them to) dodge a plain substring check: full-width letters (ＶＸ), spaces or
punctuation between the characters (加 微 信, 加.微.信), look-alike words (V信, vx, 薇信 for 微信; 扣扣 for QQ) and
traditional characters (轉賬). Text and phrases are both normalised the same way before matching, and every character
of the normalised text remembers where it came from, so the warning can quote what the agent actually typed.
"""

import functools
import re
import unicodedata
from dataclasses import dataclass

# Single characters: traditional → simplified, for the words the rules are about.
CHAR_VARIANTS = str.maketrans(
    {
        "評": "评",
        "現": "现",
        "刪": "删",
        "線": "线",
        "轉": "转",
        "賬": "账",
        "帳": "账",
        "寶": "宝",
        "給": "给",
        "錢": "钱",
        "紅": "红",
        "號": "号",
        "聯": "联",
        "繫": "系",
        "係": "系",
        "訊": "讯",
        "貨": "货",
        "額": "额",
        "導": "导",
        "買": "买",
        "滾": "滚",
        "腦": "脑",
        "癡": "痴",
        "傻": "傻",
        "廢": "废",
        "們": "们",
        "個": "个",
        "讓": "让",
        "後": "后",
    }
)

# Look-alike words, after lower-casing and removing separators; the longest match wins.
WORD_VARIANTS: dict[str, str] = {
    "weixin": "微信",
    "wechat": "微信",
    "vxin": "微信",
    "wxin": "微信",
    "v信": "微信",
    "w信": "微信",
    "vx": "微信",
    "wx": "微信",
    "薇信": "微信",
    "威信": "微信",
    "维信": "微信",
    "徽信": "微信",
    "微新": "微信",
    "微心": "微信",
    "扣扣": "qq",
    "企鹅号": "qq",
    "zfb": "支付宝",
    "支fu宝": "支付宝",
    "支付bao": "支付宝",
    "转帐": "转账",
    "傻b": "傻逼",
    "傻比": "傻逼",
    "煞笔": "傻逼",
    "沙比": "傻逼",
}
_VARIANT_RE = re.compile("|".join(re.escape(k) for k in sorted(WORD_VARIANTS, key=len, reverse=True)))

# A * in a phrase: up to this many characters in between.
GAP = 4


def _kept(ch: str) -> bool:
    """Letters and digits count; spaces, punctuation, symbols (emoji too) and invisible characters do not."""
    return unicodedata.category(ch)[0] in "LN"


@dataclass(frozen=True)
class Normalised:
    text: str
    starts: tuple[int, ...]  # index in the original text of each character's first source character
    ends: tuple[int, ...]  # index just after its last source character

    def original(self, original: str, start: int, end: int) -> str:
        return original[self.starts[start] : self.ends[end - 1]]


def normalise(text: str) -> Normalised:
    """Full-width → half-width (NFKC), lower case, traditional → simplified for the rule words, separators removed,
    look-alike words replaced by the word they stand for."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, ch in enumerate(text):
        for out in unicodedata.normalize("NFKC", ch).lower().translate(CHAR_VARIANTS):
            if _kept(out):
                chars.append(out)
                starts.append(i)
                ends.append(i + 1)
    flat = "".join(chars)
    if not flat:
        return Normalised("", (), ())
    text_out: list[str] = []
    s_out: list[int] = []
    e_out: list[int] = []
    pos = 0
    for match in _VARIANT_RE.finditer(flat):
        text_out.extend(flat[pos : match.start()])
        s_out.extend(starts[pos : match.start()])
        e_out.extend(ends[pos : match.start()])
        replacement = WORD_VARIANTS[match.group()]
        text_out.extend(replacement)
        s_out.extend([starts[match.start()]] * len(replacement))
        e_out.extend([ends[match.end() - 1]] * len(replacement))
        pos = match.end()
    text_out.extend(flat[pos:])
    s_out.extend(starts[pos:])
    e_out.extend(ends[pos:])
    return Normalised("".join(text_out), tuple(s_out), tuple(e_out))


@functools.lru_cache(maxsize=1024)
def pattern_for(phrase: str) -> re.Pattern | None:
    """The regular expression of a phrase: its normalised pieces, with up to GAP characters where it has a *."""
    pieces = [normalise(piece).text for piece in phrase.split("*")]
    pieces = [piece for piece in pieces if piece]
    if not pieces:
        return None
    return re.compile(f".{{0,{GAP}}}?".join(re.escape(piece) for piece in pieces))


@dataclass(frozen=True)
class Rule:
    id: int | None
    phrase: str
    severity: str
    reason: str


@dataclass(frozen=True)
class PhraseMatch:
    rule: Rule
    fragment: str  # what the text really says there

    @property
    def blocks(self) -> bool:
        return self.rule.severity == "block"

    def as_dict(self) -> dict:
        return {
            "rule": self.rule.id,
            "phrase": self.rule.phrase,
            "severity": self.rule.severity,
            "reason": self.rule.reason,
            "fragment": self.fragment,
        }


def find_phrases(text: str, rules: list[Rule]) -> list[PhraseMatch]:
    """Every rule the text breaks (once each, its first place), blocking rules first."""
    normalised = normalise(text)
    if not normalised.text:
        return []
    matches = []
    for rule in rules:
        pattern = pattern_for(rule.phrase)
        found = pattern.search(normalised.text) if pattern else None
        if found:
            matches.append(PhraseMatch(rule, normalised.original(text, found.start(), found.end())))
    matches.sort(key=lambda m: (not m.blocks, m.rule.phrase))
    return matches


def describe(matches: list[PhraseMatch]) -> str:
    """One line per match, for error messages: “加 微 信” (加*微信): 引导买家站外联系…"""
    return "; ".join(f"“{m.fragment}” ({m.rule.phrase}): {m.rule.reason}" for m in matches)
