"""Router and the routing-key / routing-table factories."""

from __future__ import annotations

import re
from typing import Any

import pytest

import actorbot
from actorbot import routing
from actorbot._router import Router as PrivateRouter
from actorbot.routing import (
    Router,
    by_chat_command,
    by_command,
    by_content_type,
    by_data,
    by_regex,
    by_text,
    lower_key,
    make_content_type_routing_table,
    make_routing_table,
    process_key,
    upper_key,
)


def text_message(text: str) -> dict[str, Any]:
    return {"message_id": 1, "date": 1, "chat": {"id": 10, "type": "private"}, "text": text}


def recorder(name: str, calls: list[Any]) -> Any:
    def handler(msg: Any, *args: Any, **kwargs: Any) -> str:
        calls.append((name, args, kwargs))
        return name

    return handler


# -- Router key forms -------------------------------------------------------------------


def test_router_is_the_same_class_everywhere() -> None:
    assert Router is PrivateRouter
    assert "Router" in routing.__all__


@pytest.mark.parametrize("returned,expected_args,expected_kwargs", [
    ("k", (), {}),
    (("k",), (), {}),
    (["k"], (), {}),
    (("k", (1, 2)), (1, 2), {}),
    (("k", [3]), (3,), {}),
    (("k", (4,), {"flag": True}), (4,), {"flag": True}),
])
def test_router_key_forms(returned: Any, expected_args: tuple[Any, ...], expected_kwargs: dict[str, Any]) -> None:
    calls: list[Any] = []
    router = Router(lambda msg: returned, {"k": recorder("k", calls)})
    assert router.route({"m": 1}) == "k"
    assert calls == [("k", expected_args, expected_kwargs)]
    assert router.map({"m": 1}) is router.routing_table["k"]


def test_router_passes_the_message_first() -> None:
    seen: list[Any] = []
    msg = {"text": "x"}
    Router(lambda m: ("k", ("a",), {"b": 2}), {"k": lambda *a, **kw: seen.append((a, kw))}).route(msg)
    assert seen == [((msg, "a"), {"b": 2})]


def test_none_is_the_catch_all_and_none_tuple_is_a_key_of_its_own() -> None:
    calls: list[Any] = []
    table = {"start": recorder("start", calls), None: recorder("default", calls)}
    router = Router(by_chat_command(), table)
    assert router.route(text_message("/help")) == "default"
    assert router.route(text_message("plain words")) == "default"  # (None,) absent: catch-all
    table[(None,)] = recorder("no-command", calls)
    assert router.route(text_message("plain words")) == "no-command"
    assert router.route(text_message("/start")) == "start"
    assert [c[0] for c in calls] == ["default", "default", "no-command", "start"]


def test_a_key_function_returning_a_bare_none_tuple_means_the_none_key() -> None:
    router = Router(lambda m: (None,), {None: lambda m: "catch-all", (None,): lambda m: "tuple"})
    assert router.route({}) == "catch-all"


def test_missing_key_without_default() -> None:
    router = Router(by_text(), {"yes": lambda m: "y"})
    with pytest.raises(RuntimeError, match="'no'"):
        router.route(text_message("no"))
    with pytest.raises(KeyError):
        router.map(text_message("no"))


def test_an_unhashable_key_falls_back_to_the_default() -> None:
    router = Router(lambda m: ([1, 2],), {None: lambda m: "default"})
    assert router.route({}) == "default"


def test_a_four_tuple_is_rejected() -> None:
    with pytest.raises(ValueError, match="4-tuple"):
        Router(lambda m: ("k", (), {}, 1), {"k": lambda m: 1}).route({})


def test_routers_chain_through_route() -> None:
    calls: list[Any] = []
    commands = Router(by_chat_command(pass_args=True), {"add": recorder("add", calls)})
    top = Router(actorbot.flavor, {"chat": commands.route})
    assert top.route(text_message("/add 2 3")) == "add"
    assert calls == [("add", (["2", "3"],), {})]


# -- key functions ----------------------------------------------------------------------


def test_by_content_type_passes_the_content() -> None:
    photo = [{"file_id": "a"}]
    msg = {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}, "photo": photo, "caption": "c"}
    assert by_content_type()(msg) == ("photo", (photo,))
    calls: list[Any] = []
    Router(by_content_type(), {"photo": recorder("photo", calls)}).route(msg)
    assert calls == [("photo", (photo,), {})]


