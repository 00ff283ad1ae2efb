"""The notebook view of a table (results.show): what a reader sees, not what is saved."""

import re

import pandas as pd

from paperlib.results import show


def test_show_says_a_constant_text_column_once_and_hides_the_index():
    df = pd.DataFrame(
        {
            "Method": ["Bicubic", "DRIDSR"],
            "PSNR": [27.33141, 28.4],
            "PI": ["unavailable (NRQM_model.mat not found)"] * 2,
            "note": ["a", "b"],
        }
    )
    html = show(df, "Ours").to_html()
    assert html.count("unavailable (NRQM_model.mat not found)") == 1
    assert re.search(r"<caption>Ours\. PI: unavailable \(NRQM_model\.mat not found\) \(every row\)</caption>", html)
    assert ">PI<" not in html and ">note<" in html  # a column whose rows differ stays
    assert ">27.3314<" in html and ">28.4000<" in html and "27.33141" not in html
    assert "row_heading" not in html  # no 0, 1, 2 ... index column
    assert list(df.columns) == ["Method", "PSNR", "PI", "note"]  # the caller's frame is untouched


def test_show_without_constant_columns_has_no_caption():
    html = show(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})).to_html()
    assert "<caption>" not in html and ">1.0000<" in html
