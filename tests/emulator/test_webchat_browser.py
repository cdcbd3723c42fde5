"""The browser chat in a real headless Chromium (selenium): a person opens /chat/, creates a
user, talks to a running actorbot bot, presses inline buttons and sees the edits.

Needs Chromium and its driver (Debian: ``apt-get install chromium chromium-driver``; ``.ci/run``
installs them when missing). Without a browser the tests skip, saying so. Screenshots of
each state go to ``$WEBCHAT_SHOTS`` (default: the test's tmp_path).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from actorbot.emulator import Emulator
from actorbot.testing import serve_bot

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WAIT = 15.0


def load_example(relative: str) -> ModuleType:
    name = "example_" + relative.replace("/", "_").removesuffix(".py")
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, EXAMPLES / relative)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _find_browser() -> tuple[str, str] | None:
    binary = next((found for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
                   if (found := shutil.which(name))), None)
    driver = shutil.which("chromedriver") or next(
        (p for p in ("/usr/lib/chromium/chromedriver", "/usr/bin/chromedriver") if os.path.exists(p)), None)
    return (binary, driver) if binary and driver else None


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    found = _find_browser()
    if found is None:
        pytest.skip("no Chromium and chromedriver on PATH: apt-get install chromium chromium-driver")
    binary, driver_path = found
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,900", "--disable-extensions", "--no-first-run"):
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
    return [m.find_element(By.CSS_SELECTOR, ".body").text for m in driver.find_elements(By.CSS_SELECTOR, "#messages .msg.bot")]


def add_user(driver: WebDriver, name: str) -> None:
    field = driver.find_element(By.ID, "new-user-name")
    field.send_keys(name)
    driver.find_element(By.ID, "new-user-btn").click()
    wait_for(driver, lambda d: d.find_element(By.ID, "chat-title").text == name
             and d.find_element(By.ID, "composer-text").is_enabled(), f"{name}'s chat to open")


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
        assert harness.emulator.sim.transcript_text(harness.emulator.sim.user(100_000_001)) == \
            "Alice: hello\nbot: 1\nAlice: again\nbot: 2"


def test_a_person_presses_inline_buttons_and_sees_the_edits(browser: WebDriver,
                                                             shoot: Callable[[WebDriver, str], Path]) -> None:
    lover = load_example("callback/lover.py")
    with serve_bot(lover.build) as harness:
        open_page(browser, harness.emulator)
        add_user(browser, "Alice")
        say(browser, "Hi!")
        question = wait_for(browser, lambda d: next(
            (m for m in d.find_elements(By.CSS_SELECTOR, "#messages .msg.bot") if m.find_elements(By.CSS_SELECTOR, ".ikbd button")),
            None), "the question with its buttons")
        assert question.find_element(By.CSS_SELECTOR, ".body").text == "Do you love me?"
        labels = [b.text for b in question.find_elements(By.CSS_SELECTOR, ".ikbd button")]
        assert labels == ["Yes", "Um...", "No"]
        first_id = question.get_attribute("data-message-id")
        shoot(browser, "1-question")

        question.find_element(By.XPATH, ".//button[text()='Um...']").click()
        wait_for(browser, lambda d: "Take your time. I will ask again." in toast_texts(d), "the answer's toast")
        # the edit: the first question loses its buttons, in place; a second question comes
        wait_for(browser, lambda d: not d.find_element(
            By.CSS_SELECTOR, f"#messages .msg[data-message-id='{first_id}']").find_elements(By.CSS_SELECTOR, ".ikbd"),
            "the first question's buttons to go")
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


def test_formatting_groups_and_faults_show_on_the_page(browser: WebDriver,
                                                        shoot: Callable[[WebDriver, str], Path]) -> None:
    with Emulator() as emu:
        alice, bob = emu.sim.create_user("Alice"), emu.sim.create_user("Bob")
        group = emu.sim.create_chat("group", "Friends", members=[alice, bob])
        bob.send("hi all", group)
        open_page(browser, emu)
        wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chats .chat-item")) == 3, "three chats")
        browser.find_element(By.CSS_SELECTOR, f"#chats .chat-item[data-chat-id='{group.id}']").click()
        wait_for(browser, lambda d: d.find_element(By.ID, "chat-title").text == "Friends", "the group to open")
        assert "Bob" in browser.find_element(By.CSS_SELECTOR, "#messages .msg.user .who").text
        # the page's acting-user menu lists the group's members
        assert [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#as-user option")] == ["Alice", "Bob"]

        # a fault injected from the page: the bot's next sendMessage gets a 429, shown in the calls panel
        method = browser.find_element(By.ID, "fault-method")
        method.clear()
        method.send_keys("sendMessage")
        browser.find_element(By.CSS_SELECTOR, "#fault-form button[type=submit]").click()
        wait_for(browser, lambda d: any("sendMessage" in t for t in toast_texts(d)), "the fault's confirmation")
        assert emu.faults.pending("sendMessage") == 1
        from conftest import Client  # the emulator tests' plain Bot API client
        client = Client(emu, emu.token)
        try:
            assert client.call("sendMessage", chat_id=group.id, text="lost").status == 429
            client.ok("sendMessage", chat_id=group.id, parse_mode="HTML",
                      text="<b>bold</b> <i>italic</i> <code>code</code> <a href='https://example.org'>link</a>")
        finally:
            client.http.clear()
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#messages .msg.bot b"), "the formatted message")
        body = browser.find_element(By.CSS_SELECTOR, "#messages .msg.bot .body")
        assert body.find_element(By.TAG_NAME, "b").text == "bold"
        assert body.find_element(By.TAG_NAME, "i").text == "italic"
        assert body.find_element(By.TAG_NAME, "code").text == "code"
        assert body.find_element(By.TAG_NAME, "a").get_attribute("href") == "https://example.org/"
        fault = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#calls li.fault"), "the faulted call")[0]
        assert "sendMessage 429" in fault.text and "Too Many Requests" in fault.text
        shoot(browser, "1-group-formatting-fault")


def test_no_browser_means_a_skip_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os.path, "exists", lambda path: False)
    assert _find_browser() is None


def _unused(_: WebElement, __: WebDriverException) -> None:  # keep the imports honest for readers
    pass
