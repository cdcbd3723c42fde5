"""examples/payment/invoice.py: invoices, shipping and pre-checkout answers, per-order handlers."""

from __future__ import annotations

import json

from exampleloader import load_example

invoice = load_example("payment/invoice.py")

ABROAD = {"country_code": "FR", "state": "", "city": "Paris", "street_line1": "1 rue de Rivoli",
          "street_line2": "", "post_code": "75001"}


def build_with(**options):
    return lambda token, **bot_kwargs: invoice.build(token, **options, **bot_kwargs)


def params_json(value):
    return json.loads(value) if isinstance(value, str) else value


def buy(user):
    user.command("buy")
    return user.chat.wait_for_bot_message()


def test_an_order_from_invoice_to_thank_you(run_bot):
    harness = run_bot(invoice.build)
    alice = harness.sim.create_user("Alice")
    sent = buy(alice)
    assert sent["invoice"]["title"] == "Hand cream"
    assert sent["invoice"]["total_amount"] == 1299 + 200
    assert sent["invoice"]["currency"] == "USD"
    [call] = harness.sim.calls("sendInvoice")
    assert call.params["payload"].startswith("order-")
    assert params_json(call.params["is_flexible"]) is True

    payment = alice.pay(sent, shipping_option_id="courier")
    assert payment.wait() == "paid"
    harness.settle()

    # The shipping options Alice was offered, for her US address.
    [shipping] = harness.sim.calls("answerShippingQuery")
    assert params_json(shipping.params["ok"]) is True
    options = params_json(shipping.params["shipping_options"])
    assert [(o["id"], o["title"], [p["amount"] for p in o["prices"]]) for o in options] == [
        ("post", "Post", [500]), ("courier", "Courier", [1500])]
    [checkout] = harness.sim.calls("answerPreCheckoutQuery")
    assert params_json(checkout.params["ok"]) is True
    assert payment.message["successful_payment"]["total_amount"] == 1499 + 1500
    assert alice.chat.text() == "\n".join([
        "Alice: /buy",
        "bot: [invoice Hand cream 1499 USD]",
        "Alice: [paid 2999 USD]",
        "bot: Thank you! We got 29.99 USD. Your hand cream is on its way by courier.",
    ])


def test_no_shipping_abroad(run_bot):
    harness = run_bot(invoice.build)
    alice = harness.sim.create_user("Alice")
    payment = alice.pay(buy(alice), shipping_address=ABROAD)
    assert payment.wait() == "failed"
    assert payment.error == "Sorry, we do not ship to FR."
    harness.settle()
    assert harness.sim.calls("answerPreCheckoutQuery") == []
    assert alice.chat.text().splitlines()[-1] == "* payment failed: Sorry, we do not ship to FR."


def test_the_pre_checkout_is_declined_once_the_stock_ran_out(run_bot):
    harness = run_bot(build_with(jars=1))
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    alice_invoice, bob_invoice = buy(alice), buy(bob)  # two invoices out, one jar left
    assert alice.pay(alice_invoice).wait() == "paid"
    late = bob.pay(bob_invoice)
    assert late.wait() == "failed"
    assert late.error == "Sorry, the last jar has just been sold."
    harness.settle()
    assert [params_json(c.params["ok"]) for c in harness.sim.calls("answerPreCheckoutQuery")] == [True, False]
    assert bob.chat.text().splitlines()[-1] == "* payment failed: Sorry, the last jar has just been sold."
    buy(bob)
    assert bob.chat.bot_messages()[-1]["text"] == "Sorry, we are sold out."
    assert alice.chat.bot_messages()[-1]["text"].startswith("Thank you!")


def test_each_order_is_handled_on_its_own(run_bot):
    harness = run_bot(invoice.build)
    alice = harness.sim.create_user("Alice")
    first, second = buy(alice), buy(alice)
    payloads = [c.params["payload"] for c in harness.sim.calls("sendInvoice")]
    assert len(set(payloads)) == 2
    # Pay the second invoice first, with different shipping: each thank-you matches its order.
    assert alice.pay(second, shipping_option_id="post").wait() == "paid"
    harness.settle()
    assert alice.pay(first, shipping_option_id="courier").wait() == "paid"
    harness.settle()
    thanks = [m["text"] for m in alice.chat.bot_messages() if m.get("text", "").startswith("Thank you")]
    assert thanks == [
        "Thank you! We got 19.99 USD. Your hand cream is on its way by post.",
        "Thank you! We got 29.99 USD. Your hand cream is on its way by courier.",
    ]


def test_other_messages_get_a_hint(run_bot):
    harness = run_bot(invoice.build)
    alice = harness.sim.create_user("Alice")
    alice.send("hello")
    assert alice.chat.wait_for_bot_message()["text"] == "Send /buy to order a jar of hand cream."


def test_the_demo_prints_the_conversation(capsys):
    invoice.demo.main(invoice.build, invoice.simulate, invoice.__doc__, argv=[])
    assert capsys.readouterr().out.splitlines() == [
        "[Alice] Alice: /buy",
        "[Alice] bot: [invoice Hand cream 1499 USD]",
        "[Alice] Alice: [paid 2999 USD]",
        "[Alice] bot: Thank you! We got 29.99 USD. Your hand cream is on its way by courier.",
    ]
