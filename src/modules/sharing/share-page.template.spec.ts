import { escapeHtml, formatDuration, formatUsd, html, renderErrorPage, renderSharePage, SHARE_PAGE_CSP } from './share-page.template';

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
    expect(page).not.toMatch(/\s(src|href)=/i);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&lt;/pre&gt;&lt;script&gt;steal()&lt;/script&gt;');
    expect(page).toContain('1,200');
    expect(page).toContain('$0.0048');
    expect(page).toContain('1 h 30 min');
    expect(SHARE_PAGE_CSP).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(renderErrorPage(404, 'Gone', '<x>')).toContain('&lt;x&gt;');
  });
});
