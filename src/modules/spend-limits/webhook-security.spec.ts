import { isBlockedAddress, signWebhook, verifyWebhook, webhookUrlProblem } from './webhook-security';

describe('webhook URL check', () => {
  const resolveTo = (addresses: string[]) => () => Promise.resolve(addresses);

  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
  ])('blocks %s', (address) => expect(isBlockedAddress(address)).toBe(true));

  it.each(['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '8.8.8.8'])('allows public %s', (address) =>
    expect(isBlockedAddress(address)).toBe(false),
  );

  it('refuses a name when any address it resolves to is private', async () => {
    expect(
      await webhookUrlProblem('https://hooks.example.com/x', {
        allowPrivate: false,
        resolve: resolveTo(['93.184.216.34', '10.0.0.5']),
      }),
    ).toMatch(/private/);
    expect(
      await webhookUrlProblem('https://hooks.example.com/x', {
        allowPrivate: false,
        resolve: resolveTo(['93.184.216.34']),
      }),
    ).toBeNull();
  });

  it('refuses literal loopback, other schemes and credentials', async () => {
    expect(await webhookUrlProblem('http://127.0.0.1:8080/', { allowPrivate: false })).toMatch(/private/);
    expect(await webhookUrlProblem('http://[::1]/', { allowPrivate: false })).toMatch(/private/);
    expect(await webhookUrlProblem('file:///etc/passwd', { allowPrivate: false })).toMatch(/http/);
    expect(await webhookUrlProblem('https://u:p@example.com/', { allowPrivate: false })).toMatch(/credentials/);
    expect(await webhookUrlProblem('not a url', { allowPrivate: false })).toMatch(/URL/);
  });

  it('lets private targets through when configuration allows', async () => {
    expect(await webhookUrlProblem('http://127.0.0.1:8080/', { allowPrivate: true })).toBeNull();
  });
});

describe('webhook signature', () => {
  it('verifies what was signed and nothing else', () => {
    const header = signWebhook('whsec_a', 1_800_000_000, '{"a":1}');
    expect(verifyWebhook('whsec_a', header, '{"a":1}', 1_800_000_010)).toBe(true);
    expect(verifyWebhook('whsec_a', header, '{"a":2}', 1_800_000_010)).toBe(false);
    expect(verifyWebhook('whsec_b', header, '{"a":1}', 1_800_000_010)).toBe(false);
    expect(verifyWebhook('whsec_a', header, '{"a":1}', 1_800_001_000)).toBe(false);
  });
});
