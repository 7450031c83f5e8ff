"""staffcast app for support managers: ``streamlit run app.py``.

The router only: page config, navigation and the sidebar's display time zone. Each page is
a short script under ``optimize/ui/`` calling the packages; caching and session state
live in :mod:`optimize.ui.state`.
"""

import streamlit as st

from optimize.ui import state

st.set_page_config(page_title="staffcast", page_icon=":material/support_agent:", layout="wide")
state.init_state()

PAGES = [
    st.Page("optimize/ui/overview.py", title="Overview", icon=":material/dashboard:",
            default=True),
    st.Page("optimize/ui/data.py", title="Data", icon=":material/database:"),
    st.Page("optimize/ui/forecast.py", title="Forecast", icon=":material/show_chart:"),
    st.Page("optimize/ui/staffing.py", title="Staffing", icon=":material/groups:"),
    st.Page("optimize/ui/schedule.py", title="Schedule", icon=":material/calendar_month:"),
    st.Page("optimize/ui/export.py", title="Export", icon=":material/download:"),
    st.Page("optimize/ui/capacity.py", title="Capacity", icon=":material/person_add:"),
]
page = st.navigation(PAGES)

with st.sidebar:
    st.caption(f"Scenario: **{state.scenario_key()}**")
    state.timezone_picker()

page.run()
