"""Entry for `panel serve dashboards/app.py`: the Scaling Workbook dashboard.

    panel serve dashboards/app.py --address 127.0.0.1 --port 5006
    panel serve dashboards/app.py --args --results data/results

Shows data/results when it holds studies, else the committed example study: a title
bar, the filters in a sidebar, the tabs beside it (``App.page``).
"""

import sys

import panel as pn

from scaling_lib.dashboard.app import App, default_results, settle_heap


def _results_arg() -> str:
    args = sys.argv[1:]
    if "--results" in args and args.index("--results") + 1 < len(args):
        return args[args.index("--results") + 1]
    return default_results()


# What pn.state.served checks, without its inspect.stack(), which reads the source of
# every frame on the server's deep stack for every new session.
if __name__.startswith("bokeh_app_"):
    pn.extension("tabulator")
    App(results=_results_arg()).page().servable(title="Scaling Workbook")
    settle_heap()
