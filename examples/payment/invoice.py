"""A shop with payments: ``/buy`` sends an invoice; each order is then handled on its own.

A ``ChatHandler`` per chat sends invoices, each with its own payload (an order number).
``per_invoice_payload`` gives every order an ``InvoiceHandler``, which answers the
shipping query (shipping options for the address, or a refusal for a country the shop
does not ship to), answers the pre-checkout query (a refusal if the stock ran out since
the invoice was sent) and thanks the buyer once the ``successful_payment`` message comes.
The stock is the one thing the orders share: it is made by ``build`` and guarded by a lock.

Run it:
    python examples/payment/invoice.py    # no token: simulated buyers on a local emulator
    BOT_TOKEN=123:abc PAYMENT_PROVIDER_TOKEN=284685063:TEST:... python examples/payment/invoice.py
                                          # a real bot, with a provider token from @BotFather
"""

from __future__ import annotations

import os
import threading
import uuid
from typing import Any

from actorbot import DelegatorBot, demo, glance
from actorbot.delegate import create_open, pave_event_space, per_chat_id, per_invoice_payload
from actorbot.helper import ChatHandler, InvoiceHandler
from actorbot.namedtuple import LabeledPrice, ShippingOption

PROVIDER_TOKEN_ENV = "PAYMENT_PROVIDER_TOKEN"
ORDER_IDLE_SECONDS = 300
SHOP_IDLE_SECONDS = 60
CURRENCY = "USD"
PRICES = [LabeledPrice(label="Hand cream, 100 ml", amount=1299), LabeledPrice(label="Gift wrap", amount=200)]
SHIPPING = [
    ShippingOption(id="post", title="Post", prices=[LabeledPrice(label="Post", amount=500)]),
    ShippingOption(id="courier", title="Courier", prices=[LabeledPrice(label="Courier", amount=1500)]),
]
SHIPS_TO = frozenset({"US", "CA", "GB", "HK"})


def money(cents: int) -> str:
    return f"{cents / 100:.2f} {CURRENCY}"


class Stock:
    """Jars left for sale; every order's handler (each on its own thread) takes from it."""

    def __init__(self, jars: int) -> None:
        self._jars = jars
        self._lock = threading.Lock()

    @property
    def left(self) -> int:
        with self._lock:
            return self._jars

    def take(self) -> bool:
        """Take one jar; False when none is left."""
        with self._lock:
            if self._jars == 0:
                return False
            self._jars -= 1
            return True


class Shopfront(ChatHandler):
    """Sends invoices in one chat (on the chat's actor thread)."""

    def __init__(self, *args: Any, stock: Stock, provider_token: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stock = stock
        self._provider_token = provider_token

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        content_type, chat_type, chat_id = glance(msg)
        if content_type != "text":  # e.g. successful_payment: the order's handler has it
            return
        if msg["text"].split("@")[0] != "/buy":
            self.sender.sendMessage("Send /buy to order a jar of hand cream.")
        elif self._stock.left == 0:
            self.sender.sendMessage("Sorry, we are sold out.")
        else:
            self.sender.sendInvoice(
                "Hand cream", "Keeps your hands soft all winter.",
                payload=f"order-{uuid.uuid4().hex[:12]}", provider_token=self._provider_token,
                start_parameter="hand-cream", currency=CURRENCY, prices=PRICES,
                need_shipping_address=True, is_flexible=True)  # is_flexible: ask us for shipping options


class OrderProcessor(InvoiceHandler):
    """One order (one invoice payload), on its own actor thread."""

    def __init__(self, *args: Any, stock: Stock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stock = stock

    def on_shipping_query(self, msg: dict[str, Any]) -> None:
        query_id, from_id, payload = glance(msg, flavor="shipping_query")
        country = msg["shipping_address"]["country_code"]
        if country in SHIPS_TO:
            self.bot.answerShippingQuery(query_id, True, shipping_options=SHIPPING)
        else:
            self.bot.answerShippingQuery(query_id, False, error_message=f"Sorry, we do not ship to {country}.")

    def on_pre_checkout_query(self, msg: dict[str, Any]) -> None:
        query_id, from_id, payload = glance(msg, flavor="pre_checkout_query")
        if self._stock.take():
            self.bot.answerPreCheckoutQuery(query_id, True)
        else:
            self.bot.answerPreCheckoutQuery(query_id, False, error_message="Sorry, the last jar has just been sold.")

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        content_type, chat_type, chat_id = glance(msg)
        if content_type == "successful_payment":
            paid = msg["successful_payment"]
            shipping = next(o.title for o in SHIPPING if o.id == paid.get("shipping_option_id"))
            self.bot.sendMessage(chat_id, f"Thank you! We got {money(paid['total_amount'])}. "
                                          f"Your hand cream is on its way by {shipping.lower()}.")
            self.close()


def build(token: str, *, jars: int = 10, provider_token: str | None = None, **bot_kwargs: Any) -> DelegatorBot:
    stock = Stock(jars)
    if provider_token is None:
        provider_token = os.environ.get(PROVIDER_TOKEN_ENV, "")
    return DelegatorBot(token, [
        pave_event_space()(per_chat_id(), create_open, Shopfront,
                           stock=stock, provider_token=provider_token, timeout=SHOP_IDLE_SECONDS),
        pave_event_space()(per_invoice_payload(), create_open, OrderProcessor,
                           stock=stock, timeout=ORDER_IDLE_SECONDS),
    ], **bot_kwargs)


def simulate(sim: Any, bot: DelegatorBot) -> None:
    """Alice buys a jar, sent by courier."""
    alice = sim.create_user("Alice")
    alice.command("buy")
    invoice = alice.chat.wait_for_bot_message()
    alice.pay(invoice, shipping_option_id="courier").wait()
    alice.chat.wait_for_bot_message(lambda m: m.get("text", "").startswith("Thank you"))


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
