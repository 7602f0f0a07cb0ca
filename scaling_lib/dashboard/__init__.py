"""The Panel dashboard: a ``StudyStore`` (``state``) and one Viewer per tab over it.

Usage::

    scaling-lib serve --results data/results          # or: panel serve dashboards/app.py
    scaling-lib report quick --html quick.html        # the same views, one static file

It reads the store and calls ``analysis``/``simulate``; its figures come from
``present.plots``; it never starts a cluster. Nothing here is imported by ``scaling_lib``
itself: hvplot and Panel load only when the dashboard is asked for.
"""
