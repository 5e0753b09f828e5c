import type { CacheInsightsDto } from '../analytics/dto/analytics.dto';
import MarkdownIt from 'markdown-it';
import { createHash } from 'node:crypto';
import sanitizeHtml from 'sanitize-html';

/**
 * The public share page, rendered on the server from plain template functions: no external
 * assets, no scripts, inline CSS only. Every interpolated value is HTML-escaped by `html`
 * unless it is itself markup made by `html` or by `renderMarkdown`.
 */

class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolation = SafeHtml | string | number | null | undefined | readonly Interpolation[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function render(value: Interpolation): string {
  if (value instanceof SafeHtml) return value.value;
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** A template whose interpolations are escaped (arrays joined, `html` fragments kept as markup). */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0];
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1];
  });
  return new SafeHtml(out);
}

/**
 * The transcript's text is Markdown (what people type and models answer). markdown-it renders it
 * with raw HTML off (any HTML in the text stays text), and sanitize-html then keeps only the
 * formatting tags below, with no attributes, links or images, so nothing in a transcript can add
 * script, style, a link elsewhere or a request.
 */
const markdown = new MarkdownIt({ html: false, linkify: false, breaks: true });
const MARKDOWN_TAGS = [
  'p',
  'br',
  'strong',
  'em',
  'del',
  's',
  'code',
  'pre',
  'blockquote',
  'ul',
  'ol',
  'li',
  'hr',
  'h4',
  'h5',
  'h6',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
];
const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: MARKDOWN_TAGS,
  allowedAttributes: { ol: ['start'] },
  allowedSchemes: [],
  // A transcript's headings sit below the page's own.
  transformTags: { h1: 'h4', h2: 'h4', h3: 'h5' },
  // A link keeps its text, not its target.
  disallowedTagsMode: 'discard',
};

export function renderMarkdown(text: string): SafeHtml {
  return new SafeHtml(sanitizeHtml(markdown.render(text), SANITIZE));
}

export interface SharePageTotals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  costNanoUsd: bigint;
  unpricedRequests: number;
}

export interface SharePageInteraction {
  timestamp: Date;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  /** Null when the model is not priced. */
  costNanoUsd: bigint | null;
  latencyMs: number;
  outcome: string;
  userQuery?: string | null;
  finalOutput?: string | null;
}

export interface SharePageView {
  /** The session's external id. */
  sessionId: string;
  /** The session's title, the page's heading when set. */
  title?: string | null;
  startTime: Date;
  endTime: Date;
  totals: SharePageTotals;
  interactions: SharePageInteraction[];
  /** Calls in the session in all (the page may show fewer). */
  totalInteractions: number;
  includeContent: boolean;
  expiresAt: Date | null;
  /** What prompt caching did in the session. */
  cache?: CacheInsightsDto;
  /** The session's agents (Claude Code's main agent and subagents), oldest first. */
  agents?: SharePageAgent[];
}

export interface SharePageAgent {
  agentId: string | null;
  parentAgentId: string | null;
  calls: number;
  tokens: number;
  costNanoUsd: bigint;
}

