"""The CVRHS parser against real type strings from Buta (2017) Table 2, expectations by hand."""
import pytest

from ringsky.labels.cvrhs import CVRHS, parse_cvrhs, plain_type

FLAGS = {name for name, value in CVRHS(type="").as_dict().items() if isinstance(value, bool)}

# (LaTeX as in the table, plain form, family, inner variety, stage, the flags that are True)
CASES = [
    (r"RG (RK?) or (R)SAd?", "RG (RK?) or (R)SAd?", "RG", "", "", {"uncertain", "collisional", "has_ring"}),
    (r"S0 sp / PR", "S0 sp / PR", "S", "", "0", {"polar_ring"}),
    (r"SAB(r$^{\prime}$l)0$^+$: pec", "SAB(r'l)0+: pec", "SAB", "r'l", "0+",
     {"inner_ring", "uncertain", "peculiar", "has_ring"}),
    (r"SA0/a sp / E(d)3-4", "SA0/a sp / E(d)3-4", "SA", "", "0/a", set()),
    (r"(R$^{\prime}$,R)SA(r)b", "(R',R)SA(r)b", "SA", "r", "b",
     {"outer_pseudo_ring", "outer_ring", "inner_ring", "has_ring"}),
    (r"(R$_1^{\prime}$)SAB(r,nr?)a", "(R1')SAB(r,nr?)a", "SAB", "r", "a",
     {"outer_pseudo_ring", "inner_ring", "nuclear_ring", "uncertain", "has_ring"}),
    (r"(R$^{\prime}$:)SAB($\underline{\rm r}$s,nl)a", "(R':)SAB([r]s,nl)a", "SAB", "[r]s", "a",
     {"outer_pseudo_ring", "inner_pseudo_ring", "nuclear_lens", "uncertain", "has_ring"}),
    (r"(R$_1$)SA$_x$(r)a", "(R1)SA_x(r)a", "SA_x", "r", "a", {"outer_ring", "inner_ring", "has_ring"}),
    (r"(R$^{\prime}$)SA0/a or (R$^{\prime}$)E0", "(R')SA0/a or (R')E0", "SA", "", "0/a",
     {"outer_pseudo_ring", "has_ring"}),
    (r"(R$^{\prime}$,L)SA($\underline{\rm r}$s)ab", "(R',L)SA([r]s)ab", "SA", "[r]s", "ab",
     {"outer_pseudo_ring", "outer_lens", "inner_pseudo_ring", "has_ring"}),
    (r"(RR)SA$\underline{\rm B}$$_a$(r$\underline{\rm s}$,bl)ab", "(RR)SA[B]_a(r[s],bl)ab", "SA[B]_a", "r[s]", "ab",
     {"outer_ring", "bar_ansae", "inner_pseudo_ring", "barlens", "has_ring"}),
    (r"(RL)S$\underline{\rm A}$B(l)0$^+$", "(RL)S[A]B(l)0+", "S[A]B", "l", "0+",
     {"outer_ring", "outer_lens", "inner_lens", "has_ring"}),
    (r"(L)SB$_a$(r,bl)0/a", "(L)SB_a(r,bl)0/a", "SB_a", "r", "0/a",
     {"outer_lens", "bar_ansae", "inner_ring", "barlens", "has_ring"}),
    (r"(R$_1^{\prime}$)SAB$_a$(r$^{\prime}$l)ab", "(R1')SAB_a(r'l)ab", "SAB_a", "r'l", "ab",
     {"outer_pseudo_ring", "bar_ansae", "inner_ring", "has_ring"}),
    (r"(R$\underline{\rm L}$)SAB($\underline{\rm r}$s)ab", "(R[L])SAB([r]s)ab", "SAB", "[r]s", "ab",
     {"outer_ring", "outer_lens", "inner_pseudo_ring", "has_ring"}),
    (r"(R$_1$R$_2^{\prime}$)SAB$_a$(l)a", "(R1R2')SAB_a(l)a", "SAB_a", "l", "a",
     {"outer_ring", "outer_pseudo_ring", "bar_ansae", "inner_lens", "has_ring"}),
    (r"(L)SA$\underline{\rm B}$$_a$(l)0$^o$", "(L)SA[B]_a(l)0o", "SA[B]_a", "l", "0o",
     {"outer_lens", "bar_ansae", "inner_lens", "lens_only"}),
    (r"SA0$^-$ + PR/IR", "SA0- + PR/IR", "SA", "", "0-", {"polar_ring"}),
    (r"(R$^{\prime}$)SA(s)c pec or RG?", "(R')SA(s)c pec or RG?", "SA", "s", "c",
     {"outer_pseudo_ring", "uncertain", "peculiar", "collisional", "has_ring"}),
    (r"(R$^{\prime}$)SA$\underline{\rm B}$$_a$(rl)a", "(R')SA[B]_a(rl)a", "SA[B]_a", "rl", "a",
     {"outer_pseudo_ring", "bar_ansae", "inner_ring", "has_ring"}),
    (r"(R,L)SB(rs)dm", "(R,L)SB(rs)dm", "SB", "rs", "dm",
     {"outer_ring", "outer_lens", "inner_pseudo_ring", "has_ring"}),
    (r"(R$^{\prime}$)S$\underline{\rm A}$B(s:)ab:", "(R')S[A]B(s:)ab:", "S[A]B", "s", "ab",
     {"outer_pseudo_ring", "uncertain", "has_ring"}),
    (r"(R?)S$\underline{\rm A}$B($\underline{\rm r}$s)a", "(R?)S[A]B([r]s)a", "S[A]B", "[r]s", "a",
     {"outer_ring", "inner_pseudo_ring", "uncertain", "has_ring"}),
    (r"(R:)SAB(r)0/a", "(R:)SAB(r)0/a", "SAB", "r", "0/a", {"outer_ring", "inner_ring", "uncertain", "has_ring"}),
    (r"S0$^o$ sp + IR", "S0o sp + IR", "S", "", "0o", set()),
    (r"(RL)SAB$_a$(l)0$^+$", "(RL)SAB_a(l)0+", "SAB_a", "l", "0+",
     {"outer_ring", "outer_lens", "bar_ansae", "inner_lens", "has_ring"}),
    (r"(R$_1^{\prime}$)SB(p,$\underline{\rm r}$s,bl)ab", "(R1')SB(p,[r]s,bl)ab", "SB", "[r]s", "ab",
     {"outer_pseudo_ring", "inner_pseudo_ring", "barlens", "has_ring"}),
    (r"(L)S$\underline{\rm A}$B(rl,nl)0$^+$", "(L)S[A]B(rl,nl)0+", "S[A]B", "rl", "0+",
     {"outer_lens", "inner_ring", "nuclear_lens", "has_ring"}),
    (r"(R$^{\prime}$)SA(r,nrl)ab", "(R')SA(r,nrl)ab", "SA", "r", "ab",
     {"outer_pseudo_ring", "inner_ring", "nuclear_ring", "has_ring"}),
    (r"SB(r,bl)ab:", "SB(r,bl)ab:", "SB", "r", "ab", {"inner_ring", "barlens", "uncertain", "has_ring"}),
    (r"SA0$^o$ + PR? or (R)SAB(l)b", "SA0o + PR? or (R)SAB(l)b", "SA", "", "0o", {"polar_ring", "uncertain"}),
    (r"(R$_2^{\prime}$L)SB(s)a", "(R2'L)SB(s)a", "SB", "s", "a", {"outer_pseudo_ring", "outer_lens", "has_ring"}),
    (r"(R$^{\prime}$)SA(l)0/a", "(R')SA(l)0/a", "SA", "l", "0/a", {"outer_pseudo_ring", "inner_lens", "has_ring"}),
    (r"(R$_1$)SAB$_a$(rs)0/a", "(R1)SAB_a(rs)0/a", "SAB_a", "rs", "0/a",
     {"outer_ring", "bar_ansae", "inner_pseudo_ring", "has_ring"}),
    (r"(R$^{\prime}$)SB(r)a", "(R')SB(r)a", "SB", "r", "a", {"outer_pseudo_ring", "inner_ring", "has_ring"}),
    (r"(R$_2^{\prime}$)S$\underline{\rm A}$B(l)a", "(R2')S[A]B(l)a", "S[A]B", "l", "a",
     {"outer_pseudo_ring", "inner_lens", "has_ring"}),
    (r"(R$_2^{\prime}$)SAB(l)0/a:", "(R2')SAB(l)0/a:", "SAB", "l", "0/a",
     {"outer_pseudo_ring", "inner_lens", "uncertain", "has_ring"}),
    (r"SA(rs)b:", "SA(rs)b:", "SA", "rs", "b", {"inner_pseudo_ring", "uncertain", "has_ring"}),
    (r"(R$_{12}^{\prime}$)SA$\underline{\rm B}$(r)bc", "(R12')SA[B](r)bc", "SA[B]", "r", "bc",
     {"outer_pseudo_ring", "inner_ring", "has_ring"}),
    (r"E0(r) or SA(rs)ab:", "E0(r) or SA(rs)ab:", "E0", "r", "", {"inner_ring", "uncertain", "has_ring"}),
    (r"(R$_2^{\prime}$)SB(r,bl)b", "(R2')SB(r,bl)b", "SB", "r", "b",
     {"outer_pseudo_ring", "inner_ring", "barlens", "has_ring"}),
    (r"SA(rl)ab:", "SA(rl)ab:", "SA", "rl", "ab", {"inner_ring", "uncertain", "has_ring"}),
    (r"(R$_1$R$_2^{\prime}$)SAB(s)b", "(R1R2')SAB(s)b", "SAB", "s", "b",
     {"outer_ring", "outer_pseudo_ring", "has_ring"}),
    (r"(R$^{\prime}$)SAB$_a$(s)ab", "(R')SAB_a(s)ab", "SAB_a", "s", "ab", {"outer_pseudo_ring", "bar_ansae", "has_ring"}),
]


def test_at_least_forty_real_strings():
    assert len(CASES) >= 40 and len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("latex, plain, family, inner, stage, flags", CASES, ids=[c[1] for c in CASES])
def test_cvrhs_fields(latex, plain, family, inner, stage, flags):
    assert plain_type(latex) == plain
    fields = parse_cvrhs(latex)
    assert (fields.type, fields.family, fields.inner_variety, fields.stage) == (plain, family, inner, stage)
    assert {name for name in FLAGS if getattr(fields, name)} == flags


def test_plain_and_latex_forms_parse_alike():
    for latex, plain, *_ in CASES:
        assert parse_cvrhs(plain) == parse_cvrhs(latex)
