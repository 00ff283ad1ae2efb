"""What the results notebooks set up, in one place: plotting backend, table display, the profile's note, data.

A notebook's second cell was the same dozen lines in six DRIDSR notebooks; it is now one call::

    prof, data = pl.notebook.dridsr_setup(profile, seed, data_root, progress)
"""

from __future__ import annotations


def start(profile: str, precision: int = 4, width: int | None = None):
    """Headless plotting (Agg), pandas display options, and the profile's note shown; returns the Profile."""
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd
    from IPython.display import Markdown, display

    from .profiles import get_profile

    pd.set_option("display.precision", precision)
    if width:
        pd.set_option("display.width", width)
    prof = get_profile(profile)
    display(Markdown(f"**Profile `{profile}`**: {prof.note}"))
    return prof


def dridsr_setup(profile: str, seed: int = 0, data_root=None, progress: bool = False):
    """:func:`start`, then COVID-CT split with ``seed`` (the embedded sample under ``smoke`` when COVID-CT is
    absent): ``(profile, data)``."""
    from .experiments.dridsr.tables import load_data

    prof = start(profile)
    return prof, load_data(seed=seed, data_root=data_root, progress=progress, profile=profile)


def exercise_note(profile: str) -> str:
    """The line under a notebook's exercises: solutions are collapsed, run by the tests at ``smoke``."""
    return (
        "Solutions are in the collapsed cells below (click to open); the tests run them under the `smoke` profile, "
        f"so they work on this notebook's variables as they are (here: `{profile}`)."
    )