const STYLE = `
:root{--bg:#f6f7f9;--card:#fff;--ink:#16181d;--muted:#5d6472;--line:#e3e6eb;--accent:#b45309;--accent-soft:#fff4e5;--ok:#047857;--bad:#b91c1c}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1160px;margin:0 auto;padding:32px 24px 48px}
.brand{display:flex;align-items:center;gap:10px;color:var(--muted);font-size:13px;letter-spacing:.04em;text-transform:uppercase}
.lamp{width:12px;height:12px;border-radius:50%;background:var(--accent);box-shadow:0 0 0 4px var(--accent-soft)}
h1{margin:10px 0 4px;font-size:26px;line-height:1.25;overflow-wrap:anywhere}
.external-id{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:var(--muted);overflow-wrap:anywhere}
h2{margin:36px 0 12px;font-size:17px}
.meta{color:var(--muted);margin:0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:12px;margin-top:24px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.card .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.card .value{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums;margin-top:2px}
.card .note{color:var(--muted);font-size:12px}
.table-wrap{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:10px}
table{border-collapse:collapse;width:100%;font-size:13.5px}
th,td{padding:8px 9px;text-align:right;white-space:nowrap;border-bottom:1px solid var(--line)}
th{background:#fafbfc;color:var(--muted);font-weight:600;font-size:11.5px;text-transform:uppercase;letter-spacing:.03em}
th.text,td.text{text-align:left}
tbody tr:last-child td{border-bottom:0}
tbody tr:nth-child(even) td{background:#fbfbfc}
td{font-variant-numeric:tabular-nums}
.outcome{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;background:#ecfdf5;color:var(--ok)}
.outcome.bad{background:#fef2f2;color:var(--bad)}
.turn{background:var(--card);border:1px solid var(--line);border-radius:10px;margin-bottom:12px;overflow:hidden}
.turn header{padding:8px 14px;border-bottom:1px solid var(--line);color:var(--muted);font-size:12.5px;background:#fafbfc}
.turn .who{padding:10px 14px 0;font-size:12px;font-weight:650;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.turn header a,td a{color:inherit}
.md{padding:2px 14px 10px;overflow-wrap:anywhere}
.md p,.md ul,.md ol,.md blockquote,.md pre,.md table{margin:6px 0}
.md pre{padding:8px 10px;background:#f3f4f6;border-radius:6px;white-space:pre-wrap;word-break:break-word}
.md code{font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.md :not(pre)>code{background:#f3f4f6;padding:1px 4px;border-radius:4px}
.md blockquote{border-left:3px solid var(--line);padding-left:10px;color:var(--muted)}
.md table{display:block;max-width:100%;overflow-x:auto;border-collapse:collapse}
.md th,.md td{border:1px solid var(--line);padding:4px 8px;text-align:left;white-space:normal}
.md h4,.md h5,.md h6{margin:10px 0 4px;font-size:14px}
.empty{color:var(--muted);font-style:italic}
footer{margin-top:40px;color:var(--muted);font-size:12.5px;border-top:1px solid var(--line);padding-top:14px}
.notfound{max-width:560px;margin:12vh auto;text-align:center;padding:0 24px}
.notfound .brand{justify-content:center}
.notfound .code{font-size:64px;font-weight:700;color:var(--accent);margin:0}
@media (max-width:720px){
main{padding:20px 12px 32px}
.table-wrap{background:none;border:0;overflow:visible}
.table-wrap table,.table-wrap tbody,.table-wrap tr,.table-wrap td{display:block;width:100%}
.table-wrap thead{display:none}
.table-wrap tr{background:var(--card);border:1px solid var(--line);border-radius:10px;margin-bottom:10px;padding:6px 0}
.table-wrap td,.table-wrap tbody tr:nth-child(even) td{display:flex;justify-content:space-between;gap:12px;white-space:normal;border:0;padding:3px 12px;background:none}
.table-wrap td::before{content:attr(data-label);color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.03em;text-align:left}
}
`;

/** The Content-Security-Policy for these pages: nothing may load, only this stylesheet applies. */
export const SHARE_PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const integer = new Intl.NumberFormat('en-US');

function formatInteger(value: number): string {
  return integer.format(value);
}

