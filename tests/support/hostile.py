"""The hostile values of STYLE.md's matrix for a form field, as a hypothesis strategy: any
text, control characters, very long and empty strings, huge and odd numbers, markup and SQL."""

from hypothesis import strategies as st

SAMPLES = [
    "",
    " ",
    "0",
    "-1",
    "1e309",
    "NaN",
    "99999999999999999999",
    "12.345",
    "javascript:alert(1)",
    "<script>x</script>",
    "'; DROP TABLE orders; --",
    "x" * 5000,
    "#zzzzzz",
    "PENDING",
    "DONE",
    "true",
    "admin",
]


def hostile_text(*extra: str):
    """A strategy for one field's value: the shared samples, `extra` ones a form cares about
    (a host label's edge cases…), any text, control characters and integers as text."""
    return st.one_of(
        st.text(max_size=200),
        st.text(alphabet=st.characters(max_codepoint=31), max_size=20),
        st.sampled_from([*SAMPLES, *extra]),
        st.integers(min_value=-(10**12), max_value=10**12).map(str),
    )
