"""Answers to queries: callback queries, inline queries, shipping and pre-checkout queries.

The payment flow lives here too: a simulated user starts it (``start_payment``),
the bot's answers advance it. Everything runs with ``world.lock`` held (handler
threads for the answers, the caller's thread for ``start_payment``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._content import check_inline_button
from ._errors import bad_request
from ._params import Params
from ._state import PaymentState, World

__all__ = ["HANDLERS", "QUERY_INVALID", "start_payment"]

QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


def answer_callback_query(world: World, p: Params) -> bool:
    query = world.callbacks.get(p.require_str("callback_query_id"))
    if query is None or query.answer is not None:
        raise bad_request(QUERY_INVALID)
    text = p.str("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answer = {
        "text": text,
        "show_alert": p.bool("show_alert"),
        "url": p.str("url"),
        "cache_time": p.int("cache_time", 0),
    }
    chat = world.chats.get(query.chat_id) if query.chat_id is not None else None
    if chat is not None:
        shown = (text or "") + (" (alert)" if query.answer["show_alert"] else "")
        world.record(chat, "answer", None, text=shown or "(no text)", message_id=query.message_id)
    world.notify()
    return True


def answer_inline_query(world: World, p: Params) -> bool:
    query = world.inline_queries.get(p.require_str("inline_query_id"))
    results = p.json("results")
    if not isinstance(results, list):
        raise bad_request("can't parse results JSON object")
    if len(results) > 50:
        raise bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for result in results:
        if not isinstance(result, dict) or "type" not in result or "id" not in result:
            raise bad_request("can't parse InlineQueryResult JSON object")
        if str(result["id"]) in seen:
            raise bad_request("RESULT_ID_DUPLICATE")
        seen.add(str(result["id"]))
        markup = result.get("reply_markup")
        if isinstance(markup, dict):
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    check_inline_button(button)
    if query is None or query.answer is not None:
        raise bad_request(QUERY_INVALID)
    query.answer = {
        "results": results,
        "next_offset": p.str("next_offset", ""),
        "cache_time": p.int("cache_time", 300),
        "is_personal": p.bool("is_personal"),
        "button": p.json("button"),
    }
    world.notify()
    return True


# ---------------------------------------------------------------------- payments


def start_payment(world: World, payment: PaymentState, flexible: bool) -> None:
    """Begin the flow: a shipping query for flexible invoices, else the pre-checkout query."""
    user = world.users[payment.user_id]
    world.payments[payment.id] = payment
    if flexible:
        payment.shipping_query_id = world.mint("")
        payment.status = "shipping"
        world.push_update(
            "shipping_query",
            {
                "id": payment.shipping_query_id,
                "from": user,
                "invoice_payload": payment.invoice["payload"],
                "shipping_address": payment.shipping_address,
            },
            key=payment.chat_id,
        )
    else:
        _pre_checkout(world, payment)


def _pre_checkout(world: World, payment: PaymentState) -> None:
    payment.pre_checkout_query_id = world.mint("")
    payment.status = "pre_checkout"
    total = int(payment.invoice["total_amount"])
    for option in payment.shipping_options:
        if option.get("id") == payment.shipping_option_id:
            total += sum(int(price.get("amount", 0)) for price in option.get("prices", []))
    payment.invoice = dict(payment.invoice, paid_amount=total)
    query: dict[str, Any] = {
        "id": payment.pre_checkout_query_id,
        "from": world.users[payment.user_id],
        "currency": payment.invoice["currency"],
        "total_amount": total,
        "invoice_payload": payment.invoice["payload"],
    }
    if payment.shipping_option_id:
        query["shipping_option_id"] = payment.shipping_option_id
    if payment.order_info:
        query["order_info"] = payment.order_info
    world.push_update("pre_checkout_query", query, key=payment.chat_id)


def _find_payment(world: World, attribute: str, query_id: str, status: str) -> PaymentState:
    for payment in world.payments.values():
        if getattr(payment, attribute) == query_id and payment.status == status:
            return payment
    raise bad_request(QUERY_INVALID)


def _fail(world: World, payment: PaymentState, error: str) -> None:
    payment.status = "failed"
    payment.error = error
    chat = world.chats.get(payment.chat_id)
    if chat is not None:
        world.record(chat, "service", None, text=f"payment failed: {error}")
    world.notify()


def answer_shipping_query(world: World, p: Params) -> bool:
    payment = _find_payment(world, "shipping_query_id", p.require_str("shipping_query_id"), "shipping")
    if p.bool("ok"):
        options = p.json("shipping_options")
        if not isinstance(options, list) or not options:
            raise bad_request("SHIPPING_OPTIONS_EMPTY")
        payment.shipping_options = [o for o in options if isinstance(o, dict)]
        ids = [str(o.get("id")) for o in payment.shipping_options]
        if payment.shipping_option_id not in ids:
            payment.shipping_option_id = ids[0]
        _pre_checkout(world, payment)
    else:
        error = p.str("error_message")
        if not error:
            raise bad_request("ERROR_MESSAGE_EMPTY")
        _fail(world, payment, error)
    return True


def answer_pre_checkout_query(world: World, p: Params) -> bool:
    payment = _find_payment(world, "pre_checkout_query_id", p.require_str("pre_checkout_query_id"), "pre_checkout")
    if not p.bool("ok"):
        error = p.str("error_message")
        if not error:
            raise bad_request("ERROR_MESSAGE_EMPTY")
        _fail(world, payment, error)
        return True
    chat = world.chats[payment.chat_id]
    paid: dict[str, Any] = {
        "currency": payment.invoice["currency"],
        "total_amount": payment.invoice.get("paid_amount", payment.invoice["total_amount"]),
        "invoice_payload": payment.invoice["payload"],
        "telegram_payment_charge_id": world.mint("tg_"),
        "provider_payment_charge_id": world.mint("pr_"),
    }
    if payment.shipping_option_id:
        paid["shipping_option_id"] = payment.shipping_option_id
    if payment.order_info:
        paid["order_info"] = payment.order_info
    message = world.new_message(chat, world.users[payment.user_id], {"successful_payment": paid})
    payment.status = "paid"
    payment.message = message
    world.push_update("message", message, key=chat.id)
    return True


HANDLERS: dict[str, Callable[[World, Params], Any]] = {
    "answerCallbackQuery": answer_callback_query,
    "answerInlineQuery": answer_inline_query,
    "answerShippingQuery": answer_shipping_query,
    "answerPreCheckoutQuery": answer_pre_checkout_query,
}
