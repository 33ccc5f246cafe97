"""Parse Comprehensive de Vaucouleurs revised Hubble-Sandage (CVRHS) types, as in Buta (2017).

A type reads ``(outer)family(inner)stage [extras]``, e.g. ``(R1')SAB_a(rs)0/a`` or
``(R2')S[A]B(l)a:``. Table 2 of Buta (2017) writes it in LaTeX; ``plain_type`` turns that
into this plain form: primes as ``'``, subscripts as digits (``R_1`` -> ``R1``) except the bar
ansae/X subscripts (``SAB_a``, ``SA_x``), and underlined letters in brackets (``S[A]B``,
``([r]s)``), the notation for "closer to" that letter.

``has_ring`` is a true ring or pseudo-ring anywhere (outer, inner, nuclear, or a collisional
ring galaxy RG); a galaxy whose only features are lenses is ``lens_only``. Ring-lenses
(``rl``, ``r'l``, ``RL``) count as rings: a lens with a ring-like bright rim.
"""
import re
from dataclasses import asdict, dataclass

_UNDERLINE = re.compile(r"\$?\\underline\{\\rm\s*([^}]*)\}\$?")
_SUBSCRIPT = re.compile(r"\$_\{?([^$}^]*)\}?(\^\{?\\prime\}?)?\$")
_SUPERSCRIPT = re.compile(r"\$\^\{?([^$}]*)\}?\$")
_TYPE = re.compile(
    r"^(?:\((?P<outer>[^()]*)\))?"
    r"(?P<family>RG|PRG|E\d?(?:-\d)?|S(?:A\[B\]|\[A\]B|AB|A|B)?(?:_[ax])?)?(?P<family_colon>:)?"
    r"(?:\((?P<inner>[^()]*)\))?"
    r"(?P<stage>0/a|0[o+-]?|dm|cd|bc|ab|[abcdm])?"
    r"(?P<rest>.*)$")
_OUTER_TOKEN = re.compile(r"\[?(P?R)\]?(12|1|2)?('?)|\[?(L)\]?")


def plain_type(latex):
    """LaTeX type string -> plain CVRHS text, e.g. ``(R$_1^{\\prime}$)SAB$_a$(rs)0/a`` -> ``(R1')SAB_a(rs)0/a``."""
    text = _UNDERLINE.sub(r"[\1]", latex)
    text = _SUBSCRIPT.sub(lambda m: ("_" + m[1] if m[1].isalpha() else m[1]) + ("'" if m[2] else ""), text)
    text = text.replace("^{\\prime}", "'").replace("^\\prime", "'")
    text = _SUPERSCRIPT.sub(lambda m: "'" if m[1] == "\\prime" else m[1], text)
    return re.sub(r"\s+", " ", text.replace("$", "")).strip()


@dataclass
class CVRHS:
    """The fields of one CVRHS type."""

    type: str
    outer: str = ""
    outer_ring: bool = False  # closed outer ring R, R1, R2
    outer_pseudo_ring: bool = False  # R', R1', R2', R12'
    outer_lens: bool = False
    polar_ring: bool = False
    family: str = ""  # SA, S[A]B, SAB, SA[B], SB, E..., RG
    bar_ansae: bool = False  # _a subscript
    inner: str = ""
    inner_variety: str = ""  # r, rs, [r]s, s, l, rl, r'l, ...
    inner_ring: bool = False
    inner_pseudo_ring: bool = False
    inner_lens: bool = False
    nuclear_ring: bool = False
    nuclear_lens: bool = False
    barlens: bool = False
    stage: str = ""  # 0-, 0o, 0+, 0/a, a, ab, b, bc, c, cd, d, dm, m
    uncertain: bool = False  # ':' or '?' anywhere
    peculiar: bool = False
    collisional: bool = False  # RG (ring galaxy) as family or alternative
    has_ring: bool = False
    lens_only: bool = False

    def as_dict(self):
        return asdict(self)


def _outer_features(outer, fields):
    for piece in filter(None, (p.strip(" :?") for p in outer.split(","))):
        for match in _OUTER_TOKEN.finditer(piece):
            if match[4]:
                fields.outer_lens = True
            elif match[1] == "PR":
                fields.polar_ring = True
            elif match[3]:
                fields.outer_pseudo_ring = True
            else:
                fields.outer_ring = True


def _inner_features(inner, fields):
    for piece in filter(None, (p.strip(" :?") for p in inner.split(","))):
        bare = piece.replace("[", "").replace("]", "")
        if bare == "bl":
            fields.barlens = True
        elif bare in ("nr", "nrl"):
            fields.nuclear_ring = True
        elif bare == "nl":
            fields.nuclear_lens = True
        elif bare in ("p", "nb", "tb"):
            continue
        else:
            fields.inner_variety = fields.inner_variety or piece
            if "r" in bare and "s" in bare:
                fields.inner_pseudo_ring = True
            elif "r" in bare:
                fields.inner_ring = True
            elif "l" in bare:
                fields.inner_lens = True


def parse_cvrhs(text):
    """Fields of a CVRHS type given in plain or LaTeX form."""
    text = plain_type(text) if "$" in text or "\\" in text else text.strip()
    fields = CVRHS(type=text)
    match = _TYPE.match(text)
    fields.outer = match["outer"] or ""
    fields.family = match["family"] or ""
    fields.inner = match["inner"] or ""
    fields.stage = match["stage"] or ""
    rest = match["rest"]
    _outer_features(fields.outer, fields)
    _inner_features(fields.inner, fields)
    if fields.family.endswith("_a"):
        fields.bar_ansae = True
    fields.uncertain = ":" in text or "?" in text
    fields.peculiar = "pec" in rest
    fields.collisional = fields.family in ("RG", "PRG") or bool(re.search(r"\bP?RG\b", rest))
    fields.polar_ring = fields.polar_ring or bool(re.search(r"\bPR\b", rest))
    fields.has_ring = any((fields.outer_ring, fields.outer_pseudo_ring, fields.inner_ring,
                           fields.inner_pseudo_ring, fields.nuclear_ring, fields.family in ("RG", "PRG")))
    fields.lens_only = not fields.has_ring and any(
        (fields.outer_lens, fields.inner_lens, fields.nuclear_lens, fields.barlens))
    return fields
