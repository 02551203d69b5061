/* global document, window, location, sessionStorage, confirm, HTMLElement, URLSearchParams */
// The qbsync console: a hand-written ES module that talks to the qbsync REST API (and nothing else) with the session
// cookie, sending the session's CSRF token on every state-changing request. Pages are hash routes (#/, #/tenants/x,
// #/audit, #/signin); the DOM is built with textContent only, never HTML strings, so no data is ever markup.

const main = document.getElementById('main');
let session = null;
let poll = null;

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && session) headers['x-csrf-token'] = session.csrf_token;
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) {
    if (res.status === 401 && path !== '/v1/session') {
      session = null;
      go('#/signin');
    }
    throw new ApiError(res.status, json);
  }
  return json;
}

/** h('tag.class', {attrs}, ...children): an element; strings become text nodes. */
function h(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split('.');
  const el = document.createElement(tag);
  if (classes.length) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function render(...nodes) {
  main.replaceChildren(...nodes);
}

const badge = (state, text) => h('span.badge.s-' + state, {}, text || state.replace(/-/g, ' '));

function when(iso, timeZone) {
  if (!iso) return '–';
  return new Date(iso).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZone,
    timeZoneName: 'short',
  });
}

function notice(kind, text) {
  return h('div.notice.' + kind, { role: kind === 'bad' ? 'alert' : 'status' }, text);
}

function errorText(e) {
  return e instanceof ApiError ? e.message : String(e && e.message ? e.message : e);
}

// ---- sign-in --------------------------------------------------------------------------------------------------

function signinPage() {
  document.getElementById('nav').hidden = true;
  const err = h('p.error', { role: 'alert', id: 'signin-error' });
  const form = h(
    'form.stack',
    { 'aria-describedby': 'signin-error' },
    h('label', { for: 'name' }, 'Name'),
    h('input', { id: 'name', name: 'name', autocomplete: 'username', required: true }),
    h('label', { for: 'password' }, 'Password'),
    h('input', {
      id: 'password',
      name: 'password',
      type: 'password',
      autocomplete: 'current-password',
      required: true,
    }),
    h('button', { type: 'submit' }, 'Sign in'),
    err,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    try {
      session = await api('POST', '/v1/session', { name: form.name.value, password: form.password.value });
      const back = sessionStorage.getItem('qbsync.after-signin');
      sessionStorage.removeItem('qbsync.after-signin');
      go(back && back !== '#/signin' ? back : '#/');
    } catch (e) {
      err.textContent = errorText(e);
      form.password.value = '';
      form.password.focus();
    }
  });
  render(h('div.signin', {}, h('h1', {}, 'Sign in to qbsync'), form));
  form.name.focus();
}

// ---- tenants --------------------------------------------------------------------------------------------------

async function tenantsPage() {
  const { data } = await api('GET', '/v1/overview');
  const rows = data.map((t) =>
    h(
      'tr',
      {},
      h('td', {}, h('a', { href: `#/tenants/${t.id}` }, t.name), h('div.muted', {}, t.id)),
      h('td', {}, t.backend === 'quickbooks-desktop' ? 'QuickBooks Desktop' : 'QuickBooks Online'),
      h('td', {}, t.mode),
      h('td', {}, badge(t.health), h('div.muted', {}, t.health_text)),
      h(
        'td',
        {},
        t.running ? badge('running') : t.last_run ? badge(t.last_run.status) : h('span.muted', {}, 'never run'),
        t.last_run ? h('div.muted', {}, when(t.last_run.finished_at || t.last_run.started_at)) : null,
      ),
      h('td', {}, nextRuns(t.schedule)),
    ),
  );
  render(
    h('h1', {}, 'Tenants'),
    h(
      'section.card',
      {},
      data.length
        ? h(
            'div.scroll',
            {},
            h(
              'table',
              {},
              h('caption.muted', {}, `${data.length} tenant(s)`),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['Tenant', 'Backend', 'Mode', 'Connection', 'Last run', 'Next runs'].map((c) =>
                    h('th', { scope: 'col' }, c),
                  ),
                ),
              ),
              h('tbody', {}, rows),
            ),
          )
        : h('p', {}, 'No tenants yet: add one below.'),
    ),
    addTenantForm(),
  );
}

