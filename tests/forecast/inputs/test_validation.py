"""contacts.csv validation: every case of issue 2 asserts its full one-line message.

Line numbers are 1-based file lines (header = line 1). The small files are built from
``_rows()``: 4 half-hour intervals x 2 queues, ordered by time then queue, so data line
``k`` (k >= 2) is interval ``(k - 2) // 2`` of queue ``(k - 2) % 2``.
"""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.inputs.history import MAX_PER_CHECK, check_contacts, load_contacts
from forecast.inputs.problems import InputError, Problem

HEADER = "interval_start,channel,language,contacts,aht_s"
START = pd.Timestamp("2026-11-16T08:00:00Z")


def _rows(n: int = 4, step_min: int = 30) -> list[str]:
    """Header plus ``n`` intervals x (chat/en, email/zh), time-major."""
    out = [HEADER]
    for i in range(n):
        t = (START + pd.Timedelta(minutes=step_min * i)).isoformat()
        out += [f"{t},chat,en,{10 + i},300.5", f"{t},email,zh,{i},{'' if i == 0 else 250}"]
    return out


def _write(tmp_path, rows: list[str], name: str = "contacts.csv", newline: str = "\n"):
    path = tmp_path / name
    path.write_text(newline.join(rows) + newline, encoding="utf-8", newline="")
    return path


def _messages(path, **kw) -> list[str]:
    with pytest.raises(InputError) as info:
        load_contacts(path, **kw)
    assert str(info.value) == "\n".join(str(p) for p in info.value.problems)
    return [str(p) for p in info.value.problems]


def _set(rows: list[str], line: int, field: int, value: str) -> list[str]:
    """Copy of ``rows`` with field ``field`` of file line ``line`` replaced."""
    rows = list(rows)
    cells = rows[line - 1].split(",")
    cells[field] = value
    rows[line - 1] = ",".join(cells)
    return rows


# --------------------------------------------------------------------------- accepted input


def test_valid_file_types_and_order(tmp_path):
    df = load_contacts(_write(tmp_path, _rows()))
    assert list(df.columns) == ["interval_start", "channel", "language", "contacts", "aht_s"]
    assert str(df["interval_start"].dtype) == "datetime64[ns, UTC]"
    assert df["contacts"].dtype == np.int64 and df["aht_s"].dtype == np.float64
    assert df["channel"].tolist() == ["chat"] * 4 + ["email"] * 4  # sorted by queue, then time
    assert df["interval_start"].iloc[:4].tolist() == [START + pd.Timedelta(minutes=30 * i)
                                                      for i in range(4)]
    email = df[df["channel"] == "email"]
    assert np.isnan(email["aht_s"].iloc[0]) and email["contacts"].iloc[0] == 0
    assert email["aht_s"].iloc[1:].tolist() == [250.0] * 3


def test_bom_crlf_and_gzip_are_accepted_and_equal(tmp_path):
    plain = load_contacts(_write(tmp_path, _rows()))
    bom = ["\ufeff" + _rows()[0]] + _rows()[1:]
    windows = load_contacts(_write(tmp_path, bom, "c_bom.csv", newline="\r\n"))
    gz = tmp_path / "contacts.csv.gz"
    gz.write_bytes(gzip.compress(("\r\n".join(bom) + "\r\n").encode("utf-8")))
    pd.testing.assert_frame_equal(plain, windows)
    pd.testing.assert_frame_equal(plain, load_contacts(gz))


def test_offsets_other_than_utc_are_normalised(tmp_path):
    rows = [r.replace("2026-11-16T08:", "2026-11-16T17:").replace("+00:00", "+09:00")
            if r.startswith("2026-11-16T08:") else r for r in _rows()]
    rows = [r.replace("+00:00", "Z") if r.startswith("2026-11-16T09:") else r for r in rows]
    pd.testing.assert_frame_equal(load_contacts(_write(tmp_path, rows)),
                                  load_contacts(_write(tmp_path, _rows(), "plain.csv")))


def test_blank_lines_spaces_and_extra_columns_are_accepted(tmp_path):
    rows = _rows()
    rows = [rows[0] + ",note"] + [r + ", x " for r in rows[1:3]] + [""] + rows[3:]
    rows[1] = rows[1].replace(",chat,", ", chat ,")
    df = load_contacts(_write(tmp_path, rows))
    assert len(df) == 8 and "note" not in df and set(df["channel"]) == {"chat", "email"}
    # the blank line still counts: a problem after it reports its true file line
    bad = _set(rows, 6, 3, "-1")
    assert _messages(_write(tmp_path, bad)) == [
        "contacts.csv:6, column 'contacts', value '-1': negative count; expected an integer >= 0"]


