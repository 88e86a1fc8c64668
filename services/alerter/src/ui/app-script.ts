import { DURATION_PATTERN, parseDuration } from '@kiln/duration';

/**
 * The web UI's script, served as it is written here (no bundler, no framework). It polls the API v2 routes and Kiln's
 * history route, renders the lists, and posts and expires silences with the browser's credentials.
 *
 * The silence form's duration parser is @kiln/config's, its source (and its pattern's) spliced in.
 *
 * Kept in a string rather than a .js file so that `tsc` alone puts it in dist; it must hold no backtick and no
 * dollar-brace, which would end or interpolate this template. The browser test (test/ui.test.ts) fails on any error
 * the page reports.
 */
export const APP_SCRIPT =
  String.raw`
'use strict';
// The Kiln alerter's web UI. Everything that comes from an alert or a silence (labels, annotations, comments) is put on
// the page through the DOM as text: textContent, text nodes and attribute values, never markup. Labels and annotations
// are whatever a detector or an API client sent.
(() => {
  const REFRESH_MS = 10000;
  const API = { groups: 'api/v2/alerts/groups', silences: 'api/v2/silences', silence: 'api/v2/silence/', history: 'api/kiln/v1/history' };
  const OPERATORS = ['=', '!=', '=~', '!~'];
  const byId = (id) => document.getElementById(id);
  const form = byId('silence-form');
  // Open "details" survive the refresh that rebuilds the lists.
  const openDetails = new Set();

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'text') node.textContent = String(value);
      else if (key === 'class') node.className = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else if (key === 'value' || key === 'checked') node[key] = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat(2)) if (child !== undefined && child !== null && child !== false) node.append(child);
    return node;
  }

  // A duration as people read it on a pager: 45s, 12m, 3h 4m, 2d 5h.
  function span(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + 's';
    const m = Math.floor(s / 60);
    if (m < 60) return m + 'm';
    const h = Math.floor(m / 60);
    if (h < 48) return h + 'h' + (m % 60 ? ' ' + (m % 60) + 'm' : '');
    const d = Math.floor(h / 24);
    return d + 'd' + (h % 24 ? ' ' + (h % 24) + 'h' : '');
  }

  function clock(ms, seconds) {
    const d = new Date(ms);
    const time = d.toLocaleTimeString([], seconds ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' });
    return d.toDateString() === new Date().toDateString() ? time : d.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ' ' + time;
  }

  const when = (ms, text) => el('time', { datetime: new Date(ms).toISOString(), title: new Date(ms).toString(), text });
  const chip = (text) => el('span', { class: 'chip', text });
  const labelChip = (name, value) => chip(name + '=' + JSON.stringify(value));
  const badge = (state) => el('span', { class: 'state ' + state, text: state });
  const alertnameFirst = (a, b) => (a === 'alertname' ? -1 : b === 'alertname' ? 1 : a < b ? -1 : a > b ? 1 : 0);

  function details(key, title, body) {
    const node = el('details', { open: openDetails.has(key) ? '' : undefined }, el('summary', { text: title }), body);
    node.addEventListener('toggle', () => (node.open ? openDetails.add(key) : openDetails.delete(key)));
    return node;
  }

  // Only http(s) links: a generatorURL is as untrusted as the rest of the alert.
  function sourceLink(url) {
    try {
      const parsed = new URL(url, document.baseURI);
      if (url && (parsed.protocol === 'http:' || parsed.protocol === 'https:')) return [' · ', el('a', { href: parsed.href, rel: 'noopener noreferrer', target: '_blank', text: 'source' })];
    } catch (err) {
      // not a URL: shown nowhere
    }
    return [];
  }

  async function call(method, path, body) {
    const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    const text = await res.text();
    let data = text;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch (err) {
      // the health endpoints and proxies answer plain text
    }
    if (!res.ok) {
      const error = new Error(typeof data === 'string' && data ? data : res.status + ' ' + res.statusText);
      error.status = res.status;
      throw error;
    }
    return data;
  }

  // A refused write: basic auth is set and the browser has no credentials for the alerter yet.
  function problem(err) {
    if (err.status !== 401) return [err.message];
    return ['This needs the alerter\u2019s credentials. ', el('a', { href: 'ui/sign-in', text: 'Sign in' }), ', then try again.'];
  }

  function banner(parts) {
    const box = byId('error');
    box.replaceChildren(...parts);
    box.hidden = parts.length === 0;
  }

  function alertStates(a) {
    const states = [];
    if (a.status.silencedBy.length > 0) states.push('silenced');
    if (a.status.inhibitedBy.length > 0) states.push('inhibited');
    return states.length > 0 ? states : ['active'];
  }

  function renderAlert(a, grouped, now) {
    const started = Date.parse(a.startsAt);
    const shown = Object.keys(a.labels).filter((k) => !grouped.has(k) && k !== 'alertname' && k !== 'severity').sort();
    const more = Object.keys(a.annotations).filter((k) => k !== 'summary').sort();
    return el(
      'div',
      { class: 'alert', 'data-fingerprint': a.fingerprint },
      el('div', { class: 'what' }, alertStates(a).map(badge), el('span', { class: 'name', text: a.labels.alertname || '' }), a.labels.severity ? chip(a.labels.severity) : null, shown.map((k) => labelChip(k, a.labels[k]))),
      el('div', { class: 'actions' }, el('button', { type: 'button', class: 'secondary silence-alert', text: 'Silence', onclick: () => prefill(a) })),
      a.annotations.summary ? el('div', { class: 'summary', text: a.annotations.summary }) : null,
      el('div', { class: 'when muted small' }, 'firing for ', el('span', { class: 'age', text: span(now - started) }), ' \u00b7 since ', when(started, clock(started)), sourceLink(a.generatorURL)),
      more.length > 0 ? details('alert:' + a.fingerprint, 'Details', el('pre', { text: more.map((k) => k + ': ' + a.annotations[k]).join('\n') })) : null,
    );
  }

  function renderGroups(groups, now) {
    const firing = new Set();
    const cards = groups.map((g) => {
      const grouped = new Set(Object.keys(g.labels));
      return el(
        'article',
        { class: 'card group' },
        el('div', { class: 'group-head' }, Object.keys(g.labels).sort(alertnameFirst).map((k) => labelChip(k, g.labels[k])), el('span', { class: 'receiver', text: '\u2192 ' + g.receiver.name + ' \u00b7 ' + g.alerts.length })),
        g.alerts.map((a) => {
          firing.add(a.fingerprint);
          return renderAlert(a, grouped, now);
        }),
      );
    });
    byId('groups').replaceChildren(...(cards.length > 0 ? cards : [el('p', { class: 'empty', text: 'Nothing is firing.' })]));
    byId('alert-count').textContent = '(' + firing.size + ')';
  }

  const matcherText = (m) => m.name + (m.isEqual === false ? '!' : '=') + (m.isRegex ? '~' : '') + JSON.stringify(m.value);

  function renderSilence(s, now) {
    const starts = Date.parse(s.startsAt);
    const ends = Date.parse(s.endsAt);
    const state = s.status.state;
    const timing =
      state === 'active' ? ['ends in ' + span(ends - now) + ' (', when(ends, clock(ends)), ')']
      : state === 'pending' ? ['starts in ' + span(starts - now) + ' (', when(starts, clock(starts)), ')']
      : ['ended ' + span(now - ends) + ' ago (', when(ends, clock(ends)), ')'];
    const button = el('button', { type: 'button', class: 'danger expire', text: 'Expire' });
    button.addEventListener('click', () => expire(s, button));
    return el(
      'article',
      { class: 'card silence', 'data-silence-id': s.id },
      el('div', { class: 'meta' }, badge(state), el('span', { class: 'small' }, timing), el('span', { class: 'muted small', text: 'by ' + s.createdBy }), s.endsWhenResolved ? chip('until resolved') : null),
      el('div', { class: 'matchers' }, s.matchers.map((m) => chip(matcherText(m)))),
      el('p', { class: 'comment', text: s.comment }),
      state === 'expired' ? null : el('div', { class: 'actions' }, button),
    );
  }

  function renderSilences(list, now) {
    const live = list.filter((s) => s.status.state !== 'expired');
    const expired = list.filter((s) => s.status.state === 'expired').slice(0, 20);
    byId('silences').replaceChildren(
      ...(live.length > 0 ? live.map((s) => renderSilence(s, now)) : [el('p', { class: 'empty', text: 'No active silences.' })]),
      expired.length > 0 ? details('expired-silences', 'Recently expired (' + expired.length + ')', expired.map((s) => renderSilence(s, now))) : '',
    );
    byId('silence-count').textContent = '(' + live.length + ')';
  }

  function renderHistory(changes, now) {
    // By event time: a detector's backlog arrives late but belongs where it happened.
    const ordered = changes.slice().sort((x, y) => Date.parse(y.at) - Date.parse(x.at));
    const items = ordered.slice(0, 50).map((c) => {
      const at = Date.parse(c.at);
      const where = Object.keys(c.labels).filter((k) => !['alertname', 'severity', 'category', 'cluster', 'uuid'].includes(k)).sort();
      return el(
        'li',
        { 'data-fingerprint': c.fingerprint, 'data-event': c.event },
        when(at, span(now - at) + ' ago'),
        badge(c.event),
        el('span', { class: 'name', text: c.labels.alertname || '' }),
        where.map((k) => labelChip(k, c.labels[k])),
      );
    });
    byId('history').replaceChildren(...(items.length > 0 ? items : [el('li', { class: 'empty', text: 'No changes since the alerter started.' })]));
  }

  let loading = false;
  let again = false;
  async function refresh() {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      const [groups, silences, history] = await Promise.all([call('GET', API.groups), call('GET', API.silences), call('GET', API.history)]);
      const now = Date.now();
      renderGroups(groups, now);
      renderSilences(silences, now);
      renderHistory(history, now);
      byId('updated').textContent = 'updated ' + clock(now, true);
      banner([]);
    } catch (err) {
      banner(['Could not reach the alerter: ', ...problem(err)]);
    } finally {
      loading = false;
    }
    if (again) {
      again = false;
      await refresh();
    }
  }

  // The silence form.

  function matcherRow(m) {
    const row = el(
      'div',
      { class: 'matcher' },
      el('input', { type: 'checkbox', class: 'use', checked: m.use, 'aria-label': 'use this matcher' }),
      el('input', { class: 'name', value: m.name, placeholder: 'label', 'aria-label': 'label name', autocapitalize: 'off', spellcheck: 'false' }),
      el('select', { class: 'op', 'aria-label': 'operator' }, OPERATORS.map((op) => el('option', { value: op, text: op, selected: op === m.op ? '' : undefined }))),
      el('input', { class: 'value', value: m.value, placeholder: 'value', 'aria-label': 'label value', autocapitalize: 'off', spellcheck: 'false' }),
      el('button', { type: 'button', class: 'secondary remove', text: '\u00d7', 'aria-label': 'remove matcher', onclick: () => row.remove() }),
    );
    return row;
  }

  function setMatchers(list) {
    byId('matchers').replaceChildren(...list.map(matcherRow));
  }

  function prefill(a) {
    setMatchers(Object.keys(a.labels).sort(alertnameFirst).map((name) => ({ use: true, name, op: '=', value: a.labels[name] })));
    byId('silence-title').textContent = 'Silence ' + (a.labels.alertname || 'alert');
    say('', []);
    form.classList.add('highlight');
    setTimeout(() => form.classList.remove('highlight'), 1500);
    form.scrollIntoView({ block: 'start' });
  }

  // Kiln's duration syntax (30m, 2h, 1d, 1h30m): the server's own parser, its source put here when served.
  const DURATION_PATTERN = ` +
  String(DURATION_PATTERN) +
  String.raw`;
  const parseDuration = ` +
  parseDuration.toString() +
  String.raw`;

  /** How long a new silence lasts, in ms; undefined unless a positive duration. */
  function silenceLength(text) {
    const ms = parseDuration(text.trim());
    return ms > 0 ? ms : undefined;
  }

  function showEnds() {
    const ms = silenceLength(byId('duration').value);
    byId('ends').textContent = ms === undefined ? 'Write the duration like 30m, 2h, 1d or 1h30m.' : 'Ends ' + clock(Date.now() + ms) + '.';
  }

  function say(kind, parts) {
    const box = byId('form-message');
    box.className = kind;
    box.replaceChildren(...parts);
  }

  async function createSilence(event) {
    event.preventDefault();
    const ms = silenceLength(byId('duration').value);
    if (ms === undefined) return say('error', ['Write the duration like 30m, 2h, 1d or 1h30m.']);
    const matchers = [...byId('matchers').querySelectorAll('.matcher')]
      .filter((row) => row.querySelector('.use').checked)
      .map((row) => {
        const op = row.querySelector('.op').value;
        return { name: row.querySelector('.name').value.trim(), value: row.querySelector('.value').value, isRegex: op.endsWith('~'), isEqual: !op.startsWith('!') };
      });
    if (matchers.length === 0) return say('error', ['Tick at least one matcher.']);
    const now = Date.now();
    const silence = {
      matchers,
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + ms).toISOString(),
      createdBy: byId('created-by').value.trim(),
      comment: byId('comment').value.trim(),
    };
    if (byId('ends-when-resolved').checked) silence.endsWhenResolved = true;
    const submit = byId('create-silence');
    submit.disabled = true;
    try {
      const { silenceID } = await call('POST', API.silences, silence);
      remember(silence.createdBy);
      form.reset();
      say('ok', ['Silence ' + silenceID + ' created.']);
      await refresh();
    } catch (err) {
      say('error', problem(err));
    } finally {
      submit.disabled = false;
    }
  }

  async function expire(s, button) {
    if (!window.confirm('Expire the silence by ' + s.createdBy + ' (' + s.matchers.map(matcherText).join(', ') + ')?')) return;
    button.disabled = true;
    try {
      await call('DELETE', API.silence + encodeURIComponent(s.id));
      await refresh();
    } catch (err) {
      button.disabled = false;
      banner(['Could not expire the silence: ', ...problem(err)]);
    }
  }

  // The creator is the same person on every silence they make from this browser.
  function remember(name) {
    try {
      localStorage.setItem('kiln.alerter.createdBy', name);
    } catch (err) {
      // private mode: the field stays empty next time
    }
  }
  function remembered() {
    try {
      return localStorage.getItem('kiln.alerter.createdBy') || '';
    } catch (err) {
      return '';
    }
  }

  function clearForm() {
    setMatchers([{ use: true, name: '', op: '=', value: '' }]);
    byId('silence-title').textContent = 'New silence';
    // After the reset has emptied the fields.
    setTimeout(() => {
      byId('created-by').value = remembered();
      showEnds();
    });
  }

  form.addEventListener('submit', createSilence);
  form.addEventListener('reset', clearForm);
  byId('duration').addEventListener('input', showEnds);
  byId('add-matcher').addEventListener('click', () => byId('matchers').append(matcherRow({ use: true, name: '', op: '=', value: '' })));
  byId('refresh').addEventListener('click', () => refresh());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') refresh();
  });
  clearForm();
  refresh();
  setInterval(() => {
    if (document.visibilityState === 'visible') refresh();
  }, REFRESH_MS);
})();
`;
