"""Vendor payloads as leads: the usual names found whatever the form called them, `map:` paths
and templates, every other value kept in `fields`; and generated payloads that either map or
say why, never anything else."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config.sources import Source
from bot.sources.mapping import MappingProblem, lead_of
from bot.sources.shapes import ShapeError, records
from tests.sources.payloads import HUBSPOT_EVENTS, HUBSPOT_WORKFLOW, TYPEFORM, WEBFLOW


def lead(kind: str, payload: Any, **mapping: str) -> dict[str, Any]:
    source = Source(kind=kind, secret_env="X", map=mapping)  # type: ignore[arg-type]
    (record,) = records(kind, payload)
    return lead_of(record, source, "web")


def test_typeform_answers_by_ref_and_the_first_email_and_phone_answers() -> None:
    got = lead("typeform", TYPEFORM)
    assert got["external_id"] == "a3a12ec67a1365927098a606107fac15"  # Typeform's retries
    assert (got["name"], got["email"], got["phone"]) == (
        "Dana Scully", "dana@northwind.example", "+15551234567")  # fmt: skip
    assert got["company_size"] == 250 and got["source"] == "web"
    assert got["fields"]["plan"] == "Enterprise plan" and got["fields"]["tools"] == "CRM, Slack"
    assert got["fields"]["utm_source"] == "newsletter"  # a hidden field
    assert "work_email" not in got["fields"]  # taken as the email: not repeated


def test_webflow_labels_and_a_phone_sent_as_a_number() -> None:
    got = lead("webflow", WEBFLOW)
    assert got["name"] == "Zaphod Beeblebrox" and got["phone"] == "15550000000"
    assert got["external_id"] == "6321ca84df3949bfc6752327"
    assert got["company"] == "Heart of Gold" and got["email"] == "zaphod@heartofgold.example"


def test_a_hubspot_workflow_object_and_its_property_values() -> None:
    got = lead("hubspot", HUBSPOT_WORKFLOW)
    assert (got["name"], got["email"], got["external_id"]) == (
        "Ada Lovelace", "ada@analytical.example", "1234501")  # fmt: skip
    assert got["fields"]["lifecyclestage"] == "lead"


def test_a_hubspot_creation_event_carries_no_values_and_says_so() -> None:
    with pytest.raises(MappingProblem, match="carries only the object's id"):
        lead("hubspot", HUBSPOT_EVENTS)


def test_map_paths_and_templates_win_over_the_usual_names() -> None:
    body = {"first": "Fox", "last": "Mulder", "contact": {"email": "fox@fbi.example"},
            "tags": ["x", "y"], "email": "other@fbi.example", "id": 7}  # fmt: skip
    got = lead("json", body, name="{{ body.first }} {{ body.last }}", email="body.contact.email",
               external_id="fields.id")  # fmt: skip
    assert (got["name"], got["email"], got["external_id"]) == (
        "Fox Mulder", "fox@fbi.example", "7")  # fmt: skip
    assert got["fields"]["tags"] == "x, y" and "id" not in got["fields"]


def test_a_template_with_a_missing_part_leaves_no_stray_spaces() -> None:
    assert lead("json", {"first": "Fox"}, name="{{ body.first }} {{ body.last }}")["name"] == "Fox"


@pytest.mark.parametrize(("kind", "payload", "said"), [
    ("typeform", {"event_type": "form_response"}, "form_response"),
    ("webflow", {"triggerType": "form_submission"}, "payload.data"),
    ("json", [{"name": "x"}] * 101, "at most 100"),
])  # fmt: skip
def test_a_payload_of_the_wrong_shape_says_what_was_expected(
    kind: str, payload: Any, said: str
) -> None:
    with pytest.raises(ShapeError, match=said):
        records(kind, payload)


def test_a_path_to_an_object_is_a_mapping_problem() -> None:
    with pytest.raises(MappingProblem, match="is an object, not a value"):
        lead("json", {"contact": {"email": "x@y.example"}}, email="body.contact")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=6),
    max_leaves=20,
)  # fmt: skip


@given(st.sampled_from(["json", "hubspot", "typeform", "webflow"]), JSON_VALUES)
def test_generated_payloads_map_or_say_why(kind: str, payload: Any) -> None:
    source = Source(kind=kind, secret_env="X", map={"name": "{{ body.a }} {{ fields.b }}"})  # type: ignore[arg-type]
    try:
        found = records(kind, payload)
    except ShapeError:
        return
    for record in found:
        try:
            got = lead_of(record, source, "web")
        except MappingProblem as err:
            assert err.problems and all("field" in p for p in err.problems)
            continue
        assert got["source"] == "web"
        assert len(got.get("fields", {})) <= 50


def test_an_owner_the_sender_names_is_the_leads_crm_owner() -> None:
    response = {**TYPEFORM["form_response"], "hidden": {"Contact owner": "bo@example.com"}}
    payload = {**TYPEFORM, "form_response": response}
    assert lead("typeform", payload)["owner"] == "bo@example.com"