function nextRuns(schedule) {
  if (!schedule.enabled) return h('span.muted', {}, 'schedule off');
  if (schedule.next_runs === null)
    return h('span.muted', {}, `${schedule.times.join(', ')} ${schedule.time_zone} (not yet scheduled)`);
  if (schedule.next_runs.length === 0) return h('span.muted', {}, 'paused');
  return h(
    'ul.next-runs',
    {},
    schedule.next_runs.slice(0, 2).map((t) => h('li', {}, when(t, schedule.time_zone))),
  );
}

function field(id, label, input, hint) {
  input.id = id;
  if (!input.name) input.name = id;
  const err = h('span.error', { id: `${id}-error` });
  input.setAttribute('aria-describedby', `${id}-error${hint ? ` ${id}-hint` : ''}`);
  return h(
    'div.field',
    {},
    h('label', { for: id }, label, hint ? h('span.hint', { id: `${id}-hint` }, hint) : null),
    input,
    err,
  );
}

function select(options, value) {
  return h(
    'select',
    {},
    options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)),
  );
}

/** Shows each field error of a problem+json under the input its `field` names (the longest matching data-field). */
function showErrors(form, error, prefix = '') {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.field .error')) el.textContent = '';
  const general = form.querySelector('.form-error');
  if (general) general.textContent = '';
  if (!error) return;
  const inputs = [...form.querySelectorAll('[data-field]')];
  const unplaced = [];
  for (const fe of error.problem?.errors || []) {
    const name = fe.field.startsWith(prefix) ? fe.field.slice(prefix.length) : fe.field;
    const match = inputs
      .filter((i) => name === i.dataset.field || name.startsWith(i.dataset.field + '.'))
      .sort((a, b) => b.dataset.field.length - a.dataset.field.length)[0];
    const place = match && document.getElementById(`${match.id}-error`);
    if (place) {
      match.setAttribute('aria-invalid', 'true');
      place.textContent = fe.message;
    } else unplaced.push(`${fe.field}: ${fe.message}`);
  }
  if (general) general.textContent = unplaced.length ? unplaced.join('; ') : error.problem ? '' : errorText(error);
  const first = form.querySelector('[aria-invalid="true"]');
  if (first) first.focus();
}

function addTenantForm() {
  const backend = select(
    [
      ['quickbooks-online', 'QuickBooks Online'],
      ['quickbooks-desktop', 'QuickBooks Desktop / Reckon (Web Connector)'],
    ],
    'quickbooks-online',
  );
  const mode = select(
    [
      ['billing', 'billing (invoices and payments)'],
      ['order-taking', 'order-taking (sales hand over to QuickBooks)'],
    ],
    'billing',
  );
  const desktopOnly = h(
    'div',
    { hidden: true },
    field(
      'new-flavour',
      'Product',
      select(
        [
          ['quickbooks', 'QuickBooks Desktop'],
          ['reckon', 'Reckon Accounts'],
        ],
        'quickbooks',
      ),
    ),
    field(
      'new-password',
      'Web Connector password',
      h('input', { type: 'password', autocomplete: 'new-password', 'data-field': 'password' }),
      'at least 8 characters; enter the same one in the Web Connector',
    ),
  );
  const idInput = h('input', {
    'data-field': 'id',
    required: true,
    pattern: '[a-z0-9][a-z0-9-]{0,62}',
    autocomplete: 'off',
  });
  const form = h(
    'form',
    { novalidate: true },
    h('h2', {}, 'Add a tenant'),
    field('new-id', 'Id', idInput, 'lower-case letters, digits and dashes, e.g. acme'),
    field('new-name', 'Name', h('input', { 'data-field': 'name', autocomplete: 'organization' })),
    field('new-backend', 'QuickBooks', backend),
    field('new-mode', 'Mode', mode),
    desktopOnly,
    h('p.error.form-error', { role: 'alert' }),
    h('button', { type: 'submit' }, 'Add tenant'),
  );
  backend.addEventListener('change', () => {
    const desktop = backend.value === 'quickbooks-desktop';
    desktopOnly.hidden = !desktop;
    if (desktop) mode.value = 'order-taking';
    mode.disabled = desktop;
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const id = idInput.value.trim();
    const name = form.querySelector('#new-name').value.trim() || undefined;
    try {
      if (backend.value === 'quickbooks-desktop')
        await api('POST', '/v1/desktop-tenants', {
          id,
          name,
          flavour: form.querySelector('#new-flavour').value,
          password: form.querySelector('#new-password').value,
        });
      else await api('POST', '/v1/tenants', { id, name, mode: mode.value });
      go(`#/tenants/${id}`);
    } catch (e) {
      showErrors(form, e);
    }
  });
  return h('section.card', {}, form);
}

