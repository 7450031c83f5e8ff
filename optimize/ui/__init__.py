"""The Streamlit app's layer (``streamlit run app.py``).

Importable modules: :mod:`~optimize.ui.whatif`, :mod:`~optimize.ui.insights`,
:mod:`~optimize.ui.uploads` and :mod:`~optimize.ui.charts` (pure functions, no Streamlit
runtime), :mod:`~optimize.ui.state` (the only place that caches and keeps session state),
:mod:`~optimize.ui.views` and :mod:`~optimize.ui.runner` (UI helpers). The page scripts
``overview.py``, ``data.py``, ``forecast.py``, ``staffing.py``, ``schedule.py`` and
``export.py`` are run by ``st.navigation`` and are not meant to be imported.
"""

__all__: list[str] = []
