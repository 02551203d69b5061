import { formatCents, formatDecimal } from './money';
import type { Counts, RunReport } from './report';

export interface Rendered {
  subject: string;
  text: string;
  html: string;
}

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** A time for people, in the tenant's time zone (the one its schedule uses), e.g. "2026-11-23 22:30:05 CST". */
export function formatTime(iso: string | null, timeZone: string): string {
  if (!iso) return '—';
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
}

function counts(c: Counts): string {
  const parts = [`${c.created} new`, `${c.updated} changed`];
  if (c.deleted) parts.push(`${c.deleted} removed`);
  if (c.failed) parts.push(`${c.failed} failed`);
  return parts.join(', ');
}

/** QuickBooks' error code, or qbsync's own (a check made before anything was sent, e.g. `qbsync-name`). */
function codeLine(code: string | null): [string, string] {
  if (code?.startsWith('qbsync')) return ['Code', `${code} (qbsync's own check, before sending to QuickBooks)`];
  return ['QuickBooks code', code ?? '—'];
}

export function runSubject(report: RunReport): string {
  const who =
    report.tenant.name === report.tenant.id ? report.tenant.id : `${report.tenant.name} (${report.tenant.id})`;
  if (report.failure)
    return `qbsync: sync of ${who} FAILED${report.failure.step ? ` in step ${report.failure.step}` : ''}`;
  return `qbsync: sync of ${who} succeeded`;
}

