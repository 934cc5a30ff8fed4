"""Snippet windows: the window holds the most highlighted spans, earliest on ties."""

from hypothesis import given, settings
from hypothesis import strategies as st

from search_api.snippets import best_window, render_snippet


def _most_spans_start(spans, width):
    """The specification, quadratic: the start of the first span whose window holds most spans."""
    best_start, best_count = spans[0][0], 0
    for i, (start, _) in enumerate(spans):
        count = sum(1 for _, e in spans[i:] if e <= start + width)
        if count > best_count:
            best_start, best_count = start, count
    return best_start


@st.composite
def text_and_spans(draw):
    gaps = draw(st.lists(st.tuples(st.integers(1, 120), st.integers(1, 20)), min_size=1, max_size=60))
    spans, cursor = [], 0
    for gap, length in gaps:
        spans.append((cursor + gap, cursor + gap + length))
        cursor += gap + length
    words = "ord " * ((cursor + 200) // 4 + 1)
    return words[: cursor + draw(st.integers(0, 200))], spans


@settings(max_examples=300, deadline=None)
@given(text_and_spans(), st.sampled_from([40, 120, 280]))
def test_window_opens_before_the_densest_run_of_matches(case, width):
    text, spans = case
    start, end = best_window(text, spans, width)
    assert 0 <= start <= end <= len(text)
    if len(text) > width:
        densest = _most_spans_start(spans, width)
        assert start <= densest < start + width
        assert end - start <= width


def test_many_matches_in_a_long_text_are_marked_in_the_window():
    text = " ".join(["beslut om ambulanshelikopter"] * 400 + ["slut"])
    spans = []
    for i in range(400):
        offset = i * len("beslut om ambulanshelikopter ") + len("beslut om ")
        spans.append((offset, offset + len("ambulanshelikopter")))
    snippet = render_snippet(text, spans)
    assert snippet.startswith("beslut om <mark>ambulanshelikopter</mark>")
    assert snippet.endswith("…")
    assert snippet.count("<mark>") >= 8
