// A lean fake Bot API server for benchmarks/e2e.py: loopback, one Node process.
//
//   node benchmarks/fakeapi.js [port]              serve (prints "PORT <n>" once listening)
//   node benchmarks/fakeapi.js --ceiling [secs] [connections]   measure its sendMessage ceiling
//
// Bot API calls (any token): getUpdates (offset acknowledgement, limit, long poll up to
// `timeout` seconds, capped at 2 s), sendMessage (recorded; answered after `delay` ms
// when set), getMe, and any other method answered with `true`. Parameters are read from
// JSON, urlencoded or multipart bodies and from the query string, since each library
// sends its own kind.
//
// Control (harness only):
//   POST /ctl/reset {"updates": N, "chats": C, "delay": ms}  new workload: update i
//                      (1-based) is a text message in chat 1000 + (i-1) % C
//   GET  /ctl/stats    counts, first getUpdates and last reply times (ms), checks
//   GET  /ctl/check    per-chat ordering: out of order, missing, duplicated replies
'use strict';
const http = require('http');

let updates = [];            // pre-encoded JSON strings, index = update_id - 1
let chats = 0;
let delay = 0;
let firstPoll = null;        // ms (performance.now) of the first getUpdates after reset
let lastReply = null;
let replies = 0;
let polls = 0;                // getUpdates calls since the last reset
let replyLog = new Map();    // chat_id -> array of reply numbers in arrival order
let waiting = [];            // held long polls: {res, offset, limit, timer}
let gen = 0;                 // reset generation; stale replies are ignored

const BOT_USER = {id: 1, is_bot: true, first_name: 'bench', username: 'bench_bot',
  can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false};
let messageId = 0;

function now() { return performance.now(); }
function cpuMicros() { const u = process.cpuUsage(); return u.user + u.system; }

function reset(cfg) {
  for (const w of waiting) { clearTimeout(w.timer); send(w.res, '[]'); }
  waiting = [];
  gen += 1;
  chats = cfg.chats; delay = cfg.delay || 0;
  updates = new Array(cfg.updates);
  const date = Math.floor(Date.now() / 1000);
  for (let i = 0; i < cfg.updates; i++) {
    const chat = 1000 + (i % cfg.chats);
    const seq = Math.floor(i / cfg.chats) + 1;
    updates[i] = JSON.stringify({update_id: i + 1, message: {
      message_id: seq, date, text: String(seq),
      chat: {id: chat, type: 'private', first_name: 'u' + chat},
      from: {id: chat, is_bot: false, first_name: 'u' + chat}}});
  }
  firstPoll = null; lastReply = null; replies = 0; polls = 0; replyLog = new Map(); messageId = 0;
}

function send(res, resultJson) {
  const body = '{"ok":true,"result":' + resultJson + '}';
  res.writeHead(200, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body)});
  res.end(body);
}

function parseParams(req, raw) {
  const out = {};
  const q = req.url.indexOf('?');
  if (q >= 0) for (const [k, v] of new URLSearchParams(req.url.slice(q + 1))) out[k] = v;
  if (!raw.length) return out;
  const type = req.headers['content-type'] || '';
  const text = raw.toString('utf8');
  if (type.startsWith('application/json')) {
    Object.assign(out, JSON.parse(text));
  } else if (type.startsWith('multipart/form-data')) {
    const re = /name="([^"]+)"\r\n(?:[^\r\n]+\r\n)*\r\n([\s\S]*?)\r\n--/g;
    let m;
    while ((m = re.exec(text)) !== null) out[m[1]] = m[2];
  } else {
    for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  }
  return out;
}

function batch(offset, limit) {
  const start = Math.max(offset - 1, 0);
  return updates.slice(start, start + limit);
}

function answerPoll(res, offset, limit, timeoutS) {
  if (firstPoll === null) firstPoll = now();
  const got = batch(offset, limit);
  if (got.length || timeoutS <= 0) return send(res, '[' + got.join(',') + ']');
  const w = {res, offset, limit, timer: null};
  w.timer = setTimeout(() => {
    waiting = waiting.filter((x) => x !== w);
    send(res, '[]');
  }, Math.min(timeoutS, 2) * 1000);
  waiting.push(w);
}

function sendMessage(res, p) {
  const chat = Number(p.chat_id);
  const text = String(p.text);
  const n = Number(text);
  const g = gen;
  const reply = () => {
    if (g === gen) {
      let log = replyLog.get(chat);
      if (!log) { log = []; replyLog.set(chat, log); }
      log.push(n);
      replies += 1;
      lastReply = now();
    }
    messageId += 1;
    send(res, JSON.stringify({message_id: messageId, date: Math.floor(Date.now() / 1000), text,
      chat: {id: chat, type: 'private', first_name: 'u' + chat}, from: BOT_USER}));
  };
  if (delay > 0) setTimeout(reply, delay); else reply();
}

