"""Page SMS text: GSM-7 only, at most two segments, the reply code always intact."""

from __future__ import annotations

from dataclasses import replace

import pytest

from integrations.twilio.gsm7 import is_gsm7, segments, septets, shorten, to_gsm7
from integrations.twilio.sms import bundle_sms_body, sms_body
from tests.unit.twilio.pages import make_page

LONG_TITLE = "Checkout API p99 latency above 2 seconds in eu-west-1 after deploy 4711 " * 20


def test_short_page_reads_like_the_contract_example() -> None:
    body = sms_body(make_page(12, "Checkout latency above 2s"))
    assert body == "[SEV1] Checkout API: Checkout latency above 2s. Reply ACK 12, RES 12 or ESC 12"
    assert segments(body) == 1


def test_very_long_title_is_cut_but_reply_code_survives() -> None:
    body = sms_body(make_page(98765, LONG_TITLE))
    assert body.endswith("Reply ACK 98765, RES 98765 or ESC 98765")
    assert body.startswith("[SEV1] Checkout API: Checkout API p99 latency")
    assert "..." in body
    assert septets(body) <= 306
    assert segments(body) <= 2


def test_long_title_uses_the_room_of_two_segments() -> None:
    # Cutting far more than needed would hide the part of the title that says what broke.
    assert septets(sms_body(make_page(12, LONG_TITLE))) > 280


def test_non_gsm_characters_are_replaced_so_the_sms_stays_gsm7() -> None:
    body = sms_body(make_page(7, "“Primary” DB down — café ☃ 🔥 naïve ç"))
    assert is_gsm7(body)
    assert '"Primary" DB down - café ? ? naive c' in body


def test_extension_characters_count_double_and_still_fit() -> None:
    body = sms_body(make_page(12, "{[~]} | " * 100))
    assert is_gsm7(body)
    assert segments(body) <= 2
    assert body.endswith("Reply ACK 12, RES 12 or ESC 12")


def test_newlines_in_title_become_spaces() -> None:
    assert "disk full on db-1 and db-2." in sms_body(make_page(3, "disk full\non  db-1\r\nand db-2"))


def test_long_service_name_is_shortened_too() -> None:
    body = sms_body(make_page(5, "boom", service_name="A very long service name " * 10))
    assert segments(body) == 1
    assert body.endswith("boom. Reply ACK 5, RES 5 or ESC 5")


@pytest.mark.parametrize("text, expected", [("abc", 3), ("€", 2), ("a^b", 4), ("", 0)])
def test_septets_count_extension_table_twice(text: str, expected: int) -> None:
    assert septets(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3), ("a" * 152 + "€" + "a" * 152, 3)],
)
def test_segments_follow_gsm_concatenation_rules(text: str, expected: int) -> None:
    # The last case: the escape pair cannot be split at septet 153, so it starts segment two.
    assert segments(text) == expected


def test_to_gsm7_keeps_gsm_accents_and_folds_others() -> None:
    assert to_gsm7("éüñà Ç ô ç") == "éüñà Ç o c"


def test_shorten_ends_on_a_word_with_ellipsis() -> None:
    assert shorten("database primary is down", 16) == "database..."
    assert shorten("short", 16) == "short"


def test_bundle_lists_count_each_page_and_reply_instructions() -> None:
    pages = [make_page(14, "disk 91%", "SEV3"), make_page(12, "checkout down", "SEV1"), make_page(13, "slow", "SEV2")]
    body = bundle_sms_body(pages)
    lines = body.split("\n")
    assert lines[0] == "Klaxon: 3 open pages"
    assert lines[1:4] == [
        "#12 SEV1 Checkout API: checkout down",
        "#13 SEV2 Checkout API: slow",
        "#14 SEV3 Checkout API: disk 91%",
    ]
    assert lines[-1] == "Reply ACK 12, RES 12 or ESC 12 (any # above)"
    assert segments(body) <= 2


def test_bundle_with_long_titles_stays_within_two_segments_and_keeps_every_id() -> None:
    pages = [make_page(100 + n, LONG_TITLE, "SEV2") for n in range(5)]
    body = bundle_sms_body(pages)
    assert segments(body) <= 2 and is_gsm7(body)
    for n in range(5):
        assert f"#{100 + n} SEV2" in body
    assert "Reply ACK 100, RES 100 or ESC 100" in body


def test_bundle_of_many_pages_keeps_the_most_urgent_and_counts_the_rest() -> None:
    pages = [make_page(n, LONG_TITLE, "SEV3") for n in range(1, 60)] + [make_page(999, "payments down", "SEV1")]
    body = bundle_sms_body(pages)
    assert segments(body) <= 2
    assert body.startswith("Klaxon: 60 open pages\n#999 SEV1")
    assert "more" in body and "Reply ACK 999, RES 999 or ESC 999" in body


def test_bundle_counts_an_incident_once() -> None:
    body = bundle_sms_body([make_page(12, "a"), make_page(12, "a"), make_page(13, "b")])
    assert body.startswith("Klaxon: 2 open pages")


def test_bundle_of_one_page_is_the_single_page_text() -> None:
    assert bundle_sms_body([make_page(12)]) == sms_body(make_page(12))


def test_bundle_of_nothing_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        bundle_sms_body([])


def test_bundle_lists_unknown_severity_words_after_sev4() -> None:
    body = bundle_sms_body([make_page(1, "a", "critical"), make_page(2, "b", "SEV4")])
    assert body.split("\n")[1:3] == ["#2 SEV4 Checkout API: b", "#1 CRITICAL Checkout API: a"]


def test_a_notice_is_its_own_text_without_reply_codes_and_fits_two_segments() -> None:
    notice = "Klaxon: incident #12 (Checkout down) was handed over from Checkout to Payments by gina. " * 6
    body = sms_body(replace(make_page(12, "Checkout down"), notice=notice))
    assert body.startswith("Klaxon: incident #12 (Checkout down) was handed over") and "Reply" not in body
    assert is_gsm7(body) and segments(body) <= 2
