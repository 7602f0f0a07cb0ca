"""Views of the results store: hvplot/Panel components shared by notebooks and the dashboard.

Nothing here is imported by ``scaling_lib`` itself: hvplot and Panel load only when a
view is asked for.
"""
