"""Readable names of models and penalty terms (issue 18, part 4)."""

from forecast.candidates import CANDIDATES
from optimize.outputs.labels import MODEL_NAMES, model_label, penalty_label


def test_every_forecast_candidate_has_a_readable_name():
    assert set(CANDIDATES) == set(MODEL_NAMES)
    assert model_label("ar_profile") == "AR on daily totals x weekly profile"
    assert model_label("avg(mean8w,ar_profile)+mkt") == (
        "mean of: average of the last 8 weeks; AR on daily totals x weekly profile, with the "
        "market effect")
    assert model_label("prophet") == "prophet"  # unknown: as it is


def test_penalty_terms_in_words_with_their_time_in_the_chosen_zone():
    assert penalty_label("understaffed(vip_chat/zh, 2026-11-30T03:30Z)", "Asia/Manila") == (
        "short of the requirement: vip_chat/zh, Mon 30 Nov 11:30 (UTC+08:00)")
    assert penalty_label("overstaffed(chat/en, 2026-12-03T16:30Z)") == (
        "more heads than required: chat/en, Thu 03 Dec 16:30 (UTC)")
    assert penalty_label("break_cap(group 10, 2026-11-30T08:30Z)", "America/New_York") == (
        "too many agents on break at once: group 10, Mon 30 Nov 03:30 (UTC-05:00)")
    assert penalty_label("fair_weekend(team ko, week of 2026-11-30)") == (
        "weekend shifts shared unevenly: team ko, week of 2026-11-30")
    assert penalty_label("no shape") == "no shape"