def test_zero_contacts_with_a_number_as_aht_is_accepted_and_dropped(tmp_path):
    df = load_contacts(_write(tmp_path, _set(_rows(), 3, 4, "0")))
    assert df["aht_s"].isna().sum() == 1


# --------------------------------------------------------------------------- file level


def test_missing_file(tmp_path):
    assert _messages(tmp_path / "contacts.csv") == [f"contacts.csv: file not found in {tmp_path}"]


@pytest.mark.parametrize(("text", "message"), [
    ("", "contacts.csv: file is empty; expected a header line and data rows"),
    ("\r\n\n", "contacts.csv: file is empty; expected a header line and data rows"),
    (HEADER + "\n", "contacts.csv: file has a header but no data rows"),
    (HEADER + "\n\n", "contacts.csv: file has a header but no data rows"),
])
def test_empty_file(tmp_path, text, message):
    path = tmp_path / "contacts.csv"
    path.write_text(text)
    assert _messages(path) == [message]


def test_missing_and_duplicate_columns(tmp_path):
    rows = [r.rsplit(",", 1)[0] for r in _rows()]
    assert _messages(_write(tmp_path, rows)) == [
        "contacts.csv:1, column 'aht_s': missing column; the header has "
        "['interval_start', 'channel', 'language', 'contacts']"]
    rows = [HEADER + ",contacts"] + [r + ",1" for r in _rows()[1:]]
    assert _messages(_write(tmp_path, rows)) == [
        "contacts.csv:1, column 'contacts': duplicate column in the header"]


def test_wrong_number_of_fields_and_not_utf8(tmp_path):
    rows = _rows()
    rows[4] += ",9"
    assert _messages(_write(tmp_path, rows)) == [
        "contacts.csv:5: expected 5 comma-separated fields (as in the header), found 6"]
    path = tmp_path / "contacts.csv"
    path.write_bytes(("\n".join(_rows()) + "\n").replace("chat", "ch\xe4t").encode("latin-1"))
    assert _messages(path) == ["contacts.csv:2: not UTF-8 text (byte 0xe4); save the file as UTF-8"]


def test_gzip_mixups(tmp_path):
    data = ("\n".join(_rows()) + "\n").encode()
    (tmp_path / "contacts.csv").write_bytes(gzip.compress(data))
    assert _messages(tmp_path / "contacts.csv") == [
        "contacts.csv: gzip-compressed; name it contacts.csv.gz or decompress it"]
    (tmp_path / "contacts.csv.gz").write_bytes(data)
    assert _messages(tmp_path / "contacts.csv.gz")[0].startswith(
        "contacts.csv.gz: not a readable gzip file")


# --------------------------------------------------------------------------- timestamps


@pytest.mark.parametrize(("value", "message"), [
    ("2026-11-16 25:00+00:00", "unparseable timestamp; expected an ISO 8601 timestamp with "
     "offset such as 2026-01-05T09:30:00+00:00"),
    ("16/11/2026 08:30", "unparseable timestamp; expected an ISO 8601 timestamp with offset "
     "such as 2026-01-05T09:30:00+00:00"),
    ("", "missing value; expected an ISO 8601 timestamp with offset such as "
     "2026-01-05T09:30:00+00:00"),
    ("2026-11-16T08:30:00", "timestamp has no UTC offset; expected e.g. "
     "2026-01-05T09:30:00+00:00 or ...Z"),
    ("2026-11-16", "timestamp has no UTC offset; expected e.g. 2026-01-05T09:30:00+00:00 or ...Z"),
])
def test_bad_timestamps(tmp_path, value, message):
    path = _write(tmp_path, _set(_rows(), 4, 0, value))
    assert _messages(path) == [f"contacts.csv:4, column 'interval_start', value {value!r}: {message}"]


def test_duplicate_interval_rows(tmp_path):
    rows = _rows()
    rows.append(rows[3].replace(",11,", ",7,"))  # same interval and queue as line 4
    rows.append(rows[2].replace("+00:00", "+01:00").replace("T08:00", "T09:00"))  # = line 3
    assert _messages(_write(tmp_path, rows)) == [
        "contacts.csv:10, column 'interval_start', value '2026-11-16T08:30:00+00:00': duplicate "
        "row for this interval, channel and language; first at line 4",
        "contacts.csv:11, column 'interval_start', value '2026-11-16T09:00:00+01:00': duplicate "
        "row for this interval, channel and language; first at line 3"]


