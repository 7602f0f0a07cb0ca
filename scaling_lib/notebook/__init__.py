"""What the notebooks call: parameter cells, views with rich output, the ``%%scale`` magic.

Usage (in a notebook)::

    from scaling_lib.notebook import spec_from_parameters, views as nv
    %load_ext scaling_lib                  # then a %%scale cell measures that cell

Modules: ``parameters`` (a spec, or an adaptive sweep's arguments, from a parameters
cell), ``views`` (tables, Markdown and plots of a study), ``advice_views`` (the next
measurement beside a forecast), ``what_if_views``, ``ml_views``, ``magic`` and
``magic_views``.
"""

from scaling_lib.notebook.parameters import adaptive_arguments, spec_from_parameters

__all__ = ["adaptive_arguments", "spec_from_parameters"]
