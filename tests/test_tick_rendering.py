"""The fast paths the 09:00 tick renders through keep the exact output of the generic ones:
a reply's outbox form, a destination's dict, the catalogue's placeholders."""

from __future__ import annotations

from dataclasses import asdict

from handlers.destination import Destination
from handlers.i18n import CATALOGUE, t
from handlers.replies import Button, Card, Field, Form, Input, Option, Reply, Table, reply_from_dict, reply_to_dict


def _rich_reply() -> Reply:
    form = Form(
        "task",
        "add",
        (Input("title", "Title", required=True), Input("who", "Who", "select", options=(Option("u1", "One"),))),
        "Save",
        ("#1",),
    )
    card = Card(
        title="T",
        text="x",
        color="red",
        fields=[Field("a", "b", short=False)],
        lines=["one", "two"],
        table=Table(("h1", "h2"), (("1", "2"), ("3", "4"))),
        buttons=[Button("Done", "task", "done", ("#1",), (("due", "+1d"),), "primary")],
        form=form,
        footer="f",
        subject="#1",
    )
    return Reply(text="hi", cards=[card, Card(title="second")], visibility="ephemeral", error=True, locale="zh")


def test_reply_to_dict_is_exactly_asdict_and_round_trips() -> None:
    reply = _rich_reply()
    assert reply_to_dict(reply) == asdict(reply)
    assert reply_from_dict(reply_to_dict(reply)) == reply


def test_destination_dict_keeps_only_fields_with_a_value() -> None:
    where = Destination.dm("W", "U1", project_channel="C1")
    expected = {k: v for k, v in asdict(where).items() if v}
    assert where.to_dict() == expected
    assert Destination.from_dict(where.to_dict()) == where


def test_catalogue_fills_known_fields_and_keeps_unknown_ones() -> None:
    key = next(k for k, e in CATALOGUE.items() if "{name}" in e["en"] and "{count}" in e["en"])
    text = t(key, "en", name="Apollo")
    assert "Apollo" in text
    assert "{count}" in text  # an unknown field stays as written, never an error
    assert "{name}" not in text