/** The notice about one run: who, what started it, when, the counts per step, and on failure what and what to do. */
export function renderRunNotice(report: RunReport, timeZone: string): Rendered {
  const facts: Array<[string, string]> = [
    ['Tenant', `${report.tenant.name} (${report.tenant.id})`],
    ['Outcome', report.failure ? 'failed' : 'succeeded'],
    ['Trigger', report.trigger],
    ['Started', formatTime(report.startedAt, timeZone)],
    ['Finished', formatTime(report.finishedAt, timeZone)],
    ['Workflow', report.workflowId],
  ];
  const failure: Array<[string, string]> = report.failure
    ? [
        ['Failed step', report.failure.step ?? '(before the first step)'],
        ['Record', report.failure.record ?? (report.failure.entity ? report.failure.entity : '—')],
        ...(report.failure.qboId ? ([['QuickBooks id', report.failure.qboId]] as Array<[string, string]>) : []),
        codeLine(report.failure.code),
        ['Reason', report.failure.reason],
        ['What to do', report.failure.action],
      ]
    : [];

  const text = [
    ...facts.map(([k, v]) => `${k}: ${v}`),
    '',
    'Steps (QuickBooks → app | app → QuickBooks):',
    ...report.steps.map(
      (s) =>
        `  ${s.step.padEnd(10)} ${s.status.padEnd(9)} pulled ${counts(s.pulled)} | pushed ${counts(s.pushed)}${s.conflicts ? ` | ${s.conflicts} conflicts` : ''}`,
    ),
    ...(failure.length ? ['', ...failure.map(([k, v]) => `${k}: ${v}`)] : []),
    ...(report.skippedRecords.length
      ? [
          '',
          'Records skipped (tried again next run):',
          ...report.skippedRecords.map(
            (p) =>
              `  ${p.step}: ${p.record ?? p.entity}${p.code ? ` [QuickBooks code ${p.code}]` : ''}: ${p.reason}${p.action ? ` — ${p.action}` : ''}`,
          ),
        ]
      : []),
    '',
  ].join('\n');

  const row = ([k, v]: [string, string]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`;
  const html = [
    `<h2>${escapeHtml(runSubject(report))}</h2>`,
    `<table>${facts.map(row).join('')}</table>`,
    '<h3>Steps</h3>',
    '<table border="1" cellpadding="4" cellspacing="0"><tr><th>Step</th><th>Status</th><th>Pulled (QuickBooks → app)</th><th>Pushed (app → QuickBooks)</th><th>Conflicts</th></tr>',
    ...report.steps.map(
      (s) =>
        `<tr><td>${escapeHtml(s.step)}</td><td>${escapeHtml(s.status)}</td><td>${escapeHtml(counts(s.pulled))}</td><td>${escapeHtml(counts(s.pushed))}</td><td>${s.conflicts}</td></tr>`,
    ),
    '</table>',
    ...(failure.length ? ['<h3>What failed</h3>', `<table>${failure.map(row).join('')}</table>`] : []),
    ...(report.skippedRecords.length
      ? [
          '<h3>Records skipped</h3><ul>',
          ...report.skippedRecords.map(
            (p) =>
              `<li>${escapeHtml(`${p.step}: ${p.record ?? p.entity}${p.code ? ` [QuickBooks code ${p.code}]` : ''}: ${p.reason}${p.action ? ` — ${p.action}` : ''}`)}</li>`,
          ),
          '</ul>',
        ]
      : []),
  ].join('\n');
  return { subject: runSubject(report), text, html };
}

export interface InvoiceView {
  sender: string;
  customerName: string;
  docNumber: string | null;
  txnDate: string;
  dueDate: string | null;
  memo: string | null;
  /** `description` lines carry text only (no item, quantity or amount). */
  lines: Array<{
    kind: string;
    item: string | null;
    description: string | null;
    quantity: string | null;
    unitPrice: string | null;
    amountCents: number;
  }>;
  subtotalCents: number;
  taxCents: number;
  totalCents: number;
  balanceCents: number;
}

/** The invoice as an email: its lines (item, description, quantity, unit price, amount) and totals, all exact. */
export function renderInvoice(v: InvoiceView): Rendered {
  const number = v.docNumber ? `Invoice ${v.docNumber}` : 'Invoice';
  const subject = `${number} from ${v.sender}`;
  const totals: Array<[string, string]> = [
    ['Subtotal', formatCents(v.subtotalCents)],
    ['Tax', formatCents(v.taxCents)],
    ['Total', formatCents(v.totalCents)],
    ['Balance due', formatCents(v.balanceCents)],
  ];
  const lines = v.lines.map((l) =>
    l.kind === 'description'
      ? { item: '', description: l.description ?? '', qty: '', price: '', amount: '' }
      : {
          item: l.item ?? '',
          description: l.description ?? '',
          qty: formatDecimal(l.quantity, 0),
          price: formatDecimal(l.unitPrice, 2),
          amount: formatCents(l.amountCents),
        },
  );
  const dates = `Date: ${v.txnDate}${v.dueDate ? `, due ${v.dueDate}` : ''}`;

  const text = [
    `Dear ${v.customerName},`,
    '',
    `${number} from ${v.sender}. ${dates}.`,
    '',
    ...lines.map(
      (l) =>
        `  ${[l.item, l.description].filter(Boolean).join(' — ')}${l.amount ? `: ${l.qty ? `${l.qty} × ${l.price} = ` : ''}${l.amount}` : ''}`,
    ),
    '',
    ...totals.map(([k, v]) => `${k}: ${v}`),
    ...(v.memo ? ['', v.memo] : []),
    '',
  ].join('\n');

  const cell = (s: string, right = false) => `<td${right ? ' align="right"' : ''}>${escapeHtml(s)}</td>`;
  const html = [
    `<p>Dear ${escapeHtml(v.customerName)},</p>`,
    `<h2>${escapeHtml(number)}</h2>`,
    `<p>From ${escapeHtml(v.sender)}. ${escapeHtml(dates)}.</p>`,
    '<table border="1" cellpadding="4" cellspacing="0">',
    '<tr><th>Item</th><th>Description</th><th>Qty</th><th>Unit price</th><th>Amount</th></tr>',
    ...lines.map(
      (l) =>
        `<tr>${cell(l.item)}${cell(l.description)}${cell(l.qty, true)}${cell(l.price, true)}${cell(l.amount, true)}</tr>`,
    ),
    ...totals.map(([k, val]) => `<tr><th colspan="4" align="right">${escapeHtml(k)}</th>${cell(val, true)}</tr>`),
    '</table>',
    ...(v.memo ? [`<p>${escapeHtml(v.memo)}</p>`] : []),
  ].join('\n');
  return { subject, text, html };
}
