import fc from 'fast-check';
import type { Pool } from 'pg';
import { byOrganization, InteractionWriter, writeFailureKind } from './interaction-writer.repository';

const pgError = (code: string) => Object.assign(new Error(`postgres error ${code}`), { code });

describe('writeFailureKind', () => {
  it('holds a batch for a retry when the database cannot take it now', () => {
    for (const error of [
      pgError('08006'), // connection failure
      pgError('08001'),
      pgError('57P01'), // admin shutdown
      pgError('57P03'), // cannot connect now
      pgError('53300'), // too many connections
      pgError('53100'), // disk full
      pgError('40001'), // serialization failure
      pgError('40P01'), // deadlock
      pgError('57014'), // statement timeout
      pgError('55P03'), // lock not available
      pgError('42703'), // undefined column: every row alike, an operator's problem
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new Error('something nobody anticipated'),
    ]) {
      expect([error.message, writeFailureKind(error)]).toEqual([error.message, 'outage']);
    }
  });

  it('isolates the rows of a batch the database refuses for what they hold', () => {
    for (const error of [
      pgError('22P02'), // invalid text representation (ill-formed JSON text)
      pgError('22003'), // numeric value out of range
      pgError('22001'), // string too long
      pgError('22021'), // NUL in text
      pgError('23503'), // foreign key violation
      pgError('23514'), // check violation
      pgError('21000'), // cardinality
      pgError('54000'), // a value too large
      new TypeError('Do not know how to serialize a BigInt'),
      new RangeError('Invalid string length'),
    ]) {
      expect([error.message, writeFailureKind(error)]).toEqual([error.message, 'data']);
    }
  });
});

describe('byOrganization', () => {
  it('splits a batch into one group per organization, every item kept once, in its order, groups in order of first appearance', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ organizationId: fc.constantFrom('a', 'b', 'c', 'd'), n: fc.nat() })),
        (items) => {
          const groups = byOrganization(items, (item) => item.organizationId);
          for (const group of groups) {
            expect(group.length).toBeGreaterThan(0);
            expect(new Set(group.map((item) => item.organizationId)).size).toBe(1);
          }
          const organizations = groups.map((group) => group[0].organizationId);
          expect(organizations).toEqual([...new Set(items.map((item) => item.organizationId))]);
          for (const group of groups)
            expect(group).toEqual(items.filter((item) => item.organizationId === group[0].organizationId));
        },
      ),
    );
  });

  it('keeps a batch of one organization whole, and makes nothing of nothing', () => {
    const items = [{ organizationId: 'a' }, { organizationId: 'a' }];
    expect(byOrganization(items, (item) => item.organizationId)).toEqual([items]);
    expect(byOrganization([], () => 'a')).toEqual([]);
  });
});

describe('InteractionWriter.statementsOf', () => {
  // Only the grouping is exercised here: no statement is sent.
  const writer = (databaseDistributed: boolean) => new InteractionWriter({} as Pool, { databaseDistributed });
  const batches = fc.array(fc.record({ organizationId: fc.constantFrom('a', 'b', 'c'), n: fc.nat() }));

  it('writes a batch of any organizations in one statement on a single database', () => {
    fc.assert(
      fc.property(batches, (items) => {
        const statements = writer(false).statementsOf(items, (item) => item.organizationId);
        expect(statements).toEqual(items.length > 0 ? [items] : []);
      }),
    );
  });

  it('writes one statement per organization when the tables are distributed by organization', () => {
    fc.assert(
      fc.property(batches, (items) => {
        const organizationOf = (item: { organizationId: string }) => item.organizationId;
        expect(writer(true).statementsOf(items, organizationOf)).toEqual(byOrganization(items, organizationOf));
      }),
    );
  });
});
