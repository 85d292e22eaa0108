/*
 * Switchboard website chat widget: plain JavaScript, no dependencies.
 *   <script src="https://chat.example.com/widget.js" data-channel-key="KEY" async></script>
 * Optional: data-user-id + data-user-hash (a signed-in user, verified with the
 * channel's identitySecret), data-user-name, data-user-email (claims),
 * data-title, data-color. It renders in a shadow root and sets message text
 * with textContent only, and links only to http(s) URLs. The paperclip
 * uploads files at once (GraphQL multipart requests) to send with the next
 * message. The session (token, expiry, last event cursor) is
 * kept in localStorage under "switchboard:<key>"; a new visitor gets one when
 * they first open the chat. window.Switchboard.open() / .close().
 */
(() => {
  'use strict';
  if (window.Switchboard && window.Switchboard.version) return; // loaded twice

  const script = document.currentScript ||
    document.querySelector('script[data-channel-key][src*="widget.js"]') ||
    document.querySelector('script[data-channel-key]');
  const attrs = script ? script.dataset : {};
  const channelKey = attrs.channelKey;
  if (!channelKey) {
    console.warn('Switchboard: the widget script needs a data-channel-key attribute');
    return;
  }

  // GraphQL documents: self-contained and tagged, so server/widget_test.go
  // validates them against the schema.
  const START_SESSION = /* GraphQL */ `
    mutation WidgetStartSession($channelKey: String!, $visitor: VisitorInput) {
      startVisitorSession(channelKey: $channelKey, visitor: $visitor) {
        token expiresAt
        conversation { id messages(last: 50) {
          edges { node { id body attachments { id name contentType size status url thumbnailURL width height } createdAt sender { kind name } } }
        } }
      }
    }`;
  const RENEW_SESSION = /* GraphQL */ `
    mutation WidgetRenewSession { renewVisitorSession { token expiresAt } }`;
  const LOAD_MESSAGES = /* GraphQL */ `
    query WidgetMessages {
      visitorConversation { id messages(last: 50) {
        edges { node { id body attachments { id name contentType size status url thumbnailURL width height } createdAt sender { kind name } } }
      } }
    }`;
  const SEND_MESSAGE = /* GraphQL */ `
    mutation WidgetSendMessage($body: String!, $clientMessageID: String, $attachmentIDs: [ID!]) {
      visitorSendMessage(body: $body, clientMessageID: $clientMessageID, attachmentIDs: $attachmentIDs) {
        id body attachments { id name contentType size status url thumbnailURL width height } createdAt sender { kind name }
      }
    }`;
  // Sent as a multipart request, the file in the part named "0".
  const UPLOAD = /* GraphQL */ `
    mutation WidgetUpload($file: Upload!) {
      visitorUploadAttachment(file: $file) { id name contentType size status }
    }`;
  const MESSAGE_ADDED = /* GraphQL */ `
    subscription WidgetMessageAdded($after: EventCursor) {
      visitorMessageAdded(after: $after) {
        cursor
        message { id body attachments { id name contentType size status url thumbnailURL width height } createdAt sender { kind name } }
      }
    }`;

  const src = new URL(script.src, location.href);
  const base = src.origin + src.pathname.replace(/\/[^/]*$/, '');
  const storageKey = 'switchboard:' + channelKey;
  const userID = attrs.userId || '';
  const title = attrs.title || 'Chat with us';
  const accent = attrs.color && window.CSS && CSS.supports('color', attrs.color) ? attrs.color : '#2563eb';
  const noop = () => {};
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  let session = null;      // {token, expiresAt, cursor, user}
  let starting = null;     // the promise of a session start in progress
  let failures = 0;        // consecutive failed starts, for backoff
  const byID = new Map();  // message id -> element
  const pending = [];      // the visitor's unconfirmed messages: {cid, body, ids, el}
  const drafts = [];       // files for the next message: {file, id, el, abort, done}
  let waiting = false;     // a send waits for uploads to finish
  let unread = 0;
  let ws = null, wsRetry = 0, wsTimer = 0, renewTimer = 0, noticeTimer = 0;
  let ui = null;

  // ---- storage (memory when localStorage is unavailable) ----

  let memory = null;
  function loadStored() {
    try { return JSON.parse(localStorage.getItem(storageKey)); } catch (e) { return memory; }
  }
  function store() {
    memory = session;
    try {
      if (session) localStorage.setItem(storageKey, JSON.stringify(session));
      else localStorage.removeItem(storageKey);
    } catch (e) { /* private mode */ }
  }
  // A stored session continues when it is anonymous (a sign-in keeps the
  // chat) or the same signed-in user's, never another user's.
  const usable = (s) => s && s.token && (!s.user || s.user === userID);

  // ---- HTTP ----

  const failure = (code) => ({ errors: [{ message: code, extensions: { code: code } }] });
  const MAX_FILE_BYTES = 25 << 20; // the server's default limit, checked there too
  const MAX_FILES = 10;             // per message
  const errorCode = (res) => res.errors && res.errors.length ? (res.errors[0].extensions || {}).code || 'ERROR' : null;

  // gql resolves to {data} or {errors}, never throws; a network failure
  // (such as a CORS refusal) has the code NETWORK.
  function gql(query, variables, token) {
    return post(JSON.stringify({ query, variables: variables || {} }), 'application/json', token);
  }

  // upload sends a file as a GraphQL multipart request
  // (github.com/jaydenseric/graphql-multipart-request-spec); the browser
  // sets the multipart Content-Type with its boundary.
  function upload(file, token, signal) {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: UPLOAD, variables: { file: null } }));
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', file, file.name);
    return post(form, null, token, signal);
  }

  async function post(payload, contentType, token, signal) {
    const headers = {};
    if (contentType) headers['Content-Type'] = contentType;
    if (token) headers.Authorization = 'Bearer ' + token;
    let res, body = null;
    try {
      res = await fetch(base + '/graphql', { method: 'POST', mode: 'cors', credentials: 'omit', headers, body: payload, signal });
    } catch (e) {
      return failure(e && e.name === 'AbortError' ? 'ABORTED' : 'NETWORK');
    }
    try { body = await res.json(); } catch (e) { /* not JSON */ }
    if (body && (body.data || (body.errors && body.errors.length))) return body;
    return failure(res.status === 401 ? 'UNAUTHENTICATED' : res.status === 429 ? 'RATE_LIMITED' : 'HTTP_' + res.status);
  }

  // ---- session ----

  function visitorInput() {
    const v = {};
    if (userID) v.externalID = userID;
    if (attrs.userHash) v.identityHash = attrs.userHash;
    if (attrs.userName) v.name = attrs.userName;
    if (attrs.userEmail) v.email = attrs.userEmail;
    return Object.keys(v).length ? v : null;
  }

  // begin starts a session unless one is starting, after delay ms.
  function begin(delay) {
    starting = starting || sleep(delay || 0).then(startSession).then(() => {
      failures = 0;
      showError(null);
    }, (err) => {
      failures++;
      showError(err.code === 'RATE_LIMITED' ? 'Too many attempts. Please wait a moment.' : 'Chat is unavailable right now.', err.code);
      throw err;
    }).finally(() => { starting = null; });
    return starting;
  }

  async function startSession() {
    const stored = loadStored();
    let token = usable(stored) && Date.parse(stored.expiresAt) > Date.now() ? stored.token : null;
    const vars = { channelKey, visitor: visitorInput() };
    let res = await gql(START_SESSION, vars, token);
    if (token && errorCode(res) === 'UNAUTHENTICATED') {
      token = null;
      res = await gql(START_SESSION, vars, null);
    }
    const code = errorCode(res);
    if (code) throw Object.assign(new Error('start session: ' + res.errors[0].message), { code });
    const s = res.data.startVisitorSession;
    if (!token) clearMessages(); // a new visitor sees nothing of an old one
    session = { token: s.token, expiresAt: s.expiresAt, cursor: (token && stored.cursor) || null, user: userID };
    store();
    if (s.conversation) showPage(s.conversation.messages);
    scheduleRenew();
    connect();
  }

  // restart drops the session (the token was refused) and starts a new one.
  function restart() {
    session = null;
    store();
    disconnect();
    clearTimeout(renewTimer);
    return begin(failures && Math.min(30000, 1000 * 2 ** failures));
  }

  function scheduleRenew() {
    clearTimeout(renewTimer);
    const left = Date.parse(session.expiresAt) - Date.now();
    renewTimer = setTimeout(renew, Math.min(Math.max(left * 0.8, 5000), 0x7fffffff));
  }

  async function renew() {
    if (!session) return;
    const res = await gql(RENEW_SESSION, null, session.token);
    const code = errorCode(res);
    if (code === 'UNAUTHENTICATED') return restart().catch(noop);
    if (code) { renewTimer = setTimeout(renew, 30000); return; }
    Object.assign(session, res.data.renewVisitorSession);
    store();
    scheduleRenew();
    connect(); // the socket was authenticated with the old token
  }

  // ---- live messages (graphql-transport-ws) ----

  function disconnect() {
    clearTimeout(wsTimer);
    if (!ws) return;
    const old = ws;
    ws = null;
    old.onopen = old.onclose = old.onmessage = null;
    old.close(1000);
  }

  function connect() {
    disconnect();
    if (!session) return;
    const sock = new WebSocket(base.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
    const send = (m) => sock.send(JSON.stringify(m));
    const ackTimer = setTimeout(() => sock.close(4408, 'no ack'), 10000);
    ws = sock;
    sock.onopen = () => send({ type: 'connection_init', payload: { authorization: 'Bearer ' + session.token } });
    sock.onmessage = (e) => {
      let m;
      try { m = JSON.parse(e.data); } catch (err) { return; }
      if (m.type === 'connection_ack') {
        clearTimeout(ackTimer);
        wsRetry = 0;
        showNotice(null);
        const variables = session.cursor ? { after: session.cursor } : {};
        send({ id: '1', type: 'subscribe', payload: { query: MESSAGE_ADDED, variables } });
        // Without a cursor nothing is replayed: fetch what came between
        // the history and the subscription.
        if (!session.cursor) resync();
      } else if (m.type === 'ping') {
        send({ type: 'pong' });
      } else if (m.type === 'next') {
        if (m.payload.errors && m.payload.errors.length) onSubscriptionError(m.payload.errors);
        else onEvent(m.payload.data.visitorMessageAdded);
      } else if (m.type === 'error') {
        onSubscriptionError(m.payload);
      } else if (m.type === 'complete') {
        sock.close(1000);
      }
    };
    sock.onclose = (e) => {
      clearTimeout(ackTimer);
      if (ws !== sock) return;
      ws = null;
      if (e.code === 4403) restart().catch(noop); // token refused
      else reconnectLater();
    };
  }

  function reconnectLater() {
    clearTimeout(wsTimer);
    const delay = Math.min(30000, 1000 * 2 ** wsRetry++) * (0.5 + Math.random() / 2);
    if (wsRetry > 1) showNotice('Reconnecting\u2026');
    wsTimer = setTimeout(connect, delay);
  }

  function onEvent(ev) {
    if (!ev || !session) return;
    session.cursor = ev.cursor;
    store();
    const fresh = !byID.has(ev.message.id);
    upsert(ev.message);
    if (fresh && ev.message.sender.kind !== 'CUSTOMER' && !isOpen()) setUnread(unread + 1);
  }

  function onSubscriptionError(errors) {
    const code = errors && errors[0] && errors[0].extensions && errors[0].extensions.code;
    if (code === 'UNAUTHENTICATED') return restart().catch(noop);
    if (code === 'CURSOR_EXPIRED' && session) {
      session.cursor = null; // reconnect without it, and resync
      store();
    }
    if (ws) ws.close(1000); // onclose reconnects with backoff
  }

  window.addEventListener('online', () => { if (session && !ws) connect(); });

  // resync merges the latest messages into the list.
  async function resync() {
    const res = await gql(LOAD_MESSAGES, null, session && session.token);
    const conv = !errorCode(res) && res.data.visitorConversation;
    if (conv) showPage(conv.messages);
  }

  // ---- sending ----

  function randomID() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (x) => (x + 256).toString(16).slice(1)).join('');
  }

  // submit sends what the composer holds: its text and the files it has
  // uploaded, once those still uploading are done. They move to the
  // message, which keeps them for a retry.
  async function submit() {
    if (waiting) return;
    if (drafts.some((d) => !d.id)) {
      setWaiting(true);
      await Promise.all(drafts.map((d) => d.done));
      setWaiting(false);
    }
    const files = drafts.filter((d) => d.id);
    const body = ui.input.value.trim();
    if (!body && !files.length) return;
    ui.input.value = '';
    autosize();
    files.forEach(dropDraft);
    showComposerError(null);
    const attachments = files.map((d) => ({ id: d.id, name: d.file.name, size: d.file.size }));
    const el = messageEl({ body, attachments, sender: { kind: 'CUSTOMER' } });
    const entry = { cid: randomID(), body, ids: files.map((d) => d.id), el };
    pending.push(entry);
    ui.list.appendChild(entry.el);
    scrollDown(true);
    deliver(entry);
  }

  function setWaiting(on) {
    waiting = on;
    ui.send.disabled = on;
    ui.send.textContent = on ? 'Uploading\u2026' : 'Send';
  }

  // deliver sends (or resends, with the same clientMessageID) a message.
  async function deliver(entry) {
    setStatus(entry, 'sending');
    try {
      if (!session) await begin();
      const vars = { body: entry.body, clientMessageID: entry.cid };
      if (entry.ids.length) vars.attachmentIDs = entry.ids;
      let res = await gql(SEND_MESSAGE, vars, session.token);
      if (errorCode(res) === 'UNAUTHENTICATED' && !entry.restarted) {
        entry.restarted = true;
        await restart();
        res = await gql(SEND_MESSAGE, vars, session.token);
      }
      const code = errorCode(res);
      if (code === 'RATE_LIMITED') showNotice('You are sending messages too fast. Please slow down.', 6000);
      if (code) throw new Error(code);
      settle(entry, res.data.visitorSendMessage);
    } catch (e) {
      if (pending.includes(entry)) setStatus(entry, 'failed');
    }
  }

  // ---- attaching files ----

  // attach uploads chosen, pasted or dropped files at once, each shown as a
  // chip in the composer until it is sent or removed.
  function attach(files) {
    showComposerError(null);
    for (const file of files) {
      if (drafts.length >= MAX_FILES) {
        showComposerError('You can attach up to ' + MAX_FILES + ' files to a message.');
        break;
      }
      if (file.size > MAX_FILE_BYTES) {
        showComposerError(file.name + ' is too large to send: files may be at most 25 MB.');
        continue;
      }
      const d = { file, id: null, abort: new AbortController() };
      d.el = chipEl(d);
      drafts.push(d);
      ui.chips.append(d.el);
      ui.chips.hidden = false;
      d.done = uploadDraft(d);
    }
  }

  // uploadDraft resolves when the upload is done: d.id is set, or the chip
  // is gone (removed, or failed with a visible error).
  async function uploadDraft(d) {
    let res;
    try {
      if (!session) await begin();
      res = await upload(d.file, session.token, d.abort.signal);
      if (errorCode(res) === 'UNAUTHENTICATED') {
        await restart();
        res = await upload(d.file, session.token, d.abort.signal);
      }
    } catch (e) {
      res = failure('UNAVAILABLE');
    }
    if (!drafts.includes(d)) return; // removed meanwhile
    const code = errorCode(res);
    if (code) {
      dropDraft(d);
      showComposerError(uploadError(d.file, code, res.errors[0].message));
      return;
    }
    d.id = res.data.visitorUploadAttachment.id;
    d.el.dataset.state = 'ready';
    d.el.querySelector('.chip-state').textContent = humanSize(d.file.size);
  }

  function uploadError(file, code, message) {
    const prefix = 'Could not attach ' + file.name + ': ';
    if (code === 'HTTP_413') return prefix + 'files may be at most 25 MB.';
    if (code === 'NETWORK') return prefix + 'check your connection and try again.';
    if (code === 'UNAVAILABLE' || /^HTTP_/.test(code)) return prefix + 'chat is unavailable right now.';
    if (code === 'RATE_LIMITED' && message === code) return prefix + 'too many files. Please wait a moment.';
    return prefix + message;
  }

  function dropDraft(d) {
    const i = drafts.indexOf(d);
    if (i >= 0) drafts.splice(i, 1);
    if (!d.id) d.abort.abort();
    d.el.remove();
    ui.chips.hidden = !drafts.length;
  }

  function chipEl(d) {
    const el = part('div', 'chip', null, { 'data-state': 'uploading' });
    const remove = h('button', { type: 'button', class: 'chip-remove', 'data-sb': 'chip-remove', 'aria-label': 'Remove ' + d.file.name }, '\u2715');
    remove.onclick = () => { dropDraft(d); ui.input.focus(); };
    el.append(part('span', 'chip-name', d.file.name, { title: d.file.name }), part('span', 'chip-state', 'Uploading\u2026'), remove);
    return el;
  }

  function showComposerError(text) {
    ui.composerError.textContent = text || '';
    ui.composerError.hidden = !text;
  }

  // settle ties a sent message to the stored one, which the subscription
  // may have delivered first.
  function settle(entry, m) {
    if (pending.includes(entry)) pending.splice(pending.indexOf(entry), 1);
    const adopted = entry.el.dataset.id;
    const existing = byID.get(m.id);
    if (adopted && adopted !== m.id) upsert(m);
    else if (existing && existing !== entry.el) entry.el.remove();
    else claim(entry.el, m);
  }

  // ---- rendering ----

  function upsert(m) {
    let el = byID.get(m.id);
    if (el) {
      showFiles(el, m.attachments);
      if (m.sender.kind === 'CUSTOMER') setStatus({ el }, 'sent');
      return;
    }
    if (m.sender.kind === 'CUSTOMER') {
      // The visitor's own message, seen live before its mutation returned.
      const ids = (m.attachments || []).map((a) => a.id).join();
      const entry = pending.find((p) => p.el.dataset.status === 'sending' && p.body === m.body && p.ids.join() === ids);
      if (entry) {
        pending.splice(pending.indexOf(entry), 1);
        claim(entry.el, m);
        return;
      }
    }
    el = messageEl(m);
    claim(el, m);
    // In time order; unconfirmed messages stay at the end.
    const t = Number(el.dataset.time);
    let at = ui.list.lastElementChild;
    while (at && (!at.dataset.id || Number(at.dataset.time) > t)) at = at.previousElementSibling;
    ui.list.insertBefore(el, at ? at.nextElementSibling : ui.list.firstElementChild);
    scrollDown(false);
  }

  function claim(el, m) {
    el.dataset.id = m.id;
    el.dataset.time = String(Date.parse(m.createdAt) || 0);
    el.title = new Date(m.createdAt).toLocaleString();
    byID.set(m.id, el);
    showFiles(el, m.attachments); // a sent message's files get their links
    if (m.sender.kind === 'CUSTOMER') setStatus({ el }, 'sent');
  }

  function showPage(conn) {
    conn.edges.forEach((e) => upsert(e.node));
    scrollDown(true);
  }

  function clearMessages() {
    byID.forEach((el) => el.remove());
    byID.clear();
    setUnread(0);
  }

  function messageEl(m) {
    const kind = m.sender.kind;
    const el = h('div', { class: 'msg ' + kind.toLowerCase(), 'data-sb': 'message', 'data-sender': kind });
    if (kind !== 'CUSTOMER' && m.sender.name) el.append(part('div', 'name', m.sender.name));
    const body = part('div', 'body', m.body);
    body.hidden = !m.body; // a message of files only
    el.append(body);
    showFiles(el, m.attachments);
    return el;
  }

  // showFiles renders a message's attachments, again only when their state
  // changed (links are signed anew on every fetch).
  function showFiles(el, list) {
    list = (list || []).filter(Boolean);
    const key = list.map((a) => [a.id, a.status, a.deletedAt ? 'd' : '', a.url ? 'u' : '', a.thumbnailURL ? 't' : ''].join(':')).join();
    if (el.dataset.files === key) return;
    el.dataset.files = key;
    const old = el.querySelector('.files');
    const box = list.length ? part('div', 'files') : null;
    list.forEach((a) => box.append(fileEl(a)));
    if (old && box) old.replaceWith(box);
    else if (old) old.remove();
    else if (box) el.querySelector('.body').after(box);
  }

  // httpURL passes http(s) links only: never javascript: or data:.
  const httpURL = (u) => (typeof u === 'string' && /^https?:\/\//i.test(u) ? u : '');

  function fileEl(a) {
    const name = a.name || 'Attachment';
    const note = (text) => part('div', 'file-note', text);
    if (a.deletedAt) return note('File deleted');
    if (a.status === 'PENDING') return note(name + ' (loading\u2026)');
    if (a.status === 'FAILED') return note(name + ' (could not be loaded)');
    const url = httpURL(a.url);
    if (!url) return note(name); // being sent
    const link = h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' });
    if (/^image\//i.test(a.contentType || '')) {
      link.className = 'image';
      link.setAttribute('aria-label', 'Open ' + name);
      const img = h('img', { 'data-sb': 'attachment-image', src: httpURL(a.thumbnailURL) || url, alt: name });
      if (a.width > 0 && a.height > 0) { // keeps its place while loading
        img.width = a.width;
        img.height = a.height;
      }
      link.append(img);
      return link;
    }
    link.className = 'file';
    link.dataset.sb = 'attachment-link';
    link.append(part('span', 'file-name', name), part('span', 'file-size', humanSize(a.size)));
    return link;
  }

  function humanSize(n) {
    if (!(n >= 0)) return '';
    if (n < 1024) return n + ' B';
    let i = -1;
    do { n /= 1024; i++; } while (n >= 1024 && i < 2);
    return (n < 10 ? n.toFixed(1) : Math.round(n)) + ' ' + ['KB', 'MB', 'GB'][i];
  }

  const STATUS = { sending: 'Sending\u2026', sent: 'Sent', failed: 'Not sent \u2013 tap to retry' };

  // setStatus shows the delivery state under one of the visitor's messages.
  function setStatus(entry, state) {
    const el = entry.el;
    const status = state === 'failed'
      ? h('button', { type: 'button', class: 'status failed', 'data-sb': 'retry' }, STATUS[state])
      : part('div', 'status', STATUS[state]);
    if (state === 'failed') status.onclick = () => deliver(entry);
    el.dataset.status = state;
    const old = el.querySelector('.status');
    if (old) old.replaceWith(status); else el.append(status);
  }

  function scrollDown(force) {
    const s = ui.scroll;
    if (force || s.scrollHeight - s.scrollTop - s.clientHeight < 80) s.scrollTop = s.scrollHeight;
  }

  function showNotice(text, ms) {
    clearTimeout(noticeTimer);
    ui.notice.textContent = text || '';
    ui.notice.hidden = !text;
    if (text && ms) noticeTimer = setTimeout(() => showNotice(null), ms);
  }

  function showError(text, code) {
    ui.errorText.textContent = text || '';
    ui.error.dataset.code = code || '';
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

  const isOpen = () => ui && !ui.panel.hidden;

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
    if (!isOpen()) return;
    ui.panel.hidden = true;
    ui.root.classList.remove('open');
    ui.bubble.setAttribute('aria-expanded', 'false');
    ui.bubble.focus();
  }

  function h(tag, props, text) {
    const el = document.createElement(tag);
    for (const k in props) el.setAttribute(k, props[k]);
    if (text != null) el.textContent = text;
    return el;
  }
  // part makes an element with the class and data-sb attribute name.
  const part = (tag, name, text, props) => h(tag, Object.assign({ class: name, 'data-sb': name }, props), text);

  const STYLE = `
:host{all:initial}
*{box-sizing:border-box}
[hidden]{display:none!important}
.root{font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328}
button{font:inherit;cursor:pointer}
.bubble{position:fixed;z-index:2147483000;right:calc(20px + env(safe-area-inset-right));bottom:calc(20px + env(safe-area-inset-bottom));
  width:56px;height:56px;border-radius:50%;border:0;padding:0;background:var(--sb-accent);color:#fff;
  box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}
.bubble svg{width:28px;height:28px;fill:currentColor}
.unread{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;border-radius:10px;padding:0 6px;background:#d1242f;color:#fff;font-size:12px;line-height:20px}
.panel{position:fixed;z-index:2147483001;right:calc(20px + env(safe-area-inset-right));bottom:calc(88px + env(safe-area-inset-bottom));
  width:370px;height:min(560px,calc(100vh - 110px));display:flex;flex-direction:column;overflow:hidden;
  background:#fff;border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.25)}
header{display:flex;align-items:center;padding:8px 8px 8px 16px;background:var(--sb-accent);color:#fff}
.title{flex:1;margin:0;font-size:16px;font-weight:600}
.close{width:40px;height:40px;border:0;border-radius:8px;background:none;color:inherit;font-size:24px}
.scroll{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:12px;background:#f6f7f9}
.messages{display:flex;flex-direction:column;gap:8px}
.msg{max-width:80%;align-self:flex-start;display:flex;flex-direction:column;align-items:flex-start}
.msg.customer{align-self:flex-end;align-items:flex-end}
.name{margin:0 4px 2px;font-size:12px;color:#59636e}
.body{padding:8px 12px;border-radius:14px;border:1px solid #e3e5e8;background:#fff;white-space:pre-wrap;overflow-wrap:anywhere}
.customer .body{background:var(--sb-accent);color:#fff;border-color:transparent}
.files{display:flex;flex-direction:column;align-items:inherit;gap:4px;margin-top:4px;max-width:100%}
.image{display:block;max-width:100%;border-radius:12px;overflow:hidden;border:1px solid #e3e5e8;background:#eaecef}
.image img{display:block;max-width:240px;max-height:240px;width:auto;height:auto}
.file{display:flex;gap:8px;align-items:baseline;max-width:100%;padding:8px 12px;border-radius:12px;border:1px solid #e3e5e8;
  background:#fff;color:#1f2328;font-size:14px;text-decoration:none}
.file:hover .file-name{text-decoration:underline}
.file-name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;min-width:0}
.file-size{flex:none;font-size:12px;color:#59636e}
.file-note{padding:6px 10px;border-radius:12px;border:1px dashed #d0d7de;font-size:13px;color:#59636e;overflow-wrap:anywhere}
.status{margin:2px 4px 0;padding:0;border:0;background:none;font-size:11px;color:#59636e}
.status.failed{font-size:12px;color:#d1242f;text-decoration:underline}
.notice,.error{padding:8px 12px;font-size:13px;background:#fff8c5;color:#4d2d00}
.error{display:flex;gap:8px;align-items:center;background:#ffebe9;color:#82071e}
.error span{flex:1}
.error button{border:1px solid currentColor;border-radius:6px;background:none;color:inherit}
form{display:flex;flex-direction:column;gap:6px;margin:0;padding:8px 8px calc(8px + env(safe-area-inset-bottom));border-top:1px solid #e3e5e8}
.row{display:flex;gap:6px}
.composer-error{padding:6px 10px;border-radius:8px;font-size:13px;background:#ffebe9;color:#82071e;overflow-wrap:anywhere}
.chips{display:flex;flex-wrap:wrap;gap:6px;max-height:92px;overflow-y:auto}
.chip{display:flex;align-items:center;gap:6px;max-width:100%;padding:0 0 0 10px;border:1px solid #d0d7de;border-radius:15px;background:#f6f7f9;font-size:13px}
.chip-name{max-width:150px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.chip-state{flex:none;font-size:12px;color:#59636e}
.chip-remove{width:28px;height:28px;flex:none;border:0;border-radius:50%;padding:0;background:none;color:#59636e;font-size:13px}
.chip-remove:hover,.attach:hover{background:#eaecef}
.attach{width:40px;flex:none;border:0;border-radius:10px;padding:0;background:none;color:#59636e;display:flex;align-items:center;justify-content:center}
.attach svg{width:22px;height:22px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}
.input{flex:1;resize:none;max-height:120px;padding:8px 10px;border:1px solid #d0d7de;border-radius:10px;
  font:inherit;font-size:16px;line-height:1.35;color:inherit;background:#fff}
.send{padding:0 14px;border:0;border-radius:10px;background:var(--sb-accent);color:#fff}
.send:disabled{opacity:.6;cursor:default}
:focus-visible{outline:2px solid var(--sb-accent);outline-offset:2px}
@media (max-width:480px){
  .panel{inset:0;width:auto;height:auto;border-radius:0;
    padding:env(safe-area-inset-top) env(safe-area-inset-right) 0 env(safe-area-inset-left)}
  .root.open .bubble{display:none}
  .chip-name{max-width:50vw}
  .chip-remove{width:36px;height:36px}
  .attach{width:44px}
}`;

  const PAPERCLIP = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M21.4 11.1l-9.2 9.2a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5"/></svg>';
  const ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3C6.5 3 2 6.8 2 11.5c0 2.4 1.2 4.6 3.1 6.1L4 21.5l4.6-2.3c1.1.3 2.2.5 3.4.5 5.5 0 10-3.8 10-8.2S17.5 3 12 3z"/></svg>';

  function build() {
    const host = document.createElement('switchboard-chat');
    host.style.setProperty('--sb-accent', accent);
    const shadow = host.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLE;

    const bubble = part('button', 'bubble', null, { type: 'button', 'aria-label': 'Open chat', 'aria-expanded': 'false', 'aria-haspopup': 'dialog' });
    bubble.innerHTML = ICON; // a constant, never message data
    const badge = part('span', 'unread', null, { 'aria-hidden': 'true', hidden: '' });
    bubble.append(badge);

    const closeBtn = part('button', 'close', '\u00d7', { type: 'button', 'aria-label': 'Close chat' });
    const header = h('header');
    header.append(part('h2', 'title', title), closeBtn);
    const errorText = h('span');
    const retry = h('button', { type: 'button', 'data-sb': 'error-retry' }, 'Try again');
    const error = part('div', 'error', null, { role: 'alert', hidden: '' });
    error.append(errorText, retry);
    const notice = part('div', 'notice', null, { role: 'status', hidden: '' });
    const list = part('div', 'messages', null, { role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages' });
    const scroll = h('div', { class: 'scroll' });
    scroll.append(list);
    const input = part('textarea', 'input', null, { rows: '1', 'aria-label': 'Message', placeholder: 'Write a message\u2026' });
    const send = part('button', 'send', 'Send', { type: 'submit' });
    const attachBtn = part('button', 'attach', null, { type: 'button', 'aria-label': 'Attach a file', title: 'Attach a file' });
    attachBtn.innerHTML = PAPERCLIP; // a constant
    const fileInput = part('input', 'file-input', null, { type: 'file', multiple: '', hidden: '', tabindex: '-1' });
    const composerError = part('div', 'composer-error', null, { role: 'alert', hidden: '' });
    const chips = part('div', 'chips', null, { 'aria-label': 'Attached files', hidden: '' });
    const row = h('div', { class: 'row' });
    row.append(attachBtn, input, send, fileInput);
    const form = h('form');
    form.append(composerError, chips, row);
    const panel = part('div', 'panel', null, { role: 'dialog', 'aria-label': title, hidden: '' });
    panel.append(header, error, notice, scroll, form);

    const root = part('div', 'root');
    root.append(bubble, panel);
    shadow.append(style, root);
    document.body.append(host);
    ui = { root, bubble, badge, panel, error, errorText, notice, scroll, list, input, send, fileInput, chips, composerError };

    bubble.onclick = () => (isOpen() ? close() : open());
    closeBtn.onclick = close;
    panel.onkeydown = (e) => { if (e.key === 'Escape') close(); };
    retry.onclick = () => begin().catch(noop);
    form.onsubmit = (e) => { e.preventDefault(); submit(); };
    input.onkeydown = (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
    };
    input.oninput = autosize;
    attachBtn.onclick = () => fileInput.click();
    fileInput.onchange = () => {
      attach(Array.from(fileInput.files || []));
      fileInput.value = ''; // the same file may be chosen again
    };
    input.onpaste = (e) => {
      const files = Array.from((e.clipboardData && e.clipboardData.files) || []);
      if (files.length) { e.preventDefault(); attach(files); }
    };
    panel.ondragover = (e) => { if (e.dataTransfer && Array.from(e.dataTransfer.types).includes('Files')) e.preventDefault(); };
    panel.ondrop = (e) => {
      const files = Array.from((e.dataTransfer && e.dataTransfer.files) || []);
      if (files.length) { e.preventDefault(); attach(files); }
    };
  }

  function init() {
    build();
    // A returning visitor reconnects at once, so replies show (and count as
    // unread) without opening the chat.
    if (usable(loadStored())) begin().catch(noop);
  }

  window.Switchboard = { version: 1, open, close };
  if (document.body) init();
  else document.addEventListener('DOMContentLoaded', init);
})();