// ---- a tenant -------------------------------------------------------------------------------------------------

const readLists = (id) =>
  Promise.all([
    api('GET', `/v1/tenants/${id}/runs?limit=20`),
    api('GET', `/v1/tenants/${id}/problems?limit=50`),
    api('GET', `/v1/tenants/${id}/conflicts?limit=20`),
  ]);

async function tenantPage(id, params) {
  // Every read the page needs starts at once; the page is drawn as they answer.
  const lists = readLists(id);
  const firstStatus = api('GET', `/v1/tenants/${id}/status`);
  lists.catch(() => undefined);
  firstStatus.catch(() => undefined);
  const [t, tenant] = await Promise.all([api('GET', `/v1/tenants/${id}/summary`), api('GET', `/v1/tenants/${id}`)]);
  const tz = tenant.settings.schedule.timeZone;
  const banner = params.get('connected')
    ? notice('ok', `Connected to QuickBooks company ${params.get('connected')}.`)
    : null;
  const progress = h('div', { id: 'progress', 'aria-live': 'polite' });
  const runsBox = h('div', { id: 'runs' });
  const problemsBox = h('div', { id: 'problems' });
  const conflictsBox = h('div', { id: 'conflicts' });
  const scheduleBox = h('div', { id: 'schedule' }, scheduleView(t.schedule));
  const syncButton = h('button', { type: 'button', id: 'sync' }, 'Synchronize All');
  const syncError = h('p.error', { role: 'alert' });

  render(
    h('h1', {}, t.name, ' ', h('span.muted', {}, `(${t.id})`)),
    banner,
    h(
      'div.grid2',
      {},
      connectionCard(t),
      h(
        'section.card',
        { 'aria-labelledby': 'sync-h' },
        h('h2', { id: 'sync-h' }, 'Synchronize'),
        syncButton,
        syncError,
        progress,
        h('h3', {}, 'Schedule'),
        scheduleBox,
      ),
    ),
    h('section.card', { 'aria-labelledby': 'runs-h' }, h('h2', { id: 'runs-h' }, 'Runs'), runsBox),
    h(
      'div.grid2',
      {},
      h(
        'section.card',
        { 'aria-labelledby': 'problems-h' },
        h('h2', { id: 'problems-h' }, 'Problems (records refused)'),
        problemsBox,
      ),
      h(
        'section.card',
        { 'aria-labelledby': 'conflicts-h' },
        h('h2', { id: 'conflicts-h' }, 'Conflicts'),
        conflictsBox,
      ),
    ),
    settingsCard(t, tenant, scheduleBox),
  );

  const refreshLists = async (read = readLists(id)) => {
    const [runs, problems, conflicts] = await read;
    runsBox.replaceChildren(runsView(id, runs.data, problems.data, tz));
    problemsBox.replaceChildren(problemsView(id, problems.data, tz));
    conflictsBox.replaceChildren(conflictsView(id, conflicts.data, tz, () => refreshLists()));
  };
  await refreshLists(lists);

  // Live progress from the status endpoint. A requested run is remembered (across reloads) as "the last run was X when
  // Synchronize All was pressed", so no clock of the browser's is compared with the server's.
  const pendingKey = `qbsync.sync.${id}`;
  const PENDING_MAX_MS = 15 * 60_000;
  let lastStatus = null;
  let busy = false;
  const follow = async (read) => {
    const status = await (read || api('GET', `/v1/tenants/${id}/status`));
    lastStatus = status;
    let pending = null;
    try {
      pending = JSON.parse(sessionStorage.getItem(pendingKey) || 'null');
    } catch {
      pending = null;
    }
    const lastId = status.last_run ? status.last_run.id : null;
    const waiting =
      pending !== null &&
      status.state !== 'running' &&
      lastId === pending.before &&
      Date.now() - pending.at < PENDING_MAX_MS;
    progress.replaceChildren(progressView(status, waiting, tz));
    syncButton.disabled = status.state === 'running' || waiting;
    if (status.state === 'running' || waiting) {
      busy = true;
      poll = window.setTimeout(() => follow().catch(showPollError), 1000);
    } else {
      sessionStorage.removeItem(pendingKey);
      poll = null;
      if (busy) {
        busy = false;
        await refreshLists();
      }
    }
  };
  const showPollError = (e) => {
    progress.replaceChildren(notice('bad', `Could not read the status: ${errorText(e)}`));
    poll = window.setTimeout(() => follow().catch(showPollError), 3000);
  };
  syncButton.addEventListener('click', async () => {
    syncError.textContent = '';
    syncButton.disabled = true;
    try {
      const before = lastStatus && lastStatus.last_run ? lastStatus.last_run.id : null;
      await api('POST', `/v1/tenants/${id}/syncs`);
      sessionStorage.setItem(pendingKey, JSON.stringify({ before, at: Date.now() }));
      busy = true; // the lists are read again when it is over, however quickly it ends
      if (poll) window.clearTimeout(poll);
      await follow();
    } catch (e) {
      syncError.textContent = errorText(e);
      syncButton.disabled = false;
    }
  });
  await follow(firstStatus);
}