def test_missing_intervals(tmp_path):
    rows = _rows(6)
    del rows[5:9]  # intervals 2 and 3 of both queues
    del rows[-1]  # last interval of email/zh: a queue may end early, not a gap
    assert _messages(_write(tmp_path, rows)) == [
        "contacts.csv:6, column 'interval_start': missing intervals: no row for chat/en from "
        "2026-11-16T09:00:00+00:00 to 2026-11-16T09:30:00+00:00 (2 intervals); expected one row "
        "per interval, contacts 0 when none arrived",
        "contacts.csv:7, column 'interval_start': missing intervals: no row for email/zh from "
        "2026-11-16T09:00:00+00:00 to 2026-11-16T09:30:00+00:00 (2 intervals); expected one row "
        "per interval, contacts 0 when none arrived"]


@pytest.mark.parametrize("step_min", [15, 30, 60])
def test_allowed_interval_lengths(tmp_path, step_min):
    result = check_contacts(_write(tmp_path, _rows(4, step_min)))
    assert result.problems == () and result.interval_s == 60 * step_min


@pytest.mark.parametrize("step_min", [5, 20, 120])
def test_interval_length_not_15_30_60(tmp_path, step_min):
    assert _messages(_write(tmp_path, _rows(5, step_min))) == [
        "contacts.csv, column 'interval_start', value '" + f"{step_min} min': inferred interval "
        "length (the most common spacing) is not 15, 30 or 60 minutes"]


def test_irregular_interval(tmp_path):
    rows = _rows(6)
    rows[9:11] = [r.replace("T10:00", "T10:10") for r in rows[9:11]]  # interval 4 moved 10 min
    assert _messages(_write(tmp_path, rows)) == [
        "contacts.csv:10, column 'interval_start', value '2026-11-16T10:10:00+00:00': irregular "
        "interval: not on the 30-minute grid starting at 2026-11-16T08:00:00+00:00",
        "contacts.csv:11, column 'interval_start', value '2026-11-16T10:10:00+00:00': irregular "
        "interval: not on the 30-minute grid starting at 2026-11-16T08:00:00+00:00"]
    del rows[9:11]  # now only the gap remains
    assert _messages(_write(tmp_path, rows)) == [
        "contacts.csv:10, column 'interval_start': missing intervals: no row for chat/en from "
        "2026-11-16T10:00:00+00:00 to 2026-11-16T10:00:00+00:00 (1 interval); expected one row "
        "per interval, contacts 0 when none arrived",
        "contacts.csv:11, column 'interval_start': missing intervals: no row for email/zh from "
        "2026-11-16T10:00:00+00:00 to 2026-11-16T10:00:00+00:00 (1 interval); expected one row "
        "per interval, contacts 0 when none arrived"]


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(("field", "value", "message"), [
    (3, "-3", "'contacts', value '-3': negative count; expected an integer >= 0"),
    (3, "2.5", "'contacts', value '2.5': not a whole number; expected an integer >= 0"),
    (3, "many", "'contacts', value 'many': expected an integer >= 0"),
    (3, "", "'contacts', value '': missing value; expected an integer >= 0"),
    (4, "0", "'aht_s', value '0': handle time out of range; expected the mean handle time in "
     "seconds, in (0, 14400], when contacts > 0"),
    (4, "14401", "'aht_s', value '14401': handle time out of range; expected the mean handle "
     "time in seconds, in (0, 14400], when contacts > 0"),
    (4, "-5", "'aht_s', value '-5': handle time out of range; expected the mean handle time in "
     "seconds, in (0, 14400], when contacts > 0"),
    (4, "", "'aht_s', value '': missing value; expected the mean handle time in seconds, in "
     "(0, 14400], when contacts > 0"),
    (4, "5m", "'aht_s', value '5m': not a number; expected the mean handle time in seconds, in "
     "(0, 14400], when contacts > 0"),
    (2, "EN", "'language', value 'EN': expected an ISO 639-1 language code (two lowercase "
     "letters) such as en"),
    (2, "eng", "'language', value 'eng': expected an ISO 639-1 language code (two lowercase "
     "letters) such as en"),
    (1, "", "'channel', value '': missing value; expected a channel name"),
])
def test_bad_values(tmp_path, field, value, message):
    path = _write(tmp_path, _set(_rows(), 4, field, value))  # line 4: chat/en, 11 contacts
    assert _messages(path) == [f"contacts.csv:4, column {message}"]


