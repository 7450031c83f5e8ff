"""The input layer: reading and checking the CSV tables a desk supplies.

Shared by every stage that reads files, so that ``forecast`` and ``optimize`` report bad
input the same way and neither reaches back into the other:

- :mod:`~forecast.inputs.problems`: :class:`Problem` (file, line, column, value, what was
  expected) and :class:`InputError`, one problem per line, never a traceback;
- :mod:`~forecast.inputs.csvio`: text decoding, required columns, per-row problems;
- :mod:`~forecast.inputs.history`: ``contacts.csv`` and ``market.csv``, the history the
  forecast is fitted on;
- :mod:`~forecast.inputs.directory`: a directory's history read as one (a directory with
  only ``contacts.csv`` is enough to forecast).
"""

from forecast.inputs.directory import History, contacts_path, load_history_dir
from forecast.inputs.history import (
    ContactsChecked,
    check_contacts,
    check_market,
    load_contacts,
    load_market,
)
from forecast.inputs.problems import InputError, Problem, raise_if_any

__all__ = [
    "ContactsChecked",
    "History",
    "InputError",
    "Problem",
    "check_contacts",
    "check_market",
    "contacts_path",
    "load_contacts",
    "load_history_dir",
    "load_market",
    "raise_if_any",
]
