"""The browser chat in a real headless Chromium (selenium): a person opens /chat/, creates a
user, talks to a running actorbot bot, presses inline buttons and sees the edits.

Needs Chromium and its driver (Debian: ``apt-get install chromium chromium-driver``; ``.ci/run``
installs them when missing). Without a browser the tests skip, saying so. Screenshots of
each state go to ``$WEBCHAT_SHOTS`` (default: the test's tmp_path).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from actorbot import Bot, glance, message_identifier
from actorbot.emulator import TINY_PNG, Emulator
from actorbot.namedtuple import (
    InlineQueryResultArticle,
    InputTextMessageContent,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from actorbot.testing import serve_bot
from exampleloader import load_example

WAIT = 15.0




def _find_browser() -> tuple[str, str] | None:
    binary = next(
        (
            found
            for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
            if (found := shutil.which(name))
        ),
        None,
    )
    driver = shutil.which("chromedriver") or next(
        (p for p in ("/usr/lib/chromium/chromedriver", "/usr/bin/chromedriver") if os.path.exists(p)), None
    )
    return (binary, driver) if binary and driver else None


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    found = _find_browser()
    if found is None:
        pytest.skip("no Chromium and chromedriver on PATH: apt-get install chromium chromium-driver")
    binary, driver_path = found
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,900",
        "--disable-extensions",
        "--no-first-run",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def shoot(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[WebDriver, str], Path]:
    folder = Path(os.environ.get("WEBCHAT_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(driver: WebDriver, state: str) -> Path:
        path = folder / f"{request.node.name}-{state}.png"
        assert driver.save_screenshot(str(path)), path
        return path

    return take


def wait_for(driver: WebDriver, probe: Callable[[WebDriver], Any], what: str) -> Any:
    def safe(d: WebDriver) -> Any:
        try:
            return probe(d)
        except StaleElementReferenceException:  # the page re-rendered under us: look again
            return None

    return WebDriverWait(driver, WAIT).until(safe, message=f"waiting for {what}")


def bot_texts(driver: WebDriver) -> list[str]:
    return [
        m.find_element(By.CSS_SELECTOR, ".body").text
        for m in driver.find_elements(By.CSS_SELECTOR, "#messages .msg.bot")
    ]


def add_user(driver: WebDriver, name: str) -> None:
    field = driver.find_element(By.ID, "new-user-name")
    field.send_keys(name)
    driver.find_element(By.ID, "new-user-btn").click()
    wait_for(
        driver,
        lambda d: (
            d.find_element(By.ID, "chat-title").text == name and d.find_element(By.ID, "composer-text").is_enabled()
        ),
        f"{name}'s chat to open",
    )


def say(driver: WebDriver, text: str) -> None:
    box = driver.find_element(By.ID, "composer-text")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def toast_texts(driver: WebDriver) -> list[str]:
    return [t.text for t in driver.find_elements(By.CSS_SELECTOR, "#toasts .toast")]


def open_page(driver: WebDriver, emulator: Emulator) -> None:
    driver.get(emulator.url + "/chat/")
    wait_for(driver, lambda d: d.find_element(By.ID, "link-status").text == "live", "the page to follow the emulator")


def test_a_person_chats_with_the_counter_bot(browser: WebDriver, shoot: Callable[[WebDriver, str], Path]) -> None:
    counter = load_example("chat/counter.py")
    with serve_bot(counter.build) as harness:
        open_page(browser, harness.emulator)
        shoot(browser, "1-empty")
        add_user(browser, "Alice")
        shoot(browser, "2-user-created")
        say(browser, "hello")
        wait_for(browser, lambda d: bot_texts(d) == ["1"], "the bot's first reply")
        say(browser, "again")
        wait_for(browser, lambda d: bot_texts(d) == ["1", "2"], "the bot's second reply")
        users = [m.text for m in browser.find_elements(By.CSS_SELECTOR, "#messages .msg.user .body")]
        assert users == ["hello", "again"]
        calls = browser.find_element(By.ID, "calls").text
        assert "sendMessage" in calls
        shoot(browser, "3-replies")
        assert (
            harness.emulator.sim.transcript_text(harness.emulator.sim.user(100_000_001))
            == "Alice: hello\nbot: 1\nAlice: again\nbot: 2"
        )


def conversation_rows(driver: WebDriver) -> list[tuple[str, str, str, str, str]]:
    """The side panel's conversations: (seed, handler, state, mailbox, values) as shown."""
    return [
        tuple(  # type: ignore[misc]
            [li.find_element(By.CSS_SELECTOR, f".{part}").text for part in ("seed", "handler", "state", "mailbox")]
            + [" | ".join(v.text for v in li.find_elements(By.CSS_SELECTOR, ".values > div"))]
        )
        for li in driver.find_elements(By.CSS_SELECTOR, "#conversations li")
    ]