/** Exact USD from nano-USD: every significant digit kept, at least two decimals. */
export function formatUsd(nano: bigint): string {
  const negative = nano < 0n;
  const abs = negative ? -nano : nano;
  const whole = abs / 1_000_000_000n;
  let fraction = (abs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  if (fraction.length < 2) fraction = fraction.padEnd(2, '0');
  return `${negative ? '-' : ''}$${integer.format(Number(whole))}.${fraction}`;
}

function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

function layout(title: string, body: SafeHtml): string {
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex, nofollow"><meta name="referrer" content="no-referrer"><title>${title}</title><style>${new SafeHtml(STYLE)}</style></head><body><main>${body}</main></body></html>`.value}`;
}

const usdFigure = (usd: number) => formatUsd(BigInt(Math.round(usd * 1e9)));
const percent = (share: number | null) => (share === null ? '–' : `${(share * 100).toFixed(1)}%`);

/** Prompt caching in the session: hit rate, savings, writes never read within their TTL, the 5m/1h mix. */
function cacheSection(c: CacheInsightsDto): SafeHtml {
  return html`<h2>Prompt cache</h2>
<div class="table-wrap"><table><thead><tr><th>Hit rate</th><th>Saved by cache reads</th><th>Spent on cache writes</th><th>Writes never read within their TTL</th><th>Write mix (5 min / 1 h)</th></tr></thead>
<tbody><tr><td data-figure="cache-hit-rate">${percent(c.hit_rate)}</td><td data-figure="cache-saved">${usdFigure(c.saved_usd)}</td><td data-figure="cache-write-cost">${usdFigure(
    c.cache_write_usd,
  )}</td><td data-figure="cache-unread">${formatInteger(c.unread_writes)} (${usdFigure(c.unread_write_usd)})</td><td data-figure="cache-mix">${percent(
    c.write_mix.five_minute_share,
  )} / ${percent(c.write_mix.one_hour_share)}</td></tr></tbody></table></div>`;
}

/**
 * The agents as a tree: each under the agent that started it (a parent not among them, or none,
 * puts it at the top), each with its calls, tokens and cost. Shown when any call named an agent.
 */
function agentsSection(agents: SharePageAgent[]): SafeHtml | '' {
  if (!agents.some((a) => a.agentId !== null)) return '';
  const known = new Set(agents.map((a) => a.agentId));
  const children = new Map<string | null, SharePageAgent[]>();
  for (const agent of agents) {
    const parent =
      agent.parentAgentId !== null && known.has(agent.parentAgentId) && agent.parentAgentId !== agent.agentId
        ? agent.parentAgentId
        : null;
    const list = children.get(parent) ?? [];
    list.push(agent);
    children.set(parent, list);
  }
  const rows: SafeHtml[] = [];
  const seen = new Set<SharePageAgent>();
  const walk = (parent: string | null, depth: number) => {
    for (const agent of children.get(parent) ?? []) {
      if (seen.has(agent)) continue;
      seen.add(agent);
      rows.push(
        html`<tr data-agent="${agent.agentId ?? ''}"><td class="text" data-label="Agent" style="padding-left:${8 + depth * 18}px">${
          depth > 0 ? html`<span class="empty">↳ </span>` : ''
        }${agent.agentId === null ? html`<span class="empty">main</span>` : agent.agentId}</td><td data-label="Calls">${formatInteger(agent.calls)}</td><td data-label="Tokens">${formatInteger(agent.tokens)}</td><td data-label="Cost">${formatUsd(
          agent.costNanoUsd,
        )}</td></tr>`,
      );
      if (agent.agentId !== null) walk(agent.agentId, depth + 1);
    }
  };
  walk(null, 0);
  return html`<h2>Agents</h2>
<div class="table-wrap"><table><thead><tr><th class="text">Agent</th><th>Calls</th><th>Tokens</th><th>Cost</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function card(label: string, figure: string, value: string, note?: string): SafeHtml {
  return html`<div class="card"><div class="label">${label}</div><div class="value" data-figure="${figure}">${value}</div>${
    note ? html`<div class="note">${note}</div>` : ''
  }</div>`;
}

/** The calls table's columns; on a narrow screen each row becomes a card and these label its lines. */
const CALL_COLUMNS = [
  '#',
  'Time (UTC)',
  'Model',
  'Input',
  'Output',
  'Cache read',
  'Write 5 min',
  'Write 1 h',
  'Cost',
  'Latency',
  'Outcome',
];
const TEXT_COLUMNS = new Set(['Time (UTC)', 'Model', 'Outcome']);
const BUCKET_COLUMNS = ['Input', 'Output', 'Cache read', 'Cache write (5 min)', 'Cache write (1 h)', 'Total'];

function interactionRow(i: SharePageInteraction, index: number, withDate: boolean, linked: boolean): SafeHtml {
  const bad = i.outcome !== 'ok';
  const time = i.timestamp.toISOString();
  const cells = [
    // With a transcript, each call links to its turn (and the turn back to it).
    linked ? html`<a href="#turn-${index}">${index}</a>` : index,
    withDate ? `${time.slice(0, 10)} ${time.slice(11, 19)}` : time.slice(11, 19),
    i.model,
    formatInteger(i.inputTokens),
    formatInteger(i.outputTokens),
    formatInteger(i.cacheReadTokens),
    formatInteger(i.cacheWrite5mTokens),
    formatInteger(i.cacheWrite1hTokens),
    i.costNanoUsd === null ? html`<span class="empty">unpriced</span>` : formatUsd(i.costNanoUsd),
    `${formatInteger(i.latencyMs)} ms`,
    html`<span class="outcome${bad ? ' bad' : ''}">${i.outcome}</span>`,
  ];
  return html`<tr id="call-${index}">${cells.map(
    (cell, n) =>
      html`<td${TEXT_COLUMNS.has(CALL_COLUMNS[n]) ? html` class="text"` : ''} data-label="${CALL_COLUMNS[n]}">${cell}</td>`,
  )}</tr>`;
}

function transcriptTurn(i: SharePageInteraction, index: number): SafeHtml {
  const text = (value: string | null | undefined) =>
    value ? html`<div class="md">${renderMarkdown(value)}</div>` : html`<div class="md empty">(not recorded)</div>`;
  return html`<article class="turn" id="turn-${index}"><header><a href="#call-${index}">Turn ${index}</a> · ${i.model} · ${formatTime(
    i.timestamp,
  )}</header>
<div class="who">User</div>${text(i.userQuery)}<div class="who">Assistant</div>${text(i.finalOutput)}</article>`;
}

export function renderSharePage(view: SharePageView): string {
  const t = view.totals;
  const total = t.inputTokens + t.outputTokens + t.cacheReadTokens + t.cacheWrite5mTokens + t.cacheWrite1hTokens;
  const shown = view.interactions.length;
  // Within one UTC day the rows need only the time; the date is in the heading.
  const withDate = view.startTime.toISOString().slice(0, 10) !== view.endTime.toISOString().slice(0, 10);
  const body = html`
<div class="brand"><span class="lamp"></span>Lamplight · shared session</div>
${
  view.title
    ? html`<h1 data-figure="title">${view.title}</h1><div class="external-id" data-figure="session-id">${view.sessionId}</div>`
    : html`<h1 data-figure="session-id">${view.sessionId}</h1>`
}
<p class="meta"><span data-figure="time-range">${formatTime(view.startTime)} → ${formatTime(view.endTime)}</span> · ${formatDuration(
    view.endTime.getTime() - view.startTime.getTime(),
  )}</p>
<section class="cards">
${card('Requests', 'requests', formatInteger(t.requests))}
${card('Total tokens', 'total-tokens', formatInteger(total))}
${card('Cost', 'cost', formatUsd(t.costNanoUsd), t.unpricedRequests > 0 ? `plus ${formatInteger(t.unpricedRequests)} unpriced call(s)` : 'exact, from the pricing table')}
</section>
<h2>Tokens by bucket</h2>
<div class="table-wrap"><table><thead><tr>${BUCKET_COLUMNS.map((c) => html`<th>${c}</th>`)}</tr></thead>
<tbody><tr><td data-label="${BUCKET_COLUMNS[0]}" data-figure="input-tokens">${formatInteger(t.inputTokens)}</td><td data-label="${
    BUCKET_COLUMNS[1]
  }" data-figure="output-tokens">${formatInteger(t.outputTokens)}</td><td data-label="${BUCKET_COLUMNS[2]}" data-figure="cache-read-tokens">${formatInteger(
    t.cacheReadTokens,
  )}</td><td data-label="${BUCKET_COLUMNS[3]}" data-figure="cache-write-5m-tokens">${formatInteger(t.cacheWrite5mTokens)}</td><td data-label="${
    BUCKET_COLUMNS[4]
  }" data-figure="cache-write-1h-tokens">${formatInteger(t.cacheWrite1hTokens)}</td><td data-label="${BUCKET_COLUMNS[5]}">${formatInteger(
    total,
  )}</td></tr></tbody></table></div>
