import {
  escapeHtml,
  formatDuration,
  formatUsd,
  html,
  renderErrorPage,
  renderMarkdown,
  renderSharePage,
  SHARE_PAGE_CSP,
  type SharePageView,
} from './share-page.template';

describe('share page templates', () => {
  it('escapes every interpolation unless it is markup made by html', () => {
    const name = `<img src=x onerror="alert('x')">&`;
    expect(escapeHtml(name)).toBe('&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;');
    expect(html`<b>${name}</b>`.toString()).toBe(`<b>${escapeHtml(name)}</b>`);
    expect(html`<i>${[html`<b>${'<'}</b>`, '<']}</i>`.toString()).toBe('<i><b>&lt;</b>&lt;</i>');
  });

  it('writes exact dollar amounts', () => {
    expect(formatUsd(0n)).toBe('$0.00');
    expect(formatUsd(16_275_000n)).toBe('$0.016275');
    expect(formatUsd(1_234_500_000_000n)).toBe('$1,234.50');
    expect(formatUsd(1n)).toBe('$0.000000001');
  });

  it('writes durations', () => {
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(5_400_000)).toBe('1 h 30 min');
  });

  it('renders a page with nothing that loads or runs, and escapes session data', () => {
    const page = renderSharePage({
      sessionId: '<script>alert(1)</script>',
      startTime: new Date('2026-11-23T10:00:00Z'),
      endTime: new Date('2026-11-23T11:30:00Z'),
      totals: {
        requests: 1,
        inputTokens: 1200,
        outputTokens: 80,
        cacheReadTokens: 0,
        cacheWrite5mTokens: 0,
        cacheWrite1hTokens: 0,
        costNanoUsd: 4_800_000n,
        unpricedRequests: 0,
      },
      interactions: [
        {
          timestamp: new Date('2026-11-23T10:00:00Z'),
          model: 'claude-sonnet-4-6',
          inputTokens: 1200,
          outputTokens: 80,
          cacheReadTokens: 0,
          cacheWrite5mTokens: 0,
          cacheWrite1hTokens: 0,
          costNanoUsd: 4_800_000n,
          latencyMs: 950,
          outcome: 'ok',
          userQuery: '</pre><script>steal()</script>',
          finalOutput: 'fine',
        },
      ],
      totalInteractions: 1,
      includeContent: true,
      expiresAt: null,
    });
    expect(page).not.toMatch(/<script/i);
    // The only links are the page's own anchors (calls to turns and back).
    expect(page).not.toMatch(/\ssrc=|\shref="(?!#)/i);
    expect(page).toContain('<a href="#turn-1">1</a>');
    expect(page).toContain('<article class="turn" id="turn-1"><header><a href="#call-1">Turn 1</a>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&lt;/pre&gt;&lt;script&gt;steal()&lt;/script&gt;');
    expect(page).toContain('1,200');
    expect(page).toContain('$0.0048');
    expect(page).toContain('1 h 30 min');
    expect(SHARE_PAGE_CSP).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(renderErrorPage(404, 'Gone', '<x>')).toContain('&lt;x&gt;');
  });

  it('renders Markdown with formatting only: raw HTML stays text, links keep their text, no images', () => {
    expect(renderMarkdown('**bold** and `code`\n\n- one\n- two').toString()).toBe(
      '<p><strong>bold</strong> and <code>code</code></p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n',
    );
    const hostile = renderMarkdown(
      '<script>steal()</script> <b onmouseover="x()">b</b> [click](javascript:alert(1)) [site](https://evil.example) ![x](https://evil.example/p.png)\n\n# Big',
    ).toString();
    // Tags in the text are text: escaped, never elements or attributes.
    expect(hostile).not.toMatch(/<script|<b[\s>]|<a[\s>]|<img|href=|src=/i);
    expect(hostile).toContain('&lt;script&gt;steal()&lt;/script&gt; &lt;b onmouseover="x()"&gt;b&lt;/b&gt;');
    expect(hostile).toContain('click');
    expect(hostile).toContain('site');
    expect(hostile).toContain('<h4>Big</h4>');
    expect(renderMarkdown('```\n<tag> & more\n```').toString()).toBe(
      '<pre><code>&lt;tag&gt; &amp; more\n</code></pre>\n',
    );
  });

  it("heads the page with the session's title, its external id beneath; the external id alone without one", () => {
    const view: SharePageView = {
      sessionId: 'chat-123',
      title: 'Checkout <refactor>',
      startTime: new Date('2026-11-23T10:00:00Z'),
      endTime: new Date('2026-11-23T10:00:00Z'),
      totals: {
        requests: 0,
        inputTokens: 0,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheWrite5mTokens: 0,
        cacheWrite1hTokens: 0,
        costNanoUsd: 0n,
        unpricedRequests: 0,
      },
      interactions: [],
      totalInteractions: 0,
      includeContent: false,
      expiresAt: null,
    };
    const titled = renderSharePage(view);
    expect(titled).toContain(
      '<h1 data-figure="title">Checkout &lt;refactor&gt;</h1><div class="external-id" data-figure="session-id">chat-123</div>',
    );
    expect(titled).toContain('<title>Checkout &lt;refactor&gt; · Shared session · Lamplight</title>');
    expect(renderSharePage({ ...view, title: null })).toContain('<h1 data-figure="session-id">chat-123</h1>');
  });
});
