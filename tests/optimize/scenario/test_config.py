"""scenario.toml: the sample loads, and every kind of bad key gets a one-line message."""

from __future__ import annotations

import pytest

from forecast.inputs.problems import InputError
from optimize.scenario.config import load_config, parse_config

MINIMAL = {"channels": {"chat": {}}, "shifts": {"templates": [{"name": "day", "length_h": 8}]}}


def messages(doc) -> list[str]:
    with pytest.raises(InputError) as info:
        parse_config(doc)
    return [str(p) for p in info.value.problems]


def test_sample_config_loads(sample_dir):
    cfg = load_config(sample_dir / "scenario.toml")
    assert set(cfg.channels) == {"chat", "vip_chat", "email", "social"}
    assert cfg.channels["email"].kind == "deferred" and cfg.channels["email"].response_window_h == 24
    assert cfg.channels["vip_chat"].service_level == 0.90 and cfg.channels["vip_chat"].answer_time_s == 20
    assert [t.paid_h for t in cfg.shifts.templates] == [8.0, 4.0]  # the meal is unpaid
    assert cfg.shrinkage_for("chat") == 0.30


def test_minimal_config_takes_documented_defaults():
    cfg = parse_config(MINIMAL)
    chat = cfg.channels["chat"]
    assert (chat.kind, chat.model, chat.service_level, chat.answer_time_s) == ("realtime", "erlang_c", 0.8, 60.0)
    assert (cfg.staffing.shrinkage, cfg.staffing.max_occupancy) == (0.30, 0.85)
    assert cfg.staffing.shrinkage_mode == "intervals"
    assert (cfg.labour.min_rest_h, cfg.labour.max_consecutive_days) == (11.0, 5)


def test_every_bad_key_is_reported_at_once():
    doc = {"channels": {"chat": {"kind": "phone", "service_level": 1.5, "colour": "red",
                                 "concurrency": 2.5}},
           "shifts": {"templates": [{"name": "day"}]},
           "labour": {"night_start": "late"}, "staffing": {"shrinkage_mode": "absent"},
           "horizon": {"start": "2026-12-02", "display_timezone": "Mars/Olympus"}}
    got = messages(doc)
    expected = [
        "scenario.toml, key 'channels.chat.kind', value 'phone': expected one of ['realtime', 'deferred']",
        "scenario.toml, key 'channels.chat.service_level', value 1.5: expected a value in [0, 1]",
        "scenario.toml, key 'channels.chat.concurrency', value 2.5: expected a whole number",
        "scenario.toml, key 'shifts.templates[0]': missing required key(s): 'length_h'",
        "scenario.toml, key 'labour.night_start', value 'late': expected a time such as 22:00",
        "scenario.toml, key 'horizon.display_timezone', value 'Mars/Olympus': expected an IANA time zone name such as Europe/Berlin",
        "scenario.toml, key 'horizon.start', value '2026-12-02': expected a Monday",
        "scenario.toml, key 'staffing.shrinkage_mode', value 'absent': expected one of "
        "['intervals', 'shifts', 'none']",
    ]
    for line in expected:
        assert line in got
    assert any("channels.chat.colour" in m and "unknown key" in m for m in got)


def test_break_window_past_shift_end_is_an_error():
    doc = {"channels": {"chat": {}}, "shifts": {"templates": [{
        "name": "short", "length_h": 2,
        "breaks": [{"name": "meal", "duration_min": 30, "window_start_min": 60, "window_end_min": 100}]}]}}
    assert any("runs past the shift end" in m for m in messages(doc))


def test_missing_sections():
    got = messages({})
    assert "scenario.toml, key 'channels': expected at least one [channels.NAME] table" in got
    assert any("[[shifts.templates]]" in m for m in got)


@pytest.mark.parametrize("content, expected", [
    (b"", "scenario.toml: file is empty"),
    (b"[channels.chat]\nkind = \n", "scenario.toml:2: not valid TOML"),
    (b"[channels.chat]\n# caf\xe9\n", "scenario.toml:2: not UTF-8 text; save the file as UTF-8"),
])
def test_unreadable_files(tmp_path, content, expected):
    path = tmp_path / "scenario.toml"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_config(path)
    assert str(info.value).startswith(expected)


def test_bom_and_crlf_are_accepted(tmp_path, sample_dir):
    text = (sample_dir / "scenario.toml").read_text(encoding="utf-8")
    path = tmp_path / "scenario.toml"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert load_config(path) == load_config(sample_dir / "scenario.toml")


def test_effective_shrinkage_per_queue_is_read_and_checked():
    doc = {**MINIMAL, "channels": {"chat": {"shrinkage": 0.25}, "email": {"kind": "deferred"}},
           "staffing": {"effective_shrinkage": {"chat/es": 0.39}}}
    cfg = parse_config(doc)
    assert cfg.formula_shrinkage("chat", "es") == 0.39
    assert cfg.formula_shrinkage("chat", "en") == 0.25  # the channel's own
    assert cfg.formula_shrinkage("email", "es") == 0.30  # the global one
    assert cfg.shrinkage_for("chat") == 0.25  # the simulator's is not changed
    got = messages({**doc, "staffing": {"effective_shrinkage": {
        "phone/es": 0.3, "chat": 0.3, "chat/ko": 1.2, "chat/vi": "high"}}})
    assert got == [
        "scenario.toml, key 'staffing.effective_shrinkage.\"phone/es\"', value 0.3: expected "
        "CHANNEL/LANGUAGE with a channel of ['chat', 'email']",
        "scenario.toml, key 'staffing.effective_shrinkage.\"chat\"', value 0.3: expected "
        "CHANNEL/LANGUAGE with a channel of ['chat', 'email']",
        "scenario.toml, key 'staffing.effective_shrinkage.\"chat/ko\"', value 1.2: expected a "
        "share in [0, 0.95]",
        "scenario.toml, key 'staffing.effective_shrinkage.\"chat/vi\"', value 'high': expected "
        "a share in [0, 0.95]"]