function connectionCard(t) {
  const out = h('p.error', { role: 'alert' });
  const card = h(
    'section.card',
    { 'aria-labelledby': 'conn-h' },
    h('h2', { id: 'conn-h' }, 'Connection'),
    h('p', {}, badge(t.health), ' ', t.health_text),
  );
  if (t.backend === 'quickbooks-desktop') {
    card.append(
      h(
        'p',
        {},
        `${t.desktop?.flavour === 'reckon' ? 'Reckon Accounts' : 'QuickBooks Desktop'} through the Web Connector. `,
        h('a', { href: `/v1/tenants/${t.id}/qwc`, download: `${t.id}.qwc` }, 'Download the .qwc file'),
        ' and add it in the Web Connector (File → Add an application).',
      ),
    );
    const pw = h('input', { type: 'password', autocomplete: 'new-password', 'data-field': 'password' });
    const form = h(
      'form',
      { novalidate: true },
      field(
        'wc-password',
        'Web Connector password',
        pw,
        t.desktop?.password_set ? 'a password is set; a new one replaces it' : 'none set yet',
      ),
      h('p.error.form-error', { role: 'alert' }),
      h('button', { type: 'submit' }, 'Set password'),
      h('span', { role: 'status', class: 'saved' }),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await api('POST', `/v1/tenants/${t.id}/webconnector/password`, { password: pw.value });
        showErrors(form);
        pw.value = '';
        form.querySelector('.saved').textContent = 'Password set. Enter the same one in the Web Connector.';
      } catch (e) {
        showErrors(form, e);
      }
    });
    card.append(form);
    return card;
  }
  const connect = h(
    'button',
    { type: 'button', id: 'connect' },
    t.connection.status === 'connected' ? 'Reconnect to QuickBooks' : 'Connect to QuickBooks',
  );
  connect.addEventListener('click', async () => {
    out.textContent = '';
    try {
      const { authorize_url } = await api('POST', `/v1/tenants/${t.id}/connect`);
      location.assign(authorize_url);
    } catch (e) {
      out.textContent = errorText(e);
    }
  });
  card.append(connect);
  if (t.connection.status === 'connected' || t.connection.status === 'needs-reconnect') {
    const disconnect = h('button.danger', { type: 'button', id: 'disconnect' }, 'Disconnect');
    disconnect.addEventListener('click', async () => {
      if (!confirm(`Disconnect ${t.name} from QuickBooks? Syncs stop until it is connected again.`)) return;
      try {
        await api('POST', `/v1/tenants/${t.id}/disconnect`);
        route();
      } catch (e) {
        out.textContent = errorText(e);
      }
    });
    card.append(disconnect);
  }
  for (const w of t.connection.warnings) card.append(h('p.muted', {}, w));
  card.append(out);
  return card;
}