@pytest.mark.parametrize("text,kwargs,expected", [
    ("/start", {}, ("start", ())),
    ("/start now please", {}, ("start", ())),
    ("/start now please", {"pass_args": True}, ("start", (["now", "please"],))),
    ("/start", {"pass_args": True}, ("start", ([],))),
    ("hello", {}, ((None,),)),
    ("", {}, ((None,),)),
    ("!roll 2d6", {"prefix": "!", "pass_args": True}, ("roll", (["2d6"],))),
    ("#tag x", {"prefix": ("/", "#"), "pass_args": True}, ("tag", (["x"],))),
    ("/sum,1,2", {"separator": ",", "pass_args": True}, ("sum", (["1", "2"],))),
    ("/start@MyBot go", {"pass_args": True}, ("start@MyBot", (["go"],))),
    ("/start@MyBot go", {"pass_args": True, "bot_username": "mybot"}, ("start", (["go"],))),
    ("/start@OtherBot go", {"bot_username": "@mybot"}, ((None,),)),
    ("/start go", {"bot_username": "mybot"}, ("start", ())),
])
def test_by_chat_command(text: str, kwargs: dict[str, Any], expected: tuple[Any, ...]) -> None:
    assert by_chat_command(**kwargs)(text_message(text)) == expected


def test_by_chat_command_on_a_message_without_text_is_no_command() -> None:
    photo = {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}, "photo": []}
    assert by_chat_command()(photo) == ((None,),)


def test_by_command_with_an_extractor() -> None:
    key = by_command(lambda msg: msg["data"], prefix="cmd:", separator="|", pass_args=True)
    assert key({"data": "cmd:vote|3"}) == ("vote", (["3"],))
    assert key({"data": "vote"}) == ((None,),)


def test_by_text_and_by_data() -> None:
    assert by_text()(text_message("Yes")) == "Yes"
    assert by_data()({"id": "1", "data": "no"}) == "no"


def test_by_regex() -> None:
    key = by_regex(lambda m: m["text"], r"(\d+) (apples|pears)")
    k = key(text_message("I want 12 pears now"))
    assert k[0] == "12" and isinstance(k[1][0], re.Match)
    assert k[1][0].group(2) == "pears"
    assert key(text_message("nothing")) == ((None,),)
    by_name = by_regex(lambda m: m["text"], re.compile(r"(?P<n>\d+) (?P<fruit>\w+)"), key="fruit")
    assert by_name(text_message("3 kiwis"))[0] == "kiwis"
    both = by_regex(lambda m: m["text"], r"(\d+) (\w+)", key=(1, 2))
    assert both(text_message("3 kiwis"))[0] == ("3", "kiwis")
    whole = by_regex(lambda m: m.get("text"), r"\d+", key=0)
    assert whole(text_message("abc 42"))[0] == "42"
    assert whole({"caption": "x"}) == ((None,),)


def test_regex_routing_passes_the_match() -> None:
    calls: list[Any] = []
    router = Router(by_regex(lambda m: m["text"], r"^(hi|hello)\b"),
                    {"hi": recorder("hi", calls), (None,): recorder("other", calls)})
    router.route(text_message("hi there"))
    router.route(text_message("bye"))
    assert calls[0][0] == "hi" and calls[0][1][0].group(0) == "hi"
    assert calls[1] == ("other", (), {})


def test_process_lower_and_upper_key() -> None:
    key = lower_key(by_chat_command(pass_args=True))
    assert key(text_message("/START Now")) == ("start", (["Now"],))
    assert key(text_message("hello")) == ((None,),)
    assert upper_key(by_text())(text_message("yes")) == "YES"
    assert upper_key(lambda m: 5)({}) == 5
    assert process_key(lambda k: k * 2, lambda m: ("ab", (1,), {"x": 1}))({}) == ("abab", (1,), {"x": 1})
    assert process_key(len, by_text())(text_message("four")) == 4


# -- routing tables ---------------------------------------------------------------------


class Handlers:
    def __init__(self) -> None:
        self.calls: list[Any] = []

    def on_text(self, msg: Any, *args: Any) -> str:
        self.calls.append(("text", args))
        return "text"

    def do_start(self, msg: Any) -> str:
        self.calls.append(("start",))
        return "start"


def test_make_routing_table_looks_methods_up_lazily() -> None:
    h = Handlers()
    special = lambda msg: "special"  # noqa: E731
    table = make_routing_table(h, ["start", ("help",), ("x", special)], prefix="do_")
    assert set(table) == {"start", "help", "x"}
    assert table["x"] is special
    assert table["start"]({}) == "start"
    with pytest.raises(AttributeError, match="do_help"):
        table["help"]({})
    with pytest.raises(ValueError):
        make_routing_table(h, [("a", 1, 2)])


def test_make_content_type_routing_table_covers_every_content_type() -> None:
    h = Handlers()
    table = make_content_type_routing_table(h)
    assert list(table) == list(actorbot.all_content_types)
    router = Router(by_content_type(), table)
    assert router.route(text_message("hi")) == "text"
    assert h.calls == [("text", ("hi",))]
