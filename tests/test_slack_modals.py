"""Neutral forms as Slack modals and their submissions back into form values."""

from __future__ import annotations

from bot.slack.modals import Meta, error_block, form_modal, form_values
from handlers.destination import Destination, MessageRef
from handlers.replies import Form, Input, Option
from tests.support.slack_payloads import state_values

FORM = Form(
    "task",
    "update",
    (
        Input("title", "Title", "text", required=True, initial="Ship"),
        Input("responsible", "Responsible", "user", initial="U1"),
        Input("consulted", "Consulted", "users", initial="U2,U3"),
        Input("due", "Due", "date", initial="2026-12-01"),
        Input("priority", "Priority", "select", initial="high", options=(Option("low", "Low"), Option("high", "High"))),
        Input("description", "Description", "textarea", placeholder="What and why"),
        Input("accountable", "Accountable", "user", initial="me"),
    ),
    "Save",
    args=("#3",),
)


MESSAGE = MessageRef(Destination.channel("T1", "C1"), "1.2").to_dict()


def _modal(title: str = "Edit task #3") -> dict:
    return form_modal(
        FORM,
        title=title,
        meta=Meta("task", "update", ["#3"], channel="C1", message=MESSAGE),
        locale="en",
        names=lambda _u: None,
    )


def test_every_input_kind_becomes_its_slack_element_with_its_initial_value() -> None:
    view = _modal()
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert elements["title"] == {
        "type": "plain_text_input",
        "action_id": "title",
        "initial_value": "Ship",
        "multiline": False,
    }
    assert elements["responsible"]["type"] == "users_select" and elements["responsible"]["initial_user"] == "U1"
    assert elements["consulted"]["type"] == "multi_users_select"
    assert elements["consulted"]["initial_users"] == ["U2", "U3"]
    assert elements["due"]["type"] == "datepicker" and elements["due"]["initial_date"] == "2026-12-01"
    assert elements["priority"]["type"] == "static_select"
    assert elements["priority"]["initial_option"]["value"] == "high"
    assert elements["description"]["multiline"] is True
    assert elements["description"]["placeholder"]["text"] == "What and why"
    assert "initial_user" not in elements["accountable"]  # not a Slack user id: left empty
    optional = {b["block_id"]: b.get("optional") for b in view["blocks"] if b["type"] == "input"}
    assert optional["title"] is False and optional["due"] is True
    assert view["submit"]["text"] == "Save" and view["close"]["text"] == "Cancel"
    assert error_block(view) == "title"


def test_an_error_is_shown_under_the_input_it_is_about_else_under_the_first() -> None:
    view = _modal()
    assert error_block(view, "due") == "due"
    assert error_block(view, "after") == "title"  # not an input of this form
    assert error_block({"blocks": []}, "due") is None


def test_the_private_metadata_carries_what_the_submission_needs() -> None:
    meta = Meta.decode(_modal()["private_metadata"])
    assert meta == Meta("task", "update", ["#3"], channel="C1", message=MESSAGE)
    assert MessageRef.from_dict(meta.message) == MessageRef(Destination.channel("T1", "C1"), "1.2")
    assert meta.payload() == {"command": "task", "action": "update", "args": ["#3"], "options": {}}
    assert Meta.decode("not json") is None


def test_a_long_title_is_shortened_and_shown_in_full_inside() -> None:
    view = _modal("Standup check-in — Wed Nov 25 2026")
    assert len(view["title"]["text"]) <= 24
    assert "Standup check-in — Wed Nov 25 2026" in view["blocks"][0]["text"]["text"]


def test_submitted_state_becomes_the_form_dict() -> None:
    view = _modal()
    state = state_values(
        view,
        {"title": "Ship v2", "responsible": "U2", "consulted": ["U1", "U3"], "due": "2026-12-24", "priority": "low"},
    )
    assert form_values(state) == {
        "title": "Ship v2",
        "responsible": "U2",
        "consulted": ["U1", "U3"],
        "due": "2026-12-24",
        "priority": "low",
        "accountable": "",
        "description": "",
    }  # emptied: the core clears them