const STEP_COLUMNS = ['created', 'updated', 'unchanged', 'deleted', 'failed'];

function stepsTable(steps) {
  return h(
    'div.scroll',
    {},
    h(
      'table.steps',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Step'),
          h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'From QuickBooks'),
          h('th', { scope: 'col' }, 'To QuickBooks'),
          h('th', { scope: 'col', class: 'num' }, 'Conflicts'),
        ),
      ),
      h(
        'tbody',
        {},
        steps.map((s) =>
          h(
            'tr',
            { 'data-step': s.step },
            h('th', { scope: 'row' }, s.step),
            h('td', {}, badge(s.status)),
            h('td', {}, counts(s.pulled)),
            h('td', {}, counts(s.pushed)),
            h('td.num', {}, String(s.conflicts)),
          ),
        ),
      ),
    ),
  );
}

function counts(c) {
  const parts = STEP_COLUMNS.filter((k) => c[k]).map((k) => `${c[k]} ${k}`);
  return parts.length ? parts.join(', ') : h('span.muted', {}, '–');
}

function progressView(status, waiting, tz) {
  if (waiting) return h('p', {}, badge('pending', 'requested'), ' waiting for the run to start…');
  if (status.state === 'running') {
    const run = status.current;
    const current = run.steps.find((s) => s.status === 'running');
    const done = run.steps.filter((s) => s.status === 'succeeded').length;
    return h(
      'div',
      {},
      h('p', {}, badge('running'), ` step ${current ? current.step : '…'} (${done} of ${run.steps.length} done)`),
      stepsTable(run.steps),
    );
  }
  if (!status.last_run) return h('p.muted', {}, 'No run yet.');
  const r = status.last_run;
  return h(
    'div',
    {},
    h('p', { id: 'last-outcome' }, 'Last run ', badge(r.status), ` finished ${when(r.finished_at, tz)}`),
    stepsTable(r.steps),
  );
}

