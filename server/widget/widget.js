/*
 * Switchboard website chat widget. Plain JavaScript, no dependencies.
 *
 *   <script src="https://chat.example.com/widget.js" data-channel-key="KEY" async></script>
 *
 * Optional attributes: data-user-id and data-user-hash (a signed-in user,
 * verified by the channel's identitySecret), data-user-name and
 * data-user-email (claims), data-title (panel title), data-color (accent).
 *
 * Everything renders inside a shadow root; message text is only ever set
 * with textContent. The session (token, expiry, last event cursor) is kept
 * in localStorage under "switchboard:<channel key>". A visitor without a
 * stored session gets one when they first open the chat.
 */
(function () {
  'use strict';
  if (window.Switchboard && window.Switchboard.version) return; // loaded twice

  var script = document.currentScript ||
    document.querySelector('script[data-channel-key][src*="widget.js"]') ||
    document.querySelector('script[data-channel-key]');
  var attrs = script ? script.dataset : {};
  var channelKey = attrs.channelKey;
  if (!script || !channelKey) {
    console.warn('Switchboard: the widget script needs a data-channel-key attribute');
    return;
  }

  // The GraphQL documents: self-contained, no interpolation, each tagged so
  // server/widget_test.go can validate them against the schema.
  var START_SESSION = /* GraphQL */ `
    mutation WidgetStartSession($channelKey: String!, $visitor: VisitorInput) {
      startVisitorSession(channelKey: $channelKey, visitor: $visitor) {
        token
        expiresAt
        conversation {
          id
          messages(last: 50) {
            pageInfo { hasPreviousPage startCursor }
            edges { node { id body attachments createdAt deliveryStatus sender { kind name avatarURL } } }
          }
        }
      }
    }`;
  var RENEW_SESSION = /* GraphQL */ `
    mutation WidgetRenewSession {
      renewVisitorSession { token expiresAt }
    }`;
  var LOAD_MESSAGES = /* GraphQL */ `
    query WidgetMessages($before: Cursor) {
      visitorConversation {
        id
        messages(last: 50, before: $before) {
          pageInfo { hasPreviousPage startCursor }
          edges { node { id body attachments createdAt deliveryStatus sender { kind name avatarURL } } }
        }
      }
    }`;
  var SEND_MESSAGE = /* GraphQL */ `
    mutation WidgetSendMessage($body: String!, $clientMessageID: String) {
      visitorSendMessage(body: $body, clientMessageID: $clientMessageID) {
        id body attachments createdAt deliveryStatus sender { kind name avatarURL }
      }
    }`;
  var MESSAGE_ADDED = /* GraphQL */ `
    subscription WidgetMessageAdded($after: EventCursor) {
      visitorMessageAdded(after: $after) {
        cursor
        message { id body attachments createdAt deliveryStatus sender { kind name avatarURL } }
      }
    }`;

  var base = apiBase(script.src);
  var storageKey = 'switchboard:' + channelKey;
  var userID = attrs.userId || '';
  var title = attrs.title || 'Chat with us';
  var accent = attrs.color && window.CSS && CSS.supports('color', attrs.color) ? attrs.color : '#2563eb';

  var session = null;   // {token, expiresAt, cursor, user}
  var starting = null;  // the promise of a session start in progress
  var failures = 0;     // consecutive session start failures, for backoff
  var byID = new Map(); // message id -> element
  var pending = [];     // visitor messages not yet confirmed: {cid, body, el}
  var unread = 0;
  var earlierCursor = null, historyShown = false;
  var ws = null, wsRetry = 0, wsTimer = 0, renewTimer = 0, noticeTimer = 0;
  var ui = null;

  // ---- storage ----

  var memory = {};
  function loadStored() {
    try {
      var raw = localStorage.getItem(storageKey);
      return raw ? JSON.parse(raw) : null;
    } catch (e) {
      return memory[storageKey] || null;
    }
  }
  function store() {
    try {
      if (session) localStorage.setItem(storageKey, JSON.stringify(session));
      else localStorage.removeItem(storageKey);
    } catch (e) {
      memory[storageKey] = session;
    }
  }

  // ---- transport ----

  function apiBase(src) {
    var u = new URL(src, location.href);
    return u.origin + u.pathname.replace(/\/[^/]*$/, '');
  }

  function failure(code, message) {
    return { errors: [{ message: message, extensions: { code: code } }] };
  }

  // gql posts a document and always resolves to {data} or {errors}; network
  // failures (including a refused CORS request) become the code NETWORK.
  async function gql(query, variables, token) {
    var headers = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    var res;
    try {
      res = await fetch(base + '/graphql', {
        method: 'POST', mode: 'cors', credentials: 'omit', headers: headers,
        body: JSON.stringify({ query: query, variables: variables || {} })
      });
    } catch (e) {
      return failure('NETWORK', 'network error');
    }
    var body = null;
    try { body = await res.json(); } catch (e) { /* not JSON */ }
    if (body && (body.errors && body.errors.length || body.data)) return body;
    if (res.status === 401) return failure('UNAUTHENTICATED', 'unauthenticated');
    if (res.status === 429) return failure('RATE_LIMITED', 'rate limited');
    return failure('HTTP', 'HTTP ' + res.status);
  }

  function errorCode(res) {
    var e = res.errors && res.errors[0];
    return e ? (e.extensions && e.extensions.code) || 'ERROR' : null;
  }

  // ---- session ----

  function visitorInput() {
    var v = {};
    if (userID) v.externalID = userID;
    if (attrs.userHash) v.identityHash = attrs.userHash;
    if (attrs.userName) v.name = attrs.userName;
    if (attrs.userEmail) v.email = attrs.userEmail;
    return Object.keys(v).length ? v : null;
  }

  // begin starts a session unless one is starting; delay is a backoff.
  function begin(delay) {
    if (!starting) {
      starting = new Promise(function (r) { setTimeout(r, delay || 0); }).then(startSession).then(function () {
        failures = 0;
        showError(null);
      }, function (err) {
        failures++;
        showError(err.code === 'RATE_LIMITED' ? 'Too many attempts. Please wait a moment.' : 'Chat is unavailable right now.', true);
        throw err;
      }).finally(function () { starting = null; });
    }
    return starting;
  }

  async function startSession() {
    var stored = loadStored();
    var token = null;
    // A stored session continues only for the same signed-in user, and only
    // while its token is valid.
    if (stored && stored.token && (stored.user || '') === userID && Date.parse(stored.expiresAt) > Date.now()) {
      token = stored.token;
    }
    var vars = { channelKey: channelKey, visitor: visitorInput() };
    var res = await gql(START_SESSION, vars, token);
    if (token && errorCode(res) === 'UNAUTHENTICATED') {
      token = null;
      res = await gql(START_SESSION, vars, null);
    }
    var code = errorCode(res);
    if (code) {
      var err = new Error('start session: ' + res.errors[0].message);
      err.code = code;
      throw err;
    }
    var s = res.data.startVisitorSession;
    if (!token) clearMessages(); // a new visitor: nothing of the old one stays
    session = { token: s.token, expiresAt: s.expiresAt, cursor: token && stored.cursor || null, user: userID };
    store();
    if (s.conversation) showPage(s.conversation.messages, false);
    scheduleRenew();
    connect();
  }

  // restart drops the session and starts a new one without the old token.
  function restart() {
    session = null;
    store();
    disconnect();
    clearTimeout(renewTimer);
    return begin(failures ? Math.min(30000, 1000 * Math.pow(2, failures)) : 0);
  }

  function scheduleRenew() {
    clearTimeout(renewTimer);
    var left = Date.parse(session.expiresAt) - Date.now();
    renewTimer = setTimeout(renew, Math.min(Math.max(left * 0.8, 5000), 0x7fffffff));
  }

  async function renew() {
    if (!session) return;
    var res = await gql(RENEW_SESSION, null, session.token);
    var code = errorCode(res);
    if (code === 'UNAUTHENTICATED') return restart().catch(noop);
    if (code) {
      renewTimer = setTimeout(renew, 30000);
      return;
    }
    session.token = res.data.renewVisitorSession.token;
    session.expiresAt = res.data.renewVisitorSession.expiresAt;
    store();
    scheduleRenew();
    connect(); // the socket authenticated with the old token
  }

  // ---- live messages (graphql-transport-ws) ----

  function disconnect() {
    clearTimeout(wsTimer);
    if (ws) {
      var old = ws;
      ws = null;
      old.onclose = old.onmessage = null;
      try { old.close(1000); } catch (e) { /* already closed */ }
    }
  }

  function connect() {
    disconnect();
    if (!session) return;
    var sock = new WebSocket(base.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
    ws = sock;
    var ackTimer = setTimeout(function () { sock.close(4408, 'no ack'); }, 10000);
    var send = function (m) { sock.send(JSON.stringify(m)); };
    sock.onopen = function () {
      send({ type: 'connection_init', payload: { authorization: 'Bearer ' + session.token } });
    };
    sock.onmessage = function (e) {
      var m;
      try { m = JSON.parse(e.data); } catch (err) { return; }
      switch (m.type) {
        case 'connection_ack':
          clearTimeout(ackTimer);
          wsRetry = 0;
          showNotice(null);
          var vars = session.cursor ? { after: session.cursor } : {};
          send({ id: '1', type: 'subscribe', payload: { query: MESSAGE_ADDED, variables: vars } });
          // Without a cursor nothing is replayed: catch up on what came
          // between the history and the subscription.
          if (!session.cursor) resync();
          break;
        case 'ping':
          send({ type: 'pong' });
          break;
        case 'next':
          if (m.payload.errors && m.payload.errors.length) onSubscriptionError(m.payload.errors);
          else onEvent(m.payload.data.visitorMessageAdded);
          break;
        case 'error':
          onSubscriptionError(m.payload);
          break;
        case 'complete':
          sock.close(1000);
          break;
      }
    };
    sock.onclose = function (e) {
      clearTimeout(ackTimer);
      if (ws !== sock) return;
      ws = null;
      if (e.code === 4403) { restart().catch(noop); return; }
      reconnectLater();
    };
  }

  function reconnectLater() {
    clearTimeout(wsTimer);
    var delay = Math.min(30000, 1000 * Math.pow(2, wsRetry++)) * (0.5 + Math.random() / 2);
    if (wsRetry > 1) showNotice('Reconnecting\u2026');
    wsTimer = setTimeout(connect, delay);
  }

  function onEvent(ev) {
    if (!ev || !session) return;
    session.cursor = ev.cursor;
    store();
    var fresh = !byID.has(ev.message.id);
    upsert(ev.message);
    if (fresh && ev.message.sender.kind !== 'CUSTOMER' && !isOpen()) setUnread(unread + 1);
  }

  function onSubscriptionError(errors) {
    var code = errors && errors[0] && errors[0].extensions && errors[0].extensions.code;
    var sock = ws;
    if (code === 'UNAUTHENTICATED') {
      disconnect();
      restart().catch(noop);
      return;
    }
    if (code === 'CURSOR_EXPIRED' && session) {
      session.cursor = null;
      store();
    }
    if (sock) sock.close(1000); // onclose reconnects with backoff
  }

  window.addEventListener('online', function () {
    if (session && !ws) connect();
  });

  // resync merges the latest page of the conversation into the list.
  async function resync() {
    var res = await gql(LOAD_MESSAGES, { before: null }, session && session.token);
    var conv = !errorCode(res) && res.data.visitorConversation;
    if (conv) showPage(conv.messages, false);
  }

  async function loadEarlier() {
    if (!session || !earlierCursor) return;
    ui.earlier.disabled = true;
    var res = await gql(LOAD_MESSAGES, { before: earlierCursor }, session.token);
    ui.earlier.disabled = false;
    var conv = !errorCode(res) && res.data.visitorConversation;
    if (conv) showPage(conv.messages, true);
  }

  // ---- sending ----

  function randomID() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
  }

  function submit() {
    var body = ui.input.value.trim();
    if (!body) return;
    ui.input.value = '';
    autosize();
    var entry = { cid: randomID(), body: body, el: null };
    entry.el = messageEl({ body: body, attachments: [], sender: { kind: 'CUSTOMER' } });
    pending.push(entry);
    ui.list.appendChild(entry.el);
    scrollDown(true);
    deliver(entry);
  }

  async function deliver(entry) {
    setStatus(entry.el, 'sending', entry);
    try {
      if (!session) await begin();
      var vars = { body: entry.body, clientMessageID: entry.cid };
      var res = await gql(SEND_MESSAGE, vars, session.token);
      if (errorCode(res) === 'UNAUTHENTICATED' && !entry.renewed) {
        entry.renewed = true;
        await restart();
        res = await gql(SEND_MESSAGE, vars, session.token);
      }
      var code = errorCode(res);
      if (code === 'RATE_LIMITED') showNotice('You are sending messages too fast. Please slow down.', 6000);
      if (code) throw new Error(code);
      settle(entry, res.data.visitorSendMessage);
    } catch (e) {
      if (pending.indexOf(entry) >= 0) setStatus(entry.el, 'failed', entry);
    }
  }

  // settle ties a sent entry to the stored message, which the subscription
  // may have delivered first.
  function settle(entry, m) {
    var i = pending.indexOf(entry);
    if (i >= 0) pending.splice(i, 1);
    var adopted = entry.el.dataset.id;
    if (adopted && adopted !== m.id) { upsert(m); return; }
    var existing = byID.get(m.id);
    if (existing && existing !== entry.el) {
      entry.el.remove();
      return;
    }
    claim(entry.el, m);
  }

  // ---- rendering ----

  function upsert(m) {
    var el = byID.get(m.id);
    if (!el && m.sender.kind === 'CUSTOMER') {
      // The visitor's own message, seen live before its mutation returned.
      var entry = pending.find(function (p) { return p.el.dataset.status === 'sending' && p.body === m.body; });
      if (entry) {
        pending.splice(pending.indexOf(entry), 1);
        claim(entry.el, m);
        return;
      }
    }
    if (el) {
      if (m.sender.kind === 'CUSTOMER') setStatus(el, 'sent');
      return;
    }
    el = messageEl(m);
    claim(el, m);
    place(el);
    scrollDown(false);
  }

  function claim(el, m) {
    el.dataset.id = m.id;
    el.dataset.time = String(Date.parse(m.createdAt) || 0);
    el.title = new Date(m.createdAt).toLocaleString();
    byID.set(m.id, el);
    if (m.sender.kind === 'CUSTOMER') setStatus(el, 'sent');
  }

  // place inserts a stored message in time order; unconfirmed messages stay
  // at the end.
  function place(el) {
    var t = Number(el.dataset.time);
    var at = ui.list.lastElementChild;
    while (at && (!at.dataset.id || Number(at.dataset.time) > t)) at = at.previousElementSibling;
    ui.list.insertBefore(el, at ? at.nextElementSibling : ui.list.firstElementChild);
  }

  function showPage(conn, older) {
    var top = ui.scroll.scrollHeight - ui.scroll.scrollTop;
    conn.edges.forEach(function (e) { upsert(e.node); });
    if (older || !historyShown) {
      historyShown = true;
      earlierCursor = conn.pageInfo.hasPreviousPage ? conn.pageInfo.startCursor : null;
      ui.earlier.hidden = !earlierCursor;
    }
    if (older) ui.scroll.scrollTop = ui.scroll.scrollHeight - top;
    else scrollDown(true);
  }

  function clearMessages() {
    byID.forEach(function (el) { el.remove(); });
    byID.clear();
    earlierCursor = null;
    historyShown = false;
    ui.earlier.hidden = true;
    setUnread(0);
  }

  function messageEl(m) {
    var kind = m.sender.kind;
    var el = h('div', { class: 'msg ' + kind.toLowerCase(), 'data-sb': 'message', 'data-sender': kind });
    if (kind !== 'CUSTOMER' && m.sender.name) el.appendChild(h('div', { class: 'name', 'data-sb': 'name' }, m.sender.name));
    el.appendChild(h('div', { class: 'text', 'data-sb': 'body' }, m.body));
    (m.attachments || []).forEach(function (a) {
      var url = a && typeof a.url === 'string' ? a.url : '';
      if (!/^https?:\/\//i.test(url)) return; // never javascript: or data: links
      el.appendChild(h('a', { class: 'file', href: url, target: '_blank', rel: 'noopener noreferrer' }, a.name || 'Attachment'));
    });
    return el;
  }

  var STATUS = { sending: 'Sending\u2026', sent: 'Sent', failed: 'Not sent \u2013 tap to retry' };

  function setStatus(el, state, entry) {
    el.dataset.status = state;
    var old = el.querySelector('.status');
    var status = state === 'failed'
      ? h('button', { type: 'button', class: 'status failed', 'data-sb': 'retry' }, STATUS[state])
      : h('div', { class: 'status', 'data-sb': 'status' }, STATUS[state]);
    if (state === 'failed') status.addEventListener('click', function () { deliver(entry); });
    if (old) old.replaceWith(status); else el.appendChild(status);
  }

  function scrollDown(force) {
    var s = ui.scroll;
    if (force || s.scrollHeight - s.scrollTop - s.clientHeight < 80) s.scrollTop = s.scrollHeight;
  }

  function showNotice(text, ms) {
    clearTimeout(noticeTimer);
    ui.notice.textContent = text || '';
    ui.notice.hidden = !text;
    if (text && ms) noticeTimer = setTimeout(function () { showNotice(null); }, ms);
  }

  function showError(text, retry) {
    ui.errorText.textContent = text || '';
    ui.retry.hidden = !retry;
    ui.error.hidden = !text;
  }

  function setUnread(n) {
    unread = n;
    ui.badge.textContent = n > 9 ? '9+' : String(n);
    ui.badge.hidden = !n;
    ui.bubble.setAttribute('aria-label', n ? 'Open chat (' + n + ' unread)' : 'Open chat');
  }

  function autosize() {
    ui.input.style.height = 'auto';
    ui.input.style.height = Math.min(ui.input.scrollHeight, 120) + 'px';
  }

  function isOpen() { return ui && !ui.panel.hidden; }

  function open() {
    if (!ui) return;
    ui.panel.hidden = false;
    ui.root.classList.add('open');
    ui.bubble.setAttribute('aria-expanded', 'true');
    setUnread(0);
    if (!session) begin().catch(noop);
    scrollDown(true);
    ui.input.focus();
  }

  function close() {
    if (!ui || ui.panel.hidden) return;
    ui.panel.hidden = true;
    ui.root.classList.remove('open');
    ui.bubble.setAttribute('aria-expanded', 'false');
    ui.bubble.focus();
  }

  function noop() {}

  function h(tag, props, text) {
    var el = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) { el.setAttribute(k, props[k]); });
    if (text != null) el.textContent = text;
    return el;
  }

  var CSS_TEXT = [
    ':host{all:initial}',
    '*{box-sizing:border-box}',
    '[hidden]{display:none!important}',
    '.root{font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328}',
    'button{font:inherit}',
    '.bubble{position:fixed;right:calc(20px + env(safe-area-inset-right));bottom:calc(20px + env(safe-area-inset-bottom));',
    'width:56px;height:56px;border-radius:50%;border:0;padding:0;background:var(--sb-accent);color:#fff;cursor:pointer;',
    'box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000;display:flex;align-items:center;justify-content:center}',
    '.bubble svg{width:28px;height:28px;fill:currentColor}',
    '.badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;border-radius:10px;background:#d1242f;color:#fff;font-size:12px;line-height:20px;padding:0 6px}',
    '.panel{position:fixed;right:calc(20px + env(safe-area-inset-right));bottom:calc(88px + env(safe-area-inset-bottom));width:370px;',
    'height:min(560px,calc(100vh - 110px));background:#fff;border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.25);',
    'display:flex;flex-direction:column;overflow:hidden;z-index:2147483001}',
    'header{display:flex;align-items:center;background:var(--sb-accent);color:#fff;padding:8px 8px 8px 16px}',
    'h2{flex:1;margin:0;font-size:16px;font-weight:600}',
    '.close{width:40px;height:40px;border:0;border-radius:8px;background:none;color:inherit;font-size:24px;cursor:pointer}',
    '.scroll{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:12px;background:#f6f7f9}',
    '.earlier{display:block;margin:0 auto 8px;border:0;background:none;color:#59636e;text-decoration:underline;cursor:pointer}',
    '.list{display:flex;flex-direction:column;gap:8px}',
    '.msg{max-width:80%;align-self:flex-start;display:flex;flex-direction:column;align-items:flex-start}',
    '.msg.customer{align-self:flex-end;align-items:flex-end}',
    '.name{font-size:12px;color:#59636e;margin:0 4px 2px}',
    '.text{padding:8px 12px;border-radius:14px;background:#fff;border:1px solid #e3e5e8;white-space:pre-wrap;overflow-wrap:anywhere}',
    '.customer .text{background:var(--sb-accent);color:#fff;border-color:transparent}',
    '.file{font-size:13px;color:inherit;margin:2px 4px}',
    '.status{font-size:11px;color:#59636e;margin:2px 4px 0;padding:0;border:0;background:none}',
    '.status.failed{font-size:12px;color:#d1242f;text-decoration:underline;cursor:pointer}',
    '.notice,.error{padding:8px 12px;font-size:13px;background:#fff8c5;color:#4d2d00}',
    '.error{display:flex;gap:8px;align-items:center;background:#ffebe9;color:#82071e}',
    '.error span{flex:1}',
    '.error button{border:1px solid currentColor;border-radius:6px;background:none;color:inherit;cursor:pointer}',
    'form{display:flex;gap:8px;margin:0;padding:8px;padding-bottom:calc(8px + env(safe-area-inset-bottom));border-top:1px solid #e3e5e8}',
    'textarea{flex:1;resize:none;font:inherit;font-size:16px;line-height:1.35;max-height:120px;padding:8px 10px;border:1px solid #d0d7de;border-radius:10px;color:inherit;background:#fff}',
    '.send{border:0;border-radius:10px;padding:0 14px;background:var(--sb-accent);color:#fff;cursor:pointer}',
    ':focus-visible{outline:2px solid var(--sb-accent);outline-offset:2px}',
    '@media (max-width:480px){',
    '.panel{inset:0;width:auto;height:auto;border-radius:0;padding:env(safe-area-inset-top) env(safe-area-inset-right) 0 env(safe-area-inset-left)}',
    '.root.open .bubble{display:none}}'
  ].join('');

  var ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3C6.5 3 2 6.8 2 11.5c0 2.4 1.2 4.6 3.1 6.1L4 21.5l4.6-2.3c1.1.3 2.2.5 3.4.5 5.5 0 10-3.8 10-8.2S17.5 3 12 3z"/></svg>';

  function build() {
    var host = document.createElement('switchboard-chat');
    host.style.setProperty('--sb-accent', accent);
    var shadow = host.attachShadow({ mode: 'open' });
    var style = document.createElement('style');
    style.textContent = CSS_TEXT;
    var root = h('div', { class: 'root', 'data-sb': 'root' });

    var bubble = h('button', { type: 'button', class: 'bubble', 'data-sb': 'bubble', 'aria-label': 'Open chat', 'aria-expanded': 'false', 'aria-haspopup': 'dialog' });
    bubble.innerHTML = ICON; // a constant, never message data
    var badge = h('span', { class: 'badge', 'data-sb': 'unread', 'aria-hidden': 'true', hidden: '' });
    bubble.appendChild(badge);

    var panel = h('div', { class: 'panel', 'data-sb': 'panel', role: 'dialog', 'aria-label': title, hidden: '' });
    var header = h('header');
    var heading = h('h2', { 'data-sb': 'title' }, title);
    var closeBtn = h('button', { type: 'button', class: 'close', 'data-sb': 'close', 'aria-label': 'Close chat' }, '\u00d7');
    header.append(heading, closeBtn);

    var error = h('div', { class: 'error', 'data-sb': 'error', role: 'alert', hidden: '' });
    var errorText = h('span');
    var retry = h('button', { type: 'button', 'data-sb': 'error-retry' }, 'Try again');
    error.append(errorText, retry);
    var notice = h('div', { class: 'notice', 'data-sb': 'notice', role: 'status', hidden: '' });

    var scroll = h('div', { class: 'scroll' });
    var earlier = h('button', { type: 'button', class: 'earlier', 'data-sb': 'earlier', hidden: '' }, 'Show earlier messages');
    var list = h('div', { class: 'list', 'data-sb': 'messages', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages' });
    scroll.append(earlier, list);

    var form = h('form', { 'data-sb': 'form' });
    var input = h('textarea', { rows: '1', 'data-sb': 'input', 'aria-label': 'Message', placeholder: 'Write a message\u2026', maxlength: '65536' });
    var send = h('button', { type: 'submit', class: 'send', 'data-sb': 'send' }, 'Send');
    form.append(input, send);

    panel.append(header, error, notice, scroll, form);
    root.append(bubble, panel);
    shadow.append(style, root);
    document.body.appendChild(host);

    ui = { root: root, bubble: bubble, badge: badge, panel: panel, error: error, errorText: errorText, retry: retry,
      notice: notice, scroll: scroll, earlier: earlier, list: list, input: input };

    bubble.addEventListener('click', function () { if (isOpen()) close(); else open(); });
    closeBtn.addEventListener('click', close);
    panel.addEventListener('keydown', function (e) { if (e.key === 'Escape') close(); });
    retry.addEventListener('click', function () { begin().catch(noop); });
    earlier.addEventListener('click', loadEarlier);
    form.addEventListener('submit', function (e) { e.preventDefault(); submit(); });
    input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
    });
    input.addEventListener('input', autosize);
  }

  function init() {
    build();
    var stored = loadStored();
    // A returning visitor reconnects right away, so replies show (and count
    // as unread) without opening the chat.
    if (stored && stored.token && (stored.user || '') === userID) begin().catch(noop);
  }

  window.Switchboard = { version: 1, open: open, close: close };
  if (document.body) init();
  else document.addEventListener('DOMContentLoaded', init);
})();