def test_zero_contacts_with_text_as_aht(tmp_path):
    assert _messages(_write(tmp_path, _set(_rows(), 3, 4, "n/a"))) == [
        "contacts.csv:3, column 'aht_s', value 'n/a': expected empty (or a number) when "
        "contacts is 0"]


def test_unknown_channel_when_channels_are_given(tmp_path):
    path = _write(tmp_path, _rows())
    assert load_contacts(path, channels=["chat", "email"]).shape == (8, 5)
    assert _messages(path, channels=["chat", "social"])[0] == (
        "contacts.csv:3, column 'channel', value 'email': channel not configured in "
        "scenario.toml; expected one of ['chat', 'social']")


def test_problems_are_capped_per_check(tmp_path):
    rows = _rows(40)
    rows = [rows[0]] + [r.replace(",chat,en,", ",chat,en,-") for r in rows[1:]]
    msgs = _messages(_write(tmp_path, rows))
    assert len(msgs) == MAX_PER_CHECK + 1
    assert msgs[0] == ("contacts.csv:2, column 'contacts', value '-10': negative count; "
                       "expected an integer >= 0")
    assert msgs[-1] == ("contacts.csv, column 'contacts': ... and 30 more rows with the same "
                        "problem")


def test_broken_large_file_gives_a_short_list(tmp_path):
    """A 60,000-row file with every kind of damage sprinkled in: at most 11 lines per check."""
    rng = np.random.default_rng(3)
    t = pd.date_range("2026-01-01", periods=7500, freq="30min", tz="UTC")
    df = pd.DataFrame({"interval_start": np.repeat(t.strftime("%Y-%m-%dT%H:%M:%S+00:00"), 8),
                       "channel": np.tile(["chat", "email"], 30000),
                       "language": np.tile(np.repeat(["en", "zh", "ko", "ja"], 2), 7500),
                       "contacts": rng.poisson(4, 60000).astype(str),
                       "aht_s": "300"})
    for col, value, n in [("contacts", "-1", 900), ("contacts", "1.5", 50), ("aht_s", "0", 700),
                          ("interval_start", "2026-01-01T00:00:00", 300)]:
        df.loc[rng.choice(60000, n, replace=False), col] = value
    df.to_csv(tmp_path / "contacts.csv", index=False)
    result = check_contacts(tmp_path / "contacts.csv")
    text = [str(p) for p in result.problems]
    assert result.frame is None and len(text) <= 5 * (MAX_PER_CHECK + 1)
    assert sum("more rows with the same problem" in m for m in text) >= 4


# --------------------------------------------------------------------------- properties


@settings(max_examples=25, deadline=None)
@given(counts=st.lists(st.integers(0, 10**6), min_size=6, max_size=6),
       offset_h=st.integers(-12, 14), step_min=st.sampled_from([15, 30, 60]))
def test_round_trip(tmp_path_factory, counts, offset_h, step_min):
    """Whatever offset the file uses, the loaded table is the UTC truth."""
    tz = f"{'+' if offset_h >= 0 else '-'}{abs(offset_h):02d}:00"
    rows = [HEADER]
    for i, n in enumerate(counts):
        t = START + pd.Timedelta(minutes=step_min * (i // 2))
        local = (t + pd.Timedelta(hours=offset_h)).strftime("%Y-%m-%dT%H:%M:%S") + tz
        rows.append(f"{local},chat,{'en' if i % 2 else 'ko'},{n},{'' if n == 0 else 61.5}")
    df = load_contacts(_write(tmp_path_factory.mktemp("rt"), rows))
    assert df["contacts"].tolist() == counts[1::2] + counts[0::2]
    assert df["interval_start"].iloc[0] == START
    assert (df["interval_start"].diff().dropna() != pd.Timedelta(0)).all()
    assert df["aht_s"].isna().tolist() == [n == 0 for n in counts[1::2] + counts[0::2]]


def test_problem_str_says_key_for_toml():
    assert str(Problem("scenario.toml", "expected a number", column="staffing.shrinkage",
                       value="x")) == ("scenario.toml, key 'staffing.shrinkage', value 'x': "
                                       "expected a number")
    assert str(Problem("agents.csv", "m", line=3, column="vip")) == "agents.csv:3, column 'vip': m"
