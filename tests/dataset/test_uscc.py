"""统一社会信用代码 (GB 32100-2015): real codes, the standard's example, each kind of bad code."""

import csv
import pathlib

import pytest
from factory import uscc
from hypothesis import given, settings
from hypothesis import strategies as st

from mujun.dataset.uscc import (
    ALPHABET,
    check_character,
    make_uscc,
    org_check_character,
    uscc_problem,
)

# a copy of ../shared/data/uscc_samples.csv (12 real codes, each with its public source)
SHARED_DATA = pathlib.Path(__file__).parent / "data"


def _samples() -> list[dict[str, str]]:
    with (SHARED_DATA / "uscc_samples.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


SAMPLES = _samples()


def test_the_samples_file_holds_real_codes():
    assert len(SAMPLES) == 12
    assert all(len(s["code"]) == 18 for s in SAMPLES)


@pytest.mark.parametrize("sample", SAMPLES, ids=[s["code"] for s in SAMPLES])
def test_every_real_code_is_valid(sample):
    code = sample["code"]
    assert uscc_problem(code) is None
    assert check_character(code[:17]) == code[17]
    # the inner GB 11714 organisation code (positions 9-17) holds for every sample too
    assert org_check_character(code[8:16]) == code[16]


def test_the_standards_worked_example():
    assert check_character("91350100M000100Y4") == "3"
    assert uscc_problem("91350100M000100Y43") is None
    # the example's altered check character: Z is not even in the character set
    assert uscc_problem("91350100M000100Y4Z") == (
        "characters 'Z' are not allowed (digits and capitals without I O S V Z)"
    )
    assert uscc_problem("91350100M000100Y44") == "check character is '4', GB 32100 gives '3'"


def test_a_check_character_can_be_a_letter():
    assert check_character("9144030010001686X") == "A"
    assert org_check_character("10001686") == "X"


def test_mock_code_with_a_wrong_check_character_names_the_right_one():
    # from uscc_rules.md: a code copied around public repositories, whose check should be T
    assert uscc_problem("91440300708461136K") == "check character is 'K', GB 32100 gives 'T'"
    assert uscc_problem("91440300708461136T") is None


def test_inner_organisation_check_is_not_enforced():
    # passes mod 31 but not GB 11714: GB 32100 lets other authorities use other identifiers
    code = "91310000631295002H"
    assert uscc_problem(code) is None
    assert org_check_character(code[8:16]) != code[16]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("", "expected 18 characters, got 0"),
        ("91350100M000100Y4", "expected 18 characters, got 17"),
        ("91350100M000100Y433", "expected 18 characters, got 19"),
        ("91350100M000100Y43\n", "expected 18 characters, got 19"),
    ],
)
def test_wrong_length(code, reason):
    assert uscc_problem(code) == reason


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_letters_left_out_of_the_character_set(letter):
    code = "91350100M000100Y4" + "3"
    bad = code[:10] + letter + code[11:]
    assert uscc_problem(bad) == (
        f"characters '{letter}' are not allowed (digits and capitals without I O S V Z)"
    )


def test_lowercase_is_not_allowed():
    assert uscc_problem("91350100m000100y43") == (
        "characters 'my' are not allowed (digits and capitals without I O S V Z)"
    )


def test_full_width_and_other_characters_are_not_allowed():
    full_width = "91３５0100M000100Y43"
    assert uscc_problem(full_width) == (
        "characters '３５' are not allowed (digits and capitals without I O S V Z)"
    )
    assert uscc_problem("91350100M000100Y4-") == (
        "characters '-' are not allowed (digits and capitals without I O S V Z)"
    )
    assert uscc_problem(" 91350100M000100Y4") == (
        "characters ' ' are not allowed (digits and capitals without I O S V Z)"
    )


def test_full_width_digits_in_the_division_code_are_a_problem_not_a_crash():
    # Unicode digits match a plain \d; they must still be refused, not raise KeyError
    code = "91" + "３３０２１１" + "MA2H000145"
    assert len(code) == 18
    assert "not allowed" in uscc_problem(code)
    arabic_indic = "91" + "٣٣٠٢١١" + "MA2H000145"
    assert "not allowed" in uscc_problem(arabic_indic)


@pytest.mark.parametrize("position", [3, 5, 8])
def test_letters_in_the_division_code(position):
    code = "91350100M000100Y43"
    bad = code[: position - 1] + "A" + code[position:]
    assert uscc_problem(bad) == "positions 3-8 must be the 6-digit division code"


def test_letters_outside_positions_3_to_8_are_fine():
    assert uscc_problem(make_uscc("330211", "MA2HABCD")) is None
    assert uscc_problem(make_uscc("330211", "MA2HABCD", authority="Y1")) is None


def test_make_uscc_lays_out_the_parts():
    code = make_uscc("330211", "MA2H0001")
    assert code[:2] == "91"
    assert code[2:8] == "330211"
    assert code[8:16] == "MA2H0001"
    assert code[16] == org_check_character("MA2H0001")
    assert code[17] == check_character(code[:17])
    assert code == uscc(1)
    assert uscc_problem(code) is None


def test_make_uscc_rebuilds_the_real_codes():
    for sample in SAMPLES:
        code = sample["code"]
        assert make_uscc(code[2:8], code[8:16], authority=code[:2]) == code


DIVISION = st.text(alphabet="0123456789", min_size=6, max_size=6)
BODY = st.text(alphabet=ALPHABET, min_size=8, max_size=8)


@settings(max_examples=300, deadline=None)
@given(division=DIVISION, body=BODY)
def test_made_codes_are_valid(division, body):
    code = make_uscc(division, body)
    assert len(code) == 18
    assert uscc_problem(code) is None
    assert code[2:8] == division
    assert code[8:16] == body


@settings(max_examples=300, deadline=None)
@given(
    division=DIVISION,
    body=BODY,
    position=st.integers(min_value=0, max_value=17),
    shift=st.integers(min_value=1, max_value=30),
)
def test_any_single_substitution_is_detected(division, body, position, shift):
    code = make_uscc(division, body)
    replacement = ALPHABET[(ALPHABET.index(code[position]) + shift) % 31]
    assert replacement != code[position]
    altered = code[:position] + replacement + code[position + 1 :]
    problem = uscc_problem(altered)
    assert problem is not None
    if 2 <= position <= 7 and not replacement.isdigit():
        assert problem == "positions 3-8 must be the 6-digit division code"
    else:
        assert problem == (
            f"check character is {altered[17]!r}, GB 32100 gives {check_character(altered[:17])!r}"
        )