function check() {
  // For each chat, walking its replies in arrival order: a reply is out of order when a
  // larger number arrived before it; a number seen again is a duplicate; a number of
  // 1..(updates in that chat) never seen is missing.
  let outOfOrder = 0, duplicated = 0, missing = 0, wrong = 0;
  const perChat = new Map();
  for (let i = 0; i < updates.length; i++) {
    const chat = 1000 + (i % chats);
    perChat.set(chat, (perChat.get(chat) || 0) + 1);
  }
  for (const [chat, expected] of perChat) {
    const log = replyLog.get(chat) || [];
    const seen = new Set();
    let max = 0;
    for (const n of log) {
      if (!(n >= 1 && n <= expected)) { wrong += 1; continue; }
      if (seen.has(n)) duplicated += 1; else seen.add(n);
      if (n < max) outOfOrder += 1;
      if (n > max) max = n;
    }
    missing += expected - seen.size;
  }
  return {outOfOrder, duplicated, missing, wrong};
}

function handler(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const path = req.url.split('?')[0];
    if (path.startsWith('/ctl/')) {
      if (path === '/ctl/reset') { reset(JSON.parse(raw.toString())); return send(res, 'true'); }
      if (path === '/ctl/stats') {
        return send(res, JSON.stringify({replies, polls, updates: updates.length, firstPoll, lastReply,
          now: now(), polling: waiting.length, cpu: cpuMicros()}));
      }
      if (path === '/ctl/check') return send(res, JSON.stringify(check()));
      res.writeHead(404); return res.end();
    }
    const slash = path.lastIndexOf('/');
    const method = path.slice(slash + 1);
    let p;
    try { p = parseParams(req, raw); } catch (e) {
      res.writeHead(400, {'Content-Type': 'application/json'});
      return res.end('{"ok":false,"error_code":400,"description":"Bad Request: bad body"}');
    }
    switch (method) {
      case 'getUpdates':
        polls += 1;
        return answerPoll(res, Number(p.offset || 0), Number(p.limit || 100), Number(p.timeout || 0));
      case 'sendMessage':
        return sendMessage(res, p);
      case 'getMe':
        return send(res, JSON.stringify(BOT_USER));
      default:
        return send(res, 'true');
    }
  });
}

function serve(port) {
  const server = http.createServer({keepAlive: true, noDelay: true}, handler);
  server.keepAliveTimeout = 60000;
  server.headersTimeout = 65000;
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write('PORT ' + server.address().port + '\n');
  });
  process.on('SIGTERM', () => process.exit(0));
  return server;
}

// The ceiling: a server process of its own against a Node client process keeping CONC
// keep-alive connections busy with sendMessage. Client and server share the machine's
// cores, so the server alone is faster than this (a lower bound); the server's own CPU
// time per call gives what one core of it can answer (per_core).
const CONC = Number(process.argv[4] || 32);
function ceiling(seconds) {
  const child = require('child_process').spawn(process.execPath, [__filename, '0'],
    {stdio: ['ignore', 'pipe', 'inherit']});
  process.on('exit', () => child.kill('SIGTERM'));  // whatever ends this process ends the server
  child.stdout.once('data', (line) => {
    const port = Number(String(line).split(' ')[1]);
    const agent = new http.Agent({keepAlive: true, maxSockets: CONC});
    const body = '{"chat_id":1000,"text":"1"}';
    const end = now() + seconds * 1000;
    let done = 0, live = CONC;
    const one = () => {
      if (now() >= end) {
        if (--live === 0) {
          serverCpu(port, (cpu1) => {
            const cpuPerCall = (cpu1 - cpu0) / done;  // µs of server CPU per sendMessage
            process.stdout.write(JSON.stringify({sendMessage_per_s: Math.round(done / seconds),
              server_cpu_us: Math.round(cpuPerCall), per_core: Math.round(1e6 / cpuPerCall)}) + '\n');
            child.kill('SIGTERM');
            process.exit(0);
          });
        }
        return;
      }
      const r = http.request({port, host: '127.0.0.1', method: 'POST', agent,
        path: '/botX/sendMessage', headers: {'Content-Type': 'application/json',
          'Content-Length': body.length}}, (res) => {
        res.resume();
        res.on('end', () => { done += 1; one(); });
      });
      r.setNoDelay(true);
      r.end(body);
    };
    let cpu0 = 0;
    serverCpu(port, (cpu) => { cpu0 = cpu; for (let i = 0; i < CONC; i++) one(); });
  });
}

function serverCpu(port, then) {
  http.get({port, host: '127.0.0.1', path: '/ctl/stats'}, (res) => {
    let text = '';
    res.on('data', (c) => { text += c; });
    res.on('end', () => then(JSON.parse(text).result.cpu));
  });
}

if (process.argv[2] === '--ceiling') ceiling(Number(process.argv[3] || 2));
else serve(Number(process.argv[2] || 0));
