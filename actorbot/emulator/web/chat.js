// actorbot emulator: the browser chat. Plain JavaScript, no build step.
// Acts through the simulation's HTTP API (/sim/...) and follows the emulator with a
// long poll on /chat/api/events (transcript entries and Bot API calls after a cursor).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    version: "", seq: 0, bot: null, users: new Map(), chats: new Map(),
    log: new Map(),            // chat id -> {items: [], messages: Map(message_id -> {message, deleted})}
    replyKeyboard: new Map(),  // chat id -> reply keyboard markup (or null)
    current: null, rendered: null, loaded: false, typingTimer: null,
  };

  // ---------------------------------------------------------------- helpers
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null) node.setAttribute(k, v);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }
  function toast(text, kind) {
    const node = el("div", { class: "toast " + (kind || ""), role: "status" }, text);
    $("toasts").append(node);
    setTimeout(() => node.remove(), kind === "alert" ? 6000 : 3500);
  }
  async function sim(action, body, method) {
    const options = { method: method || "POST" };
    if (body !== undefined) {
      options.headers = { "Content-Type": "application/json" };
      options.body = JSON.stringify(body);
    }
    const response = await fetch("/sim/" + action, options);
    const answer = await response.json();
    if (!answer.ok) { toast(answer.description, "error"); throw new Error(answer.description); }
    return answer.result;
  }
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  async function until(probe, seconds) {   // client-side bounded wait for a query's answer
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      const value = await probe();
      if (value) return value;
      await wait(200);
    }
    return null;
  }
  function safeUrl(url) {
    return /^(https?:|tg:|mailto:)/i.test(url || "") ? url : "#";
  }
  function unchanged(node, key) {   // re-render a control only when what it shows changed
    if (node.dataset.key === key) return true;
    node.dataset.key = key;
    return false;
  }
  function fileUrl(fileId) { return "/chat/api/file?file_id=" + encodeURIComponent(fileId); }

  // ---------------------------------------------------------------- formatting (entities)
  function wrap(entity, text, inner) {
    const part = text.slice(entity.offset, entity.offset + entity.length);
    switch (entity.type) {
      case "bold": return el("b", {}, ...inner);
      case "italic": return el("i", {}, ...inner);
      case "underline": return el("u", {}, ...inner);
      case "strikethrough": return el("s", {}, ...inner);
      case "spoiler": return el("span", { class: "spoiler", onclick: (e) => e.currentTarget.classList.add("shown") }, ...inner);
      case "code": return el("code", {}, ...inner);
      case "pre": return el("pre", {}, el("code", entity.language ? { "data-language": entity.language } : {}, ...inner));
      case "blockquote": case "expandable_blockquote": return el("blockquote", {}, ...inner);
      case "text_link": return el("a", { href: safeUrl(entity.url), target: "_blank", rel: "noopener" }, ...inner);
      case "url": return el("a", { href: safeUrl(/^[a-z]+:/i.test(part) ? part : "http://" + part), target: "_blank", rel: "noopener" }, ...inner);
      case "email": return el("a", { href: "mailto:" + part }, ...inner);
      case "mention": case "text_mention": case "hashtag": case "cashtag": return el("span", { class: "mention" }, ...inner);
      case "bot_command": return el("span", { class: "command", title: "send it", onclick: () => sendText(part) }, ...inner);
      default: return el("span", {}, ...inner);
    }
  }
  function formatted(text, entities) {
    const sorted = (entities || []).slice().sort((a, b) => a.offset - b.offset || b.length - a.length);
    function render(start, end, list) {
      const out = [];
      let pos = start, i = 0;
      while (i < list.length) {
        const e = list[i];
        const eEnd = e.offset + e.length;
        if (e.offset < pos || eEnd > end) { i++; continue; }   // overlapping: ignore
        if (e.offset > pos) out.push(text.slice(pos, e.offset));
        const inner = [];
        let j = i + 1;
        while (j < list.length && list[j].offset < eEnd) { inner.push(list[j]); j++; }
        out.push(wrap(e, text, render(e.offset, eEnd, inner)));
        pos = eEnd;
        i = j;
      }
      if (pos < end) out.push(text.slice(pos, end));
      return out;
    }
    return render(0, text.length, sorted);
  }

  // ---------------------------------------------------------------- applying events
  function chatLog(chatId) {
    if (!state.log.has(chatId)) state.log.set(chatId, { items: [], messages: new Map() });
    return state.log.get(chatId);
  }
  function apply(result) {
    state.bot = result.bot;
    $("bot-name").textContent = "@" + result.bot.username;
    state.users = new Map(result.users.map((u) => [u.id, u]));
    state.chats = new Map(result.chats.map((c) => [c.id, c]));
    const changed = new Set();
    const flashes = new Set();
    for (const entry of result.entries) {
      const log = chatLog(entry.chat_id);
      changed.add(entry.chat_id);
      if (entry.kind === "message" && entry.message) {
        log.messages.set(entry.message_id, { message: entry.message, deleted: false, fromBot: entry.from_bot, sender: entry.sender });
        log.items.push({ type: "message", id: entry.message_id });
        const markup = entry.reply_keyboard;   // a reply keyboard, or its removal (not stored on the message)
        if (markup) state.replyKeyboard.set(entry.chat_id, markup.keyboard ? markup : null);
      } else if (entry.kind === "edit" && entry.message) {
        const known = log.messages.get(entry.message_id);
        log.messages.set(entry.message_id, { message: entry.message, deleted: false, fromBot: entry.from_bot, sender: entry.sender });
        if (!known) log.items.push({ type: "message", id: entry.message_id });
        flashes.add(entry.chat_id + ":" + entry.message_id);
      } else if (entry.kind === "delete") {
        const known = log.messages.get(entry.message_id);
        if (known) known.deleted = true;
      } else if (entry.kind === "press") {
        log.items.push({ type: "note", text: entry.sender + " pressed [" + entry.text + "]" });
      } else if (entry.kind === "answer") {
        log.items.push({ type: "note", cls: "answer", text: "bot answered: " + entry.text });
        if (state.loaded && entry.text !== "(no text)") {
          const alert = entry.text.endsWith(" (alert)");
          toast(alert ? entry.text.slice(0, -8) : entry.text, alert ? "alert" : "");
        }
      } else if (entry.kind === "action") {
        if (state.loaded && entry.chat_id === state.current) showTyping(entry.text);
      } else {
        log.items.push({ type: "note", text: entry.text });
      }
    }
    for (const call of result.calls) addCall(call);
    $("faults").replaceChildren(...result.faults.map((f) => el("li", {},
      "next " + (f.times > 1 ? f.times + " × " : "") , el("span", { class: "m" }, f.method === "*" ? "any call" : f.method),
      ": " + f.description)));
    state.version = result.version;
    state.seq = Math.max(state.seq, result.seq);
    renderSidebar();
    if (state.current !== null && (changed.has(state.current) || !state.loaded || state.rendered !== state.current)) renderChat(flashes);
    else if (state.current !== null) renderComposer();
    state.loaded = true;
  }
  function addCall(call) {
    const cls = call.fault ? "fault" : call.status !== 200 ? "error" : "";
    const label = call.fault ? " ⚡ " + call.fault : "";
    const node = el("li", { class: cls },
      el("span", { class: "m" }, call.method), " " + (call.status || "dropped") + label,
      call.description ? el("span", { class: "p" }, call.description) : null,
      el("span", { class: "p" }, call.params));
    const list = $("calls");
    list.append(node);
    while (list.children.length > 300) list.firstChild.remove();
    list.scrollTop = list.scrollHeight;
  }
  function showTyping(action) {
    $("chat-sub").textContent = "bot is " + action.replace(/_/g, " ") + "…";
    $("chat-sub").classList.add("typing");
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(() => { $("chat-sub").classList.remove("typing"); renderHead(); }, 5000);
  }

  // ---------------------------------------------------------------- rendering
  function chatName(chat) {
    if (chat.type === "private") {
      const user = state.users.get(chat.id);
      return user ? user.first_name : String(chat.id);
    }
    return chat.title || String(chat.id);
  }
  function renderSidebar() {
    const key = JSON.stringify([[...state.users.values()], [...state.chats.values()], state.current]);
    if (unchanged($("chats"), key)) return;
    const users = $("users");
    users.replaceChildren(...[...state.users.values()].map((u) =>
      el("li", { "data-user-id": u.id, title: "open the private chat", onclick: () => openChat(u.id) },
        el("span", {}, u.first_name + (u.username ? " @" + u.username : "")),
        el("span", { class: "kind" }, u.blocked ? "blocked" : "id " + u.id))));
    const chats = $("chats");
    chats.replaceChildren(...[...state.chats.values()].map((c) =>
      el("li", { class: "chat-item" + (c.id === state.current ? " active" : ""), "data-chat-id": c.id, onclick: () => openChat(c.id) },
        el("span", {}, chatName(c)), el("span", { class: "kind" }, c.type))));
    const boxes = $("new-group-members");
    const ticked = new Set([...boxes.querySelectorAll("input:checked")].map((i) => Number(i.value)));
    boxes.replaceChildren(...[...state.users.values()].map((u) =>
      el("label", {}, el("input", Object.assign({ type: "checkbox", value: u.id }, ticked.has(u.id) ? { checked: "" } : {})), " " + u.first_name)));
  }
  function openChat(chatId) {
    state.current = chatId;
    $("inline-results").classList.add("hidden");
    renderSidebar();
    renderChat(new Set());
  }
  function showWhenKnown(chatId) {   // the long poll may have brought the new chat already
    if (state.chats.has(chatId)) openChat(chatId); else state.current = chatId;
  }
  function renderHead() {
    const chat = state.chats.get(state.current);
    if (!chat) return;
    $("chat-title").textContent = chatName(chat);
    const members = Object.keys(chat.members).length;
    $("chat-sub").textContent = chat.type === "private" ? "private chat with @" + (state.bot ? state.bot.username : "bot")
      : chat.type + " · " + members + " member" + (members === 1 ? "" : "s") + " · bot: " + chat.bot_status;
  }
  function renderComposer() {
    const chat = state.chats.get(state.current);
    if (!chat) return;
    const select = $("as-user");
    const before = select.value;
    const ids = chat.type === "private" ? [chat.id]
      : Object.entries(chat.members).filter(([, s]) => ["creator", "administrator", "member", "restricted"].includes(s)).map(([id]) => Number(id));
    if (!unchanged(select, JSON.stringify([chat.id, ids]))) {
      select.replaceChildren(...ids.map((id) => el("option", { value: id }, (state.users.get(id) || { first_name: id }).first_name)));
      if (ids.map(String).includes(before)) select.value = before;
    }
    const enabled = ids.length > 0;
    for (const id of ["composer-text", "send-btn", "attach"]) $(id).disabled = !enabled;
    const tools = $("chat-tools");
    const outside = [...state.users.values()].filter((u) => !ids.includes(u.id));
    if (!unchanged($("join-user"), JSON.stringify([chat.id, outside.map((u) => u.id)]))) {
      $("join-user").replaceChildren(...outside.map((u) => el("option", { value: u.id }, u.first_name)));
    }
    tools.classList.toggle("hidden", chat.type === "private" || outside.length === 0);
    renderReplyKeyboard();
  }
  function renderReplyKeyboard() {
    const box = $("reply-keyboard");
    const markup = state.replyKeyboard.get(state.current);
    if (unchanged(box, JSON.stringify([state.current, markup || null]))) return;
    if (!markup) { box.classList.add("hidden"); box.replaceChildren(); return; }
    box.replaceChildren(...markup.keyboard.map((row) => el("div", { class: "krow" }, ...row.map((button) => {
      const text = typeof button === "string" ? button : button.text;
      return el("button", { type: "button", onclick: async () => {
        await sendText(text);
        if (markup.one_time_keyboard) { state.replyKeyboard.set(state.current, null); renderReplyKeyboard(); }
      } }, text);
    }))));
    box.classList.remove("hidden");
  }
  function renderChat(flashes) {
    renderHead();
    renderComposer();
    const box = $("messages");
    const log = chatLog(state.current);
    const nodes = [];
    for (const item of log.items) {
      if (item.type === "note") { nodes.push(el("div", { class: "note " + (item.cls || "") }, item.text)); continue; }
      const record = log.messages.get(item.id);
      if (record) nodes.push(renderMessage(record, flashes.has(state.current + ":" + item.id)));
    }
    if (!nodes.length) nodes.push(el("p", { class: "empty" }, "No messages yet. Say hello!"));
    box.replaceChildren(...nodes);
    box.scrollTop = box.scrollHeight;
    state.rendered = state.current;
  }
  function renderMessage(record, flash) {
    const m = record.message;
    const chat = state.chats.get(state.current);
    const classes = ["msg", record.fromBot ? "bot" : "user"];
    if (record.deleted) classes.push("deleted");
    if (flash) classes.push("flash");
    const body = el("div", { class: "body" });
    if (m.reply_to_message) {
      const quoted = m.reply_to_message;
      body.append(el("div", { class: "quote" }, (quoted.from ? quoted.from.first_name : "") + ": " + (quoted.text || quoted.caption || "[media]")));
    }
    if (m.photo && m.photo.length) {
      const biggest = m.photo[m.photo.length - 1];
      body.append(el("img", { src: fileUrl(biggest.file_id), alt: "photo" }));
    }
    if (m.document) {
      body.append(el("a", { class: "doc", href: fileUrl(m.document.file_id), download: m.document.file_name || "file" },
        "Document: " + (m.document.file_name || "document")));
    }
    if (m.invoice) body.append(renderInvoice(m));
    if (m.text !== undefined) body.append(...formatted(m.text, m.entities));
    else if (m.caption !== undefined) body.append(...formatted(m.caption, m.caption_entities));
    else if (!m.photo && !m.document && !m.invoice) body.append(el("span", { class: "muted" }, describe(m)));
    const who = (!record.fromBot && chat && chat.type !== "private") || m.via_bot ? el("div", { class: "who" }, record.sender + (m.via_bot ? " via @" + m.via_bot.username : "")) : null;
    const meta = el("div", { class: "meta" }, (record.deleted ? "deleted · " : m.edit_date ? "edited · " : "") + "#" + m.message_id);
    const node = el("div", { class: classes.join(" "), "data-message-id": m.message_id }, who, body);
    const keyboard = m.reply_markup && m.reply_markup.inline_keyboard;
    if (keyboard && !record.deleted) node.append(renderInlineKeyboard(m, keyboard));
    node.append(meta);
    return node;
  }
  function describe(m) {
    for (const key of ["sticker", "video", "animation", "audio", "voice", "video_note", "location", "venue", "contact", "poll", "dice", "game", "checklist"]) {
      if (m[key]) return "[" + key + (key === "dice" ? " " + m.dice.emoji + " = " + m.dice.value : key === "poll" ? ": " + m.poll.question : "") + "]";
    }
    if (m.successful_payment) return "✓ paid " + m.successful_payment.total_amount / 100 + " " + m.successful_payment.currency;
    if (m.new_chat_members) return "joined: " + m.new_chat_members.map((u) => u.first_name).join(", ");
    if (m.left_chat_member) return "left: " + m.left_chat_member.first_name;
    return "[message]";
  }
  function renderInlineKeyboard(m, keyboard) {
    return el("div", { class: "ikbd" }, ...keyboard.map((row) => el("div", { class: "krow" }, ...row.map((button) => {
      if (button.url) return el("a", { href: safeUrl(button.url), target: "_blank", rel: "noopener" }, button.text + " ↗");
      if (button.callback_data !== undefined || button.callback_game) {
        return el("button", { type: "button", "data-callback": button.callback_data || "", onclick: () => press(m, button) }, button.text);
      }
      if (button.pay) return el("button", { type: "button", onclick: () => pay(m) }, button.text);
      if (button.switch_inline_query !== undefined || button.switch_inline_query_current_chat !== undefined) {
        const query = button.switch_inline_query_current_chat !== undefined ? button.switch_inline_query_current_chat : button.switch_inline_query;
        return el("button", { type: "button", onclick: () => { $("composer-text").value = "@" + state.bot.username + " " + query; $("composer-text").focus(); } }, button.text);
      }
      return el("button", { type: "button", disabled: "", title: "not supported by the emulator page" }, button.text);
    }))));
  }
  function renderInvoice(m) {
    const inv = m.invoice;
    const amount = (inv.total_amount / 100).toFixed(2) + " " + inv.currency;
    const hasPayButton = m.reply_markup && m.reply_markup.inline_keyboard && m.reply_markup.inline_keyboard.some((r) => r.some((b) => b.pay));
    return el("div", { class: "invoice" }, el("b", {}, inv.title), el("div", {}, inv.description),
      el("div", { class: "price" }, amount),
      hasPayButton ? null : el("button", { type: "button", class: "pay", onclick: () => pay(m) }, "Pay " + amount));
  }

  // ---------------------------------------------------------------- actions
  function actingUser() { return Number($("as-user").value); }
  async function sendText(text) {
    if (state.current === null || !text) return;
    if (state.bot && text.startsWith("@" + state.bot.username + " ")) return inlineQuery(text.slice(state.bot.username.length + 2));
    await sim("send", { user_id: actingUser(), chat_id: state.current, text: text });
  }
  async function press(message, button) {
    const data = button.callback_data !== undefined ? { data: button.callback_data } : { label: button.text };
    await sim("press", Object.assign({ user_id: actingUser(), chat_id: message.chat.id, message_id: message.message_id }, data));
  }
  async function pay(message) {
    const started = await sim("pay", { user_id: actingUser(), chat_id: message.chat.id, message_id: message.message_id });
    toast("Payment started: waiting for the bot's checks");
    let last = "";
    const outcome = await until(async () => {
      const status = await sim("payment?id=" + encodeURIComponent(started.payment_id), undefined, "GET");
      if (status.status !== last) { last = status.status; if (!["paid", "failed"].includes(last)) toast("Payment: " + last.replace("_", "-") + " query sent to the bot"); }
      return ["paid", "failed"].includes(status.status) ? status : null;
    }, 15);
    if (!outcome) toast("The bot did not finish the payment", "error");
    else if (outcome.status === "paid") toast("Payment done ✓");
    else toast("Payment failed: " + (outcome.error || ""), "error");
  }
  async function inlineQuery(query) {
    const box = $("inline-results");
    box.replaceChildren(el("div", { class: "muted" }, "asking @" + state.bot.username + "…"));
    box.classList.remove("hidden");
    const asked = await sim("inline_query", { user_id: actingUser(), query: query });
    const answer = await until(() => sim("inline_query?id=" + encodeURIComponent(asked.inline_query_id), undefined, "GET"), 10);
    if (!answer) { box.replaceChildren(el("div", { class: "muted" }, "no answer from the bot")); return; }
    if (!answer.results.length) { box.replaceChildren(el("div", { class: "muted" }, "no results")); return; }
    box.replaceChildren(...answer.results.map((r) => el("div", { class: "result", onclick: async () => {
      box.classList.add("hidden");
      await sim("choose_inline_result", { inline_query_id: asked.inline_query_id, result_id: r.id, chat_id: state.current });
    } }, el("b", {}, r.title || r.type + " " + r.id), r.description ? el("div", { class: "muted" }, r.description) : null)));
  }
  function readBase64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }

  $("new-user").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = $("new-user-name").value.trim();
    if (!name) return;
    const user = await sim("users", { first_name: name, username: name.toLowerCase().replace(/[^a-z0-9_]/g, "") || undefined });
    $("new-user-name").value = "";
    showWhenKnown(user.id);
  });
  $("new-group").addEventListener("submit", async (event) => {
    event.preventDefault();
    const members = [...$("new-group-members").querySelectorAll("input:checked")].map((i) => Number(i.value));
    if (!members.length) { toast("Tick at least one member", "error"); return; }
    const chat = await sim("chats", { type: $("new-group-type").value, title: $("new-group-title").value.trim(), members: members });
    $("new-group-title").value = "";
    showWhenKnown(chat.id);
  });
  $("join-btn").addEventListener("click", () => sim("join", { chat_id: state.current, user_id: Number($("join-user").value) }));
  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("composer-text").value;
    if (!text.trim()) return;
    $("composer-text").value = "";
    await sendText(text);
  });
  $("attach").addEventListener("change", async () => {
    const file = $("attach").files[0];
    $("attach").value = "";
    if (!file || state.current === null) return;
    const data = await readBase64(file);
    const caption = $("composer-text").value.trim() || undefined;
    $("composer-text").value = "";
    if (file.type.startsWith("image/")) {
      await sim("photo", { user_id: actingUser(), chat_id: state.current, data_base64: data, caption: caption });
    } else {
      await sim("document", { user_id: actingUser(), chat_id: state.current, data_base64: data, filename: file.name,
        mime_type: file.type || "application/octet-stream", caption: caption });
    }
  });
  $("fault-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const kind = $("fault-kind").value;
    const method = $("fault-method").value.trim() || "*";
    await sim("faults", { method: method, kind: kind, times: Number($("fault-times").value) || 1, retry_after: 1, delay: 1.0 });
    toast("Planned for the next " + ($("fault-times").value || 1) + " × " + method + ": " + $("fault-kind").selectedOptions[0].textContent);
  });
  $("fault-clear").addEventListener("click", async () => { await sim("faults", undefined, "DELETE"); toast("Faults cleared"); });

  // ---------------------------------------------------------------- the attached bot's conversations
  function renderConversations(result) {
    const list = $("conversations");
    $("conversations-note").textContent = result.note || "";
    if (unchanged(list, JSON.stringify(result.conversations))) return;
    list.replaceChildren(...result.conversations.map((c) => {
      const values = Object.entries(c.values || {});
      return el("li", { class: "conversation " + c.state, "data-seed": String(c.seed) },
        el("div", { class: "head" },
          el("span", { class: "seed", title: "seed (pattern " + c.pattern + ")" }, String(c.seed)),
          el("span", { class: "handler" }, c.handler),
          el("span", { class: "state" }, c.state),
          el("span", { class: "mailbox", title: "updates waiting in its mailbox" }, "mailbox " + c.mailbox)),
        values.length ? el("div", { class: "values" },
          ...values.map(([name, value]) => el("div", null, el("span", null, name + " = "), value))) : null);
    }));
  }
  let conversationsBusy = false;
  async function refreshConversations() {
    if (conversationsBusy || document.hidden) return;
    conversationsBusy = true;
    try {
      const answer = await (await fetch("/chat/api/conversations")).json();
      if (answer.ok) renderConversations(answer.result);
    } catch (error) {
      // the emulator is unreachable: the long poll says so in the top bar
    } finally {
      conversationsBusy = false;
    }
  }
  async function watchConversations() {   // every second while the page is visible, and after each long poll
    for (;;) {
      await refreshConversations();
      await wait(1000);
    }
  }

  // ---------------------------------------------------------------- the long poll
  async function follow() {
    for (;;) {
      try {
        const url = "/chat/api/events?since=" + encodeURIComponent(state.version) + "&after=" + state.seq + "&timeout=" + (state.loaded ? 25 : 0);
        const response = await fetch(url);
        const answer = await response.json();
        $("link-status").textContent = "live";
        $("link-status").className = "status on";
        if (answer.ok) {
          const first = !state.loaded;
          apply(answer.result);
          refreshConversations();
          if (first && state.current === null && state.users.size) openChat([...state.users.keys()][0]);
        }
      } catch (error) {
        $("link-status").textContent = "emulator unreachable";
        $("link-status").className = "status off";
        await wait(1000);
      }
    }
  }
  follow();
  watchConversations();
})();