def test_the_side_panel_lists_the_live_conversations_with_their_state(
    browser: WebDriver, shoot: Callable[[WebDriver, str], Path]
) -> None:
    counter = load_example("chat/counter.py")
    with serve_bot(counter.build) as harness:
        open_page(browser, harness.emulator)
        wait_for(
            browser,
            lambda d: d.find_element(By.ID, "conversations-note").text == "No live conversation.",
            "the panel to say there is no conversation yet",
        )
        add_user(browser, "Alice")
        say(browser, "hello")
        wait_for(browser, lambda d: bot_texts(d) == ["1"], "the bot's first reply")
        say(browser, "again")
        wait_for(browser, lambda d: bot_texts(d) == ["1", "2"], "the bot's second reply")
        seed = str(harness.sim.user(100_000_001).id)
        row = wait_for(
            browser,
            lambda d: next((r for r in conversation_rows(d) if "state.count = 2" in r[4]), None),
            "the panel to show the count of 2",
        )
        assert row[:4] == (seed, "MessageCounter", "live", "mailbox 0")
        assert row[4].split(" | ") == [f"_id = {seed}", f"_chat_id = {seed}", "state.count = 2"]
        assert not browser.find_element(By.ID, "conversations-note").is_displayed()
        assert harness.emulator.token not in browser.find_element(By.ID, "conversations").text
        shoot(browser, "panel")


def test_a_person_presses_inline_buttons_and_sees_the_edits(
    browser: WebDriver, shoot: Callable[[WebDriver, str], Path]
) -> None:
    lover = load_example("callback/lover.py")
    with serve_bot(lover.build) as harness:
        open_page(browser, harness.emulator)
        add_user(browser, "Alice")
        say(browser, "Hi!")
        question = wait_for(
            browser,
            lambda d: next(
                (
                    m
                    for m in d.find_elements(By.CSS_SELECTOR, "#messages .msg.bot")
                    if m.find_elements(By.CSS_SELECTOR, ".ikbd button")
                ),
                None,
            ),
            "the question with its buttons",
        )
        assert question.find_element(By.CSS_SELECTOR, ".body").text == "Do you love me?"
        labels = [b.text for b in question.find_elements(By.CSS_SELECTOR, ".ikbd button")]
        assert labels == ["Yes", "Um...", "No"]
        first_id = question.get_attribute("data-message-id")
        shoot(browser, "1-question")

        question.find_element(By.XPATH, ".//button[text()='Um...']").click()
        wait_for(browser, lambda d: "Take your time. I will ask again." in toast_texts(d), "the answer's toast")
        # the edit: the first question loses its buttons, in place; a second question comes
        wait_for(
            browser,
            lambda d: (
                not d.find_element(By.CSS_SELECTOR, f"#messages .msg[data-message-id='{first_id}']").find_elements(
                    By.CSS_SELECTOR, ".ikbd"
                )
            ),
            "the first question's buttons to go",
        )
        wait_for(browser, lambda d: "2. Do you love me?" in bot_texts(d), "the second question")
        edited = browser.find_element(By.CSS_SELECTOR, f"#messages .msg[data-message-id='{first_id}']")
        assert "edited" in edited.find_element(By.CSS_SELECTOR, ".meta").text
        assert "Alice pressed [Um...]" in browser.find_element(By.ID, "messages").text
        shoot(browser, "2-pressed-um")

        second = browser.find_elements(By.CSS_SELECTOR, "#messages .msg.bot")[-1]
        second.find_element(By.XPATH, ".//button[text()='Yes']").click()
        wait_for(browser, lambda d: "Really?!" in toast_texts(d), "the 'Really?!' toast")
        wait_for(browser, lambda d: bot_texts(d)[-1:] == ["Thank you! I love you too."], "the thank-you")
        assert not browser.find_elements(By.CSS_SELECTOR, "#messages .ikbd button")
        shoot(browser, "3-pressed-yes")