<h2>Calls${shown < view.totalInteractions ? ` (the first ${formatInteger(shown)} of ${formatInteger(view.totalInteractions)})` : ''}</h2>
<div class="table-wrap"><table><thead><tr>${CALL_COLUMNS.map((c) => html`<th${TEXT_COLUMNS.has(c) ? html` class="text"` : ''}>${c}</th>`)}</tr></thead>
<tbody>${
    shown === 0
      ? html`<tr><td colspan="11" class="text empty">No calls recorded yet.</td></tr>`
      : view.interactions.map((i, n) => interactionRow(i, n + 1, withDate, view.includeContent))
  }</tbody></table></div>
${view.cache ? cacheSection(view.cache) : ''}
${view.agents ? agentsSection(view.agents) : ''}
${view.includeContent ? html`<h2>Transcript</h2>${view.interactions.map((i, n) => transcriptTurn(i, n + 1))}` : ''}
<footer>A read-only view shared through Lamplight. ${
    view.expiresAt ? `This link expires at ${formatTime(view.expiresAt)}.` : 'This link does not expire.'
  } ${view.includeContent ? '' : 'Conversation content is not shared.'}</footer>`;
  return layout(`${view.title || view.sessionId} · Shared session · Lamplight`, body);
}

/** The page for a link that does not resolve (unknown, removed, expired), or any other failure. */
export function renderErrorPage(status: number, heading: string, message: string): string {
  return layout(
    `${heading} · Lamplight`,
    html`<div class="notfound"><div class="brand"><span class="lamp"></span>Lamplight</div>
<p class="code">${status}</p><h1>${heading}</h1><p class="meta">${message}</p></div>`,
  );
}
