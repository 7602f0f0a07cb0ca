"""The Data scaling tab's "Next measurement" card: what to measure so the forecast at its
target can be trusted, and the command that measures it.

Usage::

    view = AdviceView(store=StudyStore(results="data/results", studies=["quick"]))
    view.target, view.target_workers = 1e6, 2
    view.advice("quick")       # AdviceReport.as_dict() (schema advice/1), or the reason
                               # there is none (a study with too few points), as text

The advice (``analysis.advise``) refits the time model some 30-45 times: 1-4 s. It is
computed once the card is shown, kept per (study, version of its records, filters,
target) in the process-wide cache every session shares, and, when served, computed on
a thread while the card says so: the forecast beside it draws at once and other
sessions are not held up. What the measuring machine can run is read from the records
alone (``reach_from_records``): the dashboard never looks at a spec or a cluster.
"""

from __future__ import annotations

import asyncio
import html
import logging
import threading
from collections.abc import Callable
from typing import Any

import pandas as pd
import panel as pn
import param

from scaling_lib.analysis.advise import advise
from scaling_lib.analysis.advise_candidates import reach_from_records
from scaling_lib.analysis.scaling import dask_runs
from scaling_lib.dashboard.view_base import View, default_target, empty, lazy, text_table
from scaling_lib.present.advice import advice_line, advice_table
from scaling_lib.present.advice_command import SPEC_NOTE, advice_command
from scaling_lib.units import fmt_number

__all__ = ["AdviceView"]

WORKING = "*Working out which measurement narrows this forecast most (a few seconds)...*"
NARROWING_NOTE = (
    "narrowing / min: how much of the interval's width (the log of high / low) each is "
    "expected to remove, per minute of measuring"
)


class _Once:
    """A value computed at most once, by whichever thread asks first (the others wait
    for it): several sessions opening the same study's card share one computation."""

    def __init__(self, compute: Callable[[], dict]):
        self._compute: Callable[[], dict] | None = compute
        self._lock = threading.Lock()
        self._value: dict | str = ""

    def get(self) -> dict | str:
        """The advice, or why there is none (the AnalysisError's message)."""
        with self._lock:
            if self._compute is not None:
                try:
                    self._value = self._compute()
                except ValueError as exc:  # AnalysisError: too few points, and the like
                    self._value = str(exc)
                self._compute = None  # done: let go of the records
            return self._value


class AdviceView(View):
    """The next measurement for the forecast at (``target``, ``target_workers``)."""

    target = param.Number(default=0.0, bounds=(0, None), doc="size of the forecast")
    target_workers = param.Integer(
        default=0, bounds=(0, None), doc="workers of the forecast; 0: the most measured"
    )

    def __init__(self, **params):
        super().__init__(**params)
        self._asked = 0  # the latest render; a slower, older one is not shown over it

    @param.depends("store.records", watch=True, on_init=True)
    def _default_target(self):
        if not self.target:
            self.target = default_target(self._records())

    def _study_records(self, study: str) -> pd.DataFrame:
        df = self._records()
        return df[df["study"] == study] if "study" in df else df

    def workers_of(self, study: str) -> int:
        """The target's workers: as set, else the most the study measured."""
        runs = dask_runs(self._study_records(study))
        if self.target_workers:
            return int(self.target_workers)
        return int(runs["n_workers"].max()) if len(runs) else 0

    def _pending(self, study: str) -> _Once:
        """The advice for one study at the current target, from the shared cache (cheap:
        what it holds is computed on its first ``get``)."""
        size, workers = float(self.target), self.workers_of(study)

        def compute(records: pd.DataFrame) -> dict:
            df = records[records["study"] == study] if "study" in records else records
            return advise(
                df,
                target_size=size,
                target_workers=workers,
                reach=reach_from_records(df, target_workers=workers),
            ).as_dict()

        return self.store.memo(
            ("advice", study, size, workers), lambda records: _Once(lambda: compute(records))
        )

    def advice(self, study: str) -> dict | str:
        """``AdviceReport.as_dict()`` for ``study``, or why there is none, as text."""
        return self._pending(study).get()

    def __panel__(self):
        return pn.Card(
            lazy(
                self._render, self.store.param.records, self.param.target, self.param.target_workers
            ),
            title="Next measurement",
            collapsible=False,
            sizing_mode="stretch_width",
        )

    def _render(self, _records, _target, _workers):
        df = self._records()
        if not len(dask_runs(df)):
            return empty()
        if not self.target:
            return empty("Set a target size: the advice is for the forecast there.")
        studies = [s for s in self.store.studies if "study" not in df or (df["study"] == s).any()]
        pending = [(s, self._pending(s)) for s in studies]
        self._asked += 1
        doc = pn.state.curdoc
        if doc is None or doc.session_context is None:  # a notebook, a test: at once
            return self._shown([(s, p.get()) for s, p in pending])
        body = pn.Column(pn.pane.Markdown(WORKING), sizing_mode="stretch_width")
        asked = self._asked

        async def work() -> None:  # on the server's event loop; the fits on a thread
            try:
                done = await asyncio.to_thread(lambda: [(s, p.get()) for s, p in pending])
                shown = self._shown(done).objects
            except Exception as exc:  # said in the card (and logged), not left "working"
                logging.getLogger(__name__).exception("advice failed")
                shown = [empty(f"No advice: {type(exc).__name__}: {exc}")]
            if asked == self._asked:
                body.objects = shown

        pn.state.execute(work)
        return body

    def _shown(self, done: list[tuple[str, Any]]) -> pn.Column:
        parts = []
        for study, advice in done:
            if len(done) > 1:
                parts.append(pn.pane.Markdown(f"**{html.escape(study)}**"))
            parts += self._one(advice)
        return pn.Column(*parts, sizing_mode="stretch_width")

    def _one(self, advice: dict | str) -> list:
        if isinstance(advice, str):
            return [empty(f"No advice yet: {advice}")]
        target = advice["target"]
        parts: list = [pn.pane.Markdown(html.escape(advice_line(advice)) or "")]
        table = advice_table(advice)
        if len(table):
            parts += [text_table(table), pn.pane.Markdown(f"*{html.escape(NARROWING_NOTE)}*")]
        command = advice_command(advice)
        if command:
            parts.append(
                pn.pane.Markdown(
                    "To measure it (one point, then the forecast refitted):\n\n"
                    f"```bash\n{command}\n```\n\n"
                    f"*{html.escape(SPEC_NOTE)}. --until-width is the width this measurement "
                    "is expected to leave: ask for less and drop --steps to go on measuring "
                    "what the advice says until the forecast is that narrow.*"
                )
            )
        parts.append(
            pn.pane.Markdown(
                f"*For the forecast at {html.escape(fmt_number(target['size']))} on "
                f"{int(target['n_workers'])} worker(s); what this machine can run is read "
                "from the records (its cores and memory).*"
            )
        )
        return parts
