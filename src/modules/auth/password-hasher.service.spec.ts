import { PasswordHasher } from './password-hasher.service';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher({ nodeEnv: 'production' });
  const password = 'correct horse battery staple';

  it('hashes at the production cost outside tests, and at a cheap one under NODE_ENV=test; each verifies the other’s', async () => {
    const cheap = new PasswordHasher({ nodeEnv: 'test' });
    expect((await new PasswordHasher({ nodeEnv: 'development' }).hash(password)).split('$')[1]).toBe('32768');
    const cheapHash = await cheap.hash(password);
    expect(cheapHash.split('$').slice(0, 4)).toEqual(['scrypt', '1024', '8', '1']);
    await expect(cheap.verify(password, cheapHash)).resolves.toBe(true);
    await expect(hasher.verify(password, cheapHash)).resolves.toBe(true);
    await expect(cheap.verify(password, await hasher.hash(password))).resolves.toBe(true);
    await expect(cheap.verify('not it', cheapHash)).resolves.toBe(false);
  });

  it('verifies a password against its own hash, in the self-describing scrypt format', async () => {
    const stored = await hasher.hash(password);
    const parts = stored.split('$');
    expect(parts).toHaveLength(6);
    expect(parts.slice(0, 4)).toEqual(['scrypt', '32768', '8', '1']);
    expect(Buffer.from(parts[4], 'base64url')).toHaveLength(16);
    expect(Buffer.from(parts[5], 'base64url')).toHaveLength(32);
    expect(stored).not.toContain(password);
    await expect(hasher.verify(password, stored)).resolves.toBe(true);
  });

  it('refuses a wrong password, including near misses', async () => {
    const stored = await hasher.hash(password);
    await expect(hasher.verify('correct horse battery stapler', stored)).resolves.toBe(false);
    await expect(hasher.verify('Correct horse battery staple', stored)).resolves.toBe(false);
    await expect(hasher.verify('', stored)).resolves.toBe(false);
  });

  it('salts every hash afresh, so equal passwords give different hashes that both verify', async () => {
    const first = await hasher.hash(password);
    const second = await hasher.hash(password);
    expect(first).not.toBe(second);
    expect(first.split('$')[4]).not.toBe(second.split('$')[4]);
    expect(first.split('$')[5]).not.toBe(second.split('$')[5]);
    await expect(hasher.verify(password, first)).resolves.toBe(true);
    await expect(hasher.verify(password, second)).resolves.toBe(true);
  });

  describe('a malformed stored hash is false, never an error and never a match', () => {
    const salt = Buffer.alloc(16, 7).toString('base64url');
    const key = Buffer.alloc(32, 9).toString('base64url');
    const cases: [string, string][] = [
      ['empty', ''],
      ['not a hash at all', 'plain text password'],
      ['another scheme', `bcrypt$32768$8$1$${salt}$${key}`],
      ['missing parts', `scrypt$32768$8$1$${salt}`],
      ['extra parts', `scrypt$32768$8$1$${salt}$${key}$extra`],
      ['non-numeric parameters', `scrypt$abc$def$ghi$${salt}$${key}`],
      ['N not a power of two', `scrypt$1000$8$1$${salt}$${key}`],
      ['zero parameters', `scrypt$0$0$0$${salt}$${key}`],
      ['absurdly large N', `scrypt$${2 ** 40}$8$1$${salt}$${key}`],
      ['empty salt', `scrypt$32768$8$1$$${key}`],
      ['empty hash', `scrypt$32768$8$1$${salt}$`],
      ['hash that decodes to nothing', `scrypt$32768$8$1$${salt}$!!!!`],
      ['hash with characters outside base64url', `scrypt$32768$8$1$${salt}$${key.slice(0, -2)}@#`],
    ];
    it.each(cases)('%s', async (_label, stored) => {
      await expect(hasher.verify(password, stored)).resolves.toBe(false);
      await expect(hasher.verify('', stored)).resolves.toBe(false);
    });

    it('a stored hash cut short does not match the password it was made from', async () => {
      const stored = await hasher.hash(password);
      const parts = stored.split('$');
      const truncated = [
        ...parts.slice(0, 5),
        Buffer.from(parts[5], 'base64url').subarray(0, 8).toString('base64url'),
      ].join('$');
      await expect(hasher.verify(password, truncated)).resolves.toBe(false);
    });
  });

  it('dummyVerify does the same scrypt work as a real verify (the unknown-account path of login)', async () => {
    const stored = await hasher.hash(password);
    const time = async (fn: () => Promise<unknown>) => {
      const start = process.hrtime.bigint();
      await fn();
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    const real: number[] = [];
    const dummy: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      real.push(await time(() => hasher.verify('wrong password here', stored)));
      dummy.push(await time(() => hasher.dummyVerify('wrong password here')));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[1];
    await expect(hasher.dummyVerify(password)).resolves.toBeUndefined();
    // A dummy that skipped the key derivation would take well under a millisecond.
    expect(median(dummy)).toBeGreaterThan(median(real) * 0.3);
  });
});