function temporalLink(workflowId) {
  const web = session && session.temporal_web;
  if (!web) return null;
  const href = `${web.url.replace(/\/$/, '')}/namespaces/${encodeURIComponent(web.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return h('a.temporal', { href, target: '_blank', rel: 'noopener' }, 'this run in Temporal Web');
}

const RECORD_PATHS = { customer: 'customers', item: 'items', invoice: 'invoices', payment: 'payments', sale: 'sales' };

function recordLink(tenant, p) {
  const path = RECORD_PATHS[p.entity];
  const label =
    p.record_label ||
    (p.app_id ? `${p.entity} ${p.app_id}` : p.remote_id ? `QuickBooks ${p.entity} ${p.remote_id}` : p.entity);
  if (path && p.app_id)
    return h('a', { href: `/v1/tenants/${tenant}/${path}/${p.app_id}`, target: '_blank', rel: 'noopener' }, label);
  return label;
}

function failureView(tenant, p) {
  return h(
    'dl.failure',
    { 'data-problem': p.id },
    h('dt', {}, 'Step'),
    h('dd', {}, `${p.step} (${p.direction === 'push' ? 'to QuickBooks' : 'from QuickBooks'})`),
    h('dt', {}, 'Record'),
    h('dd', {}, recordLink(tenant, p)),
    h('dt', {}, 'QuickBooks said'),
    h('dd', {}, p.code ? `${p.code}: ` : '', p.message, p.detail ? h('div.muted', {}, p.detail) : null),
    h('dt', {}, 'What to do'),
    h('dd.what-to-do', {}, p.user_action || 'correct the record in the app, then press Synchronize All'),
  );
}

function runsView(tenant, runs, problems, tz) {
  if (!runs.length) return h('p.muted', {}, 'No runs yet: press Synchronize All.');
  return h(
    'div',
    {},
    runs.map((r, i) => {
      const mine = problems.filter((p) => p.run_id === r.id);
      const errorMessage = r.error && typeof r.error === 'object' ? r.error.message : r.error;
      return h(
        'details.run',
        { open: i === 0 && r.status === 'failed', 'data-run': r.id },
        h(
          'summary',
          {},
          badge(r.status),
          ` ${when(r.started_at, tz)} · ${r.trigger}`,
          r.finished_at
            ? ` · ${Math.max(0, Math.round((Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000))} s`
            : '',
        ),
        r.status === 'failed' && errorMessage ? h('p.error', {}, errorMessage) : null,
        r.status === 'failed' ? mine.map((p) => failureView(tenant, p)) : null,
        stepsTable(r.steps),
        h('p', {}, temporalLink(r.workflow_id) || h('span.muted', {}, `workflow ${r.workflow_id}`)),
      );
    }),
  );
}

function problemsView(tenant, problems) {
  if (!problems.length) return h('p.muted', {}, 'No records refused.');
  return h(
    'div',
    {},
    problems.slice(0, 20).map((p) => failureView(tenant, p)),
  );
}

function conflictsView(tenant, conflicts, tz, refresh) {
  if (!conflicts.length) return h('p.muted', {}, 'No conflicts.');
  return h(
    'div',
    {},
    conflicts.map((c) => {
      const out = h('p', { role: 'status' });
      const keep = (side) => async () => {
        try {
          await api('POST', `/v1/tenants/${tenant}/conflicts/${c.id}/resolve`, { keep: side });
          await refresh();
        } catch (e) {
          out.textContent = e.status === 409 ? 'Already resolved.' : errorText(e);
        }
      };
      const resolved = c.resolution;
      return h(
        'article.conflict',
        { 'data-conflict': c.id },
        h(
          'h3',
          {},
          `${c.entity} ${c.app_id ?? ''}`.trim(),
          ' ',
          h('span.muted', {}, `decided ${when(c.decided_at, tz)} by ${c.policy}: ${c.winner} kept`),
        ),
        h(
          'div.versions',
          {},
          h('div', {}, h('h4', {}, 'App'), h('pre', {}, JSON.stringify(c.app_version, null, 1))),
          h('div', {}, h('h4', {}, 'QuickBooks'), h('pre', {}, JSON.stringify(c.remote_version, null, 1))),
        ),
        resolved
          ? h(
              'p.muted',
              {},
              `resolved: ${resolved.keep === 'app' ? 'the app' : 'QuickBooks'} version kept by ${resolved.by} ${when(resolved.at, tz)}`,
            )
          : h(
              'div',
              {},
              h('button.secondary', { type: 'button', onclick: keep('app') }, 'Keep the app version'),
              h('button.secondary', { type: 'button', onclick: keep('quickbooks') }, 'Keep the QuickBooks version'),
            ),
        out,
      );
    }),
  );
}

function scheduleView(s) {
  return h(
    'div',
    {},
    h('p', {}, s.enabled ? `At ${s.times.join(', ')} (${s.time_zone})` : 'The schedule is off.'),
    s.enabled && s.next_runs && s.next_runs.length
      ? h(
          'ol',
          { id: 'next-runs' },
          s.next_runs.map((t) => h('li', {}, when(t, s.time_zone))),
        )
      : h(
          'p.muted',
          { id: 'next-runs' },
          s.enabled ? 'Next runs: not known yet (Temporal has no schedule for it yet).' : '',
        ),
  );
}

const list = (v) =>
  v
    .split(/[,\n]/)
    .map((x) => x.trim())
    .filter(Boolean);

function settingsCard(t, tenant, scheduleBox) {
  const st = tenant.settings;
  const ot = st.orderTaking;
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const input = (fieldName, value, attrs = {}) => h('input', { 'data-field': fieldName, value: value ?? '', ...attrs });
  const inputs = {
    mode: select(
      [
        ['billing', 'billing'],
        ['order-taking', 'order-taking'],
      ],
      t.mode,
    ),
    conflictPolicy: select(
      [
        ['quickbooks-wins', 'QuickBooks wins'],
        ['app-wins', 'the app wins'],
        ['latest-wins', 'the latest change wins'],
      ],
      st.conflictPolicy,
    ),
    onRecordError: select(
      [
        ['stop', 'stop the run'],
        ['skip', 'skip the record and go on'],
      ],
      st.onRecordError,
    ),
    enabled: h('input', { type: 'checkbox', 'data-field': 'schedule.enabled', checked: st.schedule.enabled }),
    times: input('schedule.times', st.schedule.times.join(', ')),
    timeZone: input('schedule.timeZone', st.schedule.timeZone, { list: 'zones', autocomplete: 'off' }),
    notifyOn: select(
      [
        ['all', 'every run'],
        ['failures', 'failures only'],
        ['none', 'never'],
      ],
      st.notifications.on,
    ),
    email: input('notifications.email', st.notifications.email.join(', '), { inputmode: 'email' }),
    webhookUrl: input('notifications.webhookUrl', st.notifications.webhookUrl, { type: 'url' }),
    readyStatus: input('orderTaking.readyStatus', ot.readyStatus),
    doneStatus: input('orderTaking.doneStatus', ot.doneStatus),
    saleTypes: input('orderTaking.saleTypes', ot.saleTypes.join(', ')),
    orderAs: select(
      [
        ['Estimate', 'Estimate'],
        ['Invoice', 'Invoice'],
      ],
      ot.orderAs,
    ),
    transferAs: h(
      'textarea',
      { 'data-field': 'orderTaking.transferAs' },
      Object.entries(ot.transferAs || {})
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    ),
  };
  inputs.mode.dataset.field = 'mode';
  inputs.conflictPolicy.dataset.field = 'conflictPolicy';
  inputs.onRecordError.dataset.field = 'onRecordError';
  inputs.notifyOn.dataset.field = 'notifications.on';
  inputs.orderAs.dataset.field = 'orderTaking.orderAs';
  const saved = h('p', { role: 'status', id: 'settings-saved' });
  const form = h(
    'form',
    { novalidate: true, id: 'settings' },
    h('h2', {}, 'Settings'),
    h(
      'div.grid2',
      {},
      h(
        'fieldset',
        {},
        h('legend', {}, 'Sync'),
        field('set-mode', 'Mode', inputs.mode),
        field('set-conflict', 'When both sides changed a record', inputs.conflictPolicy),
        field('set-onerror', 'When QuickBooks refuses a record', inputs.onRecordError),
        h('div.field', {}, h('label', { for: 'set-enabled' }, inputs.enabled, ' Run on a schedule')),
        field('set-times', 'Schedule times', inputs.times, 'HH:MM, separated by commas, e.g. 22:30, 01:30'),
        field('set-tz', 'Time zone', inputs.timeZone, 'an IANA time zone, e.g. America/Chicago'),
        h(
          'datalist',
          { id: 'zones' },
          zones.map((z) => h('option', { value: z })),
        ),
      ),
      h(
        'fieldset',
        {},
        h('legend', {}, 'Notifications'),
        field('set-notify', 'Notify', inputs.notifyOn),
        field('set-email', 'Email to', inputs.email, 'addresses separated by commas'),
        field('set-webhook', 'Webhook URL', inputs.webhookUrl, 'https://…; optional'),
      ),
      h(
        'fieldset',
        {},
        h('legend', {}, 'Sales (order-taking)'),
        field('set-ready', 'Ready status', inputs.readyStatus, 'sales in this status go to QuickBooks'),
        field('set-done', 'Done status', inputs.doneStatus, 'set once QuickBooks has the sale'),
        field('set-types', 'Sale types', inputs.saleTypes, 'separated by commas'),
        field('set-orderas', 'Orders go to QuickBooks as', inputs.orderAs),
        field(
          'set-transfer',
          'How sale types transfer',
          inputs.transferAs,
          'one per line: Type=Invoice, Quote, Order or none',
        ),
      ),
    ),
    h('p.error.form-error', { role: 'alert' }),
    h('button', { type: 'submit' }, 'Save settings'),
    saved,
  );
  inputs.enabled.id = 'set-enabled';
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    saved.textContent = '';
    const transferAs = {};
    for (const line of list(inputs.transferAs.value)) {
      const [k, v] = line.split('=').map((x) => x.trim());
      transferAs[k] = v;
    }
    const patch = {
      conflictPolicy: inputs.conflictPolicy.value,
      onRecordError: inputs.onRecordError.value,
      schedule: {
        enabled: inputs.enabled.checked,
        times: list(inputs.times.value),
        timeZone: inputs.timeZone.value.trim(),
      },
      notifications: {
        on: inputs.notifyOn.value,
        email: list(inputs.email.value),
        webhookUrl: inputs.webhookUrl.value.trim() || null,
      },
      orderTaking: {
        readyStatus: inputs.readyStatus.value.trim(),
        doneStatus: inputs.doneStatus.value.trim(),
        saleTypes: list(inputs.saleTypes.value),
        orderAs: inputs.orderAs.value,
        transferAs: Object.keys(transferAs).length ? transferAs : null,
      },
    };
    try {
      if (inputs.mode.value !== t.mode) {
        try {
          await api('PATCH', `/v1/tenants/${t.id}`, { mode: inputs.mode.value });
          t.mode = inputs.mode.value;
        } catch (e) {
          showErrors(form, e);
          return;
        }
      }
      const updated = await api('PATCH', `/v1/tenants/${t.id}/settings`, patch);
      showErrors(form);
      const changed = JSON.stringify(updated.settings.schedule) !== JSON.stringify(st.schedule);
      Object.assign(st, updated.settings);
      saved.textContent = 'Saved.';
      if (changed) {
        try {
          scheduleBox.replaceChildren(scheduleView(await api('POST', `/v1/tenants/${t.id}/schedule`)));
        } catch (e) {
          saved.textContent = `Saved; the schedule is applied when the worker next starts (${errorText(e)}).`;
        }
      }
    } catch (e) {
      showErrors(form, e);
    }
  });
  return h('section.card', {}, form);
}

// ---- audit log ------------------------------------------------------------------------------------------------

async function auditPage() {
  const { data } = await api('GET', '/v1/audit?limit=100');
  render(
    h('h1', {}, 'Audit log'),
    h(
      'section.card',
      {},
      h(
        'div.scroll',
        {},
        h(
          'table',
          { id: 'audit' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['When', 'Who', 'What', 'Tenant', 'Answer'].map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          h(
            'tbody',
            {},
            data.map((a) =>
              h(
                'tr',
                {},
                h('td', {}, when(a.at)),
                h('td', {}, a.operator),
                h('td', {}, a.action),
                h('td', {}, a.tenant_id || '–'),
                h('td', {}, a.status === null ? '–' : String(a.status), a.detail ? h('div.muted', {}, a.detail) : null),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

// ---- routing --------------------------------------------------------------------------------------------------

async function route() {
  if (poll) {
    window.clearTimeout(poll);
    poll = null;
  }
  const [path, query] = (location.hash.slice(1) || '/').split('?');
  const params = new URLSearchParams(query || '');
  if (path === '/signin') return signinPage();
  if (!session) {
    try {
      session = await api('GET', '/v1/session');
    } catch {
      sessionStorage.setItem('qbsync.after-signin', location.hash);
      return go('#/signin');
    }
  }
  const nav = document.getElementById('nav');
  nav.hidden = false;
  document.getElementById('who').textContent = session.operator;
  try {
    const tenant = /^\/tenants\/([a-z0-9-]+)$/.exec(path);
    if (tenant) await tenantPage(tenant[1], params);
    else if (path === '/audit') await auditPage();
    else {
      await tenantsPage();
      if (params.get('connect_error')) main.prepend(notice('bad', `Connecting failed: ${params.get('connect_error')}`));
    }
    document.title = `${main.querySelector('h1')?.textContent || 'console'} · qbsync`;
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) render(notice('bad', errorText(e)));
  }
}

document.getElementById('signout').addEventListener('click', async () => {
  try {
    await api('DELETE', '/v1/session');
  } finally {
    session = null;
    go('#/signin');
  }
});
window.addEventListener('hashchange', route);
if (main instanceof HTMLElement) route();
