"""Numbers for people, shared by every surface (CLI, notebooks, dashboard).

Modules (numbers themselves are worded by ``scaling_lib.units``): ``analysis`` (an
analysis, a diagnosis and a forecast as text and tables), ``recommend`` (ranked options),
``records`` (what the store holds: ``ls`` and ``show``), ``what_if`` (a study's what-if in
sentences and tables), ``plots`` and ``ai_plots`` (the hvplot figures every surface shows).
Computed once in ``analysis``/``simulate``, rendered here.
"""