def test_formatting_groups_and_faults_show_on_the_page(
    browser: WebDriver, emu: Emulator, api: Any, shoot: Callable[[WebDriver, str], Path]
) -> None:
    alice, bob = emu.sim.create_user("Alice"), emu.sim.create_user("Bob")
    group = emu.sim.create_chat("group", "Friends", members=[alice, bob])
    bob.send("hi all", group)
    open_page(browser, emu)
    wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chats .chat-item")) == 3, "three chats")
    browser.find_element(By.CSS_SELECTOR, f"#chats .chat-item[data-chat-id='{group.id}']").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "chat-title").text == "Friends", "the group to open")
    assert "Bob" in browser.find_element(By.CSS_SELECTOR, "#messages .msg.user .who").text
    # the acting-user menu lists the group's members
    assert [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#as-user option")] == ["Alice", "Bob"]

    # a fault injected from the page: the bot's next sendMessage gets a 429, shown in the calls panel
    method = browser.find_element(By.ID, "fault-method")
    method.clear()
    method.send_keys("sendMessage")
    browser.find_element(By.CSS_SELECTOR, "#fault-form button[type=submit]").click()
    planned = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#faults li"), "the planned fault")
    assert planned[0].text == "next sendMessage: 429 Too Many Requests: retry after 1"
    assert emu.faults.pending("sendMessage") == 1
    shoot(browser, "1-fault-planned")
    assert api.call("sendMessage", chat_id=group.id, text="lost").status == 429
    api.ok(
        "sendMessage",
        chat_id=group.id,
        parse_mode="HTML",
        text="<b>bold</b> <i>italic</i> <code>code</code> <a href='https://example.org'>link</a>",
    )
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#messages .msg.bot b"), "the formatted message")
    body = browser.find_element(By.CSS_SELECTOR, "#messages .msg.bot .body")
    assert body.find_element(By.TAG_NAME, "b").text == "bold"
    assert body.find_element(By.TAG_NAME, "i").text == "italic"
    assert body.find_element(By.TAG_NAME, "code").text == "code"
    assert body.find_element(By.TAG_NAME, "a").get_attribute("href") == "https://example.org/"
    fault = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#calls li.fault"), "the faulted call")[0]
    assert "sendMessage 429" in fault.text and "Too Many Requests" in fault.text
    assert not browser.find_elements(By.CSS_SELECTOR, "#faults li")  # used up
    shoot(browser, "2-group-formatting-fault")

    # Bob presses a button in the group; the bot answers with an alert
    api.ok(
        "sendMessage",
        chat_id=group.id,
        text="Vote",
        reply_markup={"inline_keyboard": [[{"text": "Up", "callback_data": "up"}]]},
    )
    button = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#messages .ikbd button"), "the button")[0]
    Select(browser.find_element(By.ID, "as-user")).select_by_visible_text("Bob")
    button.click()
    updates = wait_for(
        browser, lambda d: [u for u in api.ok("getUpdates", timeout=0) if "callback_query" in u], "the press"
    )
    query = updates[-1]["callback_query"]
    assert (query["from"]["first_name"], query["data"]) == ("Bob", "up")
    api.ok("answerCallbackQuery", callback_query_id=query["id"], text="Counted!", show_alert=True)
    alert = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#toasts .toast.alert"), "the alert")[0]
    assert alert.text == "Counted!"
    assert "Bob pressed [Up]" in browser.find_element(By.ID, "messages").text
    shoot(browser, "3-group-alert")


class Showcase(Bot):
    """A bot with a reply keyboard (/menu), a deleted message (/oops), photo and document
    receipts and an inline mode that echoes the query."""

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        content_type, chat_type, chat_id = glance(msg)
        text = msg.get("text", "")
        if content_type == "photo":
            self.sendMessage(chat_id, f"Got a photo: {msg.get('caption', '')}".strip())
        elif content_type == "document":
            self.sendMessage(chat_id, f"Got {msg['document']['file_name']}")
        elif text == "/menu":
            self.sendMessage(
                chat_id,
                "Tea or coffee?",
                reply_markup=ReplyKeyboardMarkup(
                    keyboard=[[KeyboardButton(text="Tea"), KeyboardButton(text="Coffee")]], one_time_keyboard=True
                ),
            )
        elif text in ("Tea", "Coffee"):
            self.sendMessage(
                chat_id,
                f"<b>{text}</b> it is",
                parse_mode="HTML",
                reply_markup=ReplyKeyboardRemove(remove_keyboard=True),
            )
        elif text == "/oops":
            sent = self.sendMessage(chat_id, "this will vanish")
            self.deleteMessage(message_identifier(sent))

    def on_inline_query(self, msg: dict[str, Any]) -> None:
        query_id, from_id, query = glance(msg, flavor="inline_query")
        self.answerInlineQuery(
            query_id,
            [
                InlineQueryResultArticle(
                    id="echo",
                    title=f"Echo {query}",
                    description="sends it back",
                    input_message_content=InputTextMessageContent(message_text=f"echo: {query}"),
                )
            ],
        )

    def on_chosen_inline_result(self, msg: dict[str, Any]) -> None:
        pass


def test_reply_keyboards_deletions_photos_and_inline_queries(
    browser: WebDriver, tmp_path: Path, shoot: Callable[[WebDriver, str], Path]
) -> None:
    with serve_bot(Showcase) as harness:
        open_page(browser, harness.emulator)
        add_user(browser, "Alice")
        say(browser, "/menu")
        keys = wait_for(
            browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#reply-keyboard button"), "the reply keyboard"
        )
        assert [k.text for k in keys] == ["Tea", "Coffee"]
        shoot(browser, "1-reply-keyboard")
        keys[0].click()
        wait_for(
            browser,
            lambda d: d.find_elements(By.XPATH, "//div[contains(@class,'msg bot')]//b[text()='Tea']"),
            "the bold answer",
        )
        assert not browser.find_element(By.ID, "reply-keyboard").is_displayed()

        say(browser, "/oops")
        gone = wait_for(
            browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#messages .msg.bot.deleted"), "the deletion"
        )
        assert gone[0].find_element(By.CSS_SELECTOR, ".body").text == "this will vanish"
        assert "deleted" in gone[0].find_element(By.CSS_SELECTOR, ".meta").text

        picture = tmp_path / "dot.png"
        picture.write_bytes(TINY_PNG)
        browser.find_element(By.ID, "composer-text").send_keys("my dot")
        browser.find_element(By.ID, "attach").send_keys(str(picture))
        wait_for(browser, lambda d: "Got a photo: my dot" in bot_texts(d), "the photo's receipt")
        image = browser.find_element(By.CSS_SELECTOR, "#messages .msg.user img")
        wait_for(
            browser,
            lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image),
            "the photo to load",
        )
        notes = tmp_path / "notes.txt"
        notes.write_text("remember the milk")
        browser.find_element(By.ID, "attach").send_keys(str(notes))
        wait_for(browser, lambda d: "Got notes.txt" in bot_texts(d), "the document's receipt")
        link = browser.find_element(By.CSS_SELECTOR, "#messages .msg.user a.doc")
        assert link.text == "Document: notes.txt"
        assert (
            harness.emulator.sim.messages(harness.emulator.sim.user(100_000_001))[-2]["document"]["mime_type"]
            == "text/plain"
        )
        shoot(browser, "2-deleted-photo-document")

        say(browser, "@emulator_bot hello")
        result = wait_for(
            browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#inline-results .result"), "inline results"
        )
        assert result[0].text.splitlines() == ["Echo hello", "sends it back"]
        shoot(browser, "3-inline-results")
        result[0].click()
        # Alice sends the chosen result herself, "via @emulator_bot"
        sent = wait_for(
            browser,
            lambda d: [m for m in d.find_elements(By.CSS_SELECTOR, "#messages .msg.user") if "echo: hello" in m.text],
            "the chosen result in the chat",
        )
        assert sent[0].find_element(By.CSS_SELECTOR, ".who").text == "Alice via @emulator_bot"
        shoot(browser, "4-inline-chosen")


def test_a_person_pays_an_invoice(browser: WebDriver, shoot: Callable[[WebDriver, str], Path]) -> None:
    shop = load_example("payment/invoice.py")
    with serve_bot(shop.build) as harness:
        open_page(browser, harness.emulator)
        add_user(browser, "Alice")
        say(browser, "/buy")
        pay = wait_for(
            browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#messages .invoice button.pay"), "the invoice"
        )
        invoice = browser.find_element(By.CSS_SELECTOR, "#messages .invoice").text
        assert "Hand cream" in invoice and "14.99 USD" in invoice
        shoot(browser, "1-invoice")
        pay[0].click()  # the emulator takes the first shipping option the bot offers (post, 5.00)
        wait_for(
            browser, lambda d: any(t.startswith("Thank you! We got 19.99 USD") for t in bot_texts(d)), "the thanks"
        )
        wait_for(browser, lambda d: "Payment done" in " ".join(toast_texts(d)), "the payment's toast")
        assert "paid 19.99 USD" in browser.find_element(By.ID, "messages").text
        shoot(browser, "2-paid")


def test_no_browser_means_a_skip_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os.path, "exists", lambda path: False)
    assert _find_browser() is None
