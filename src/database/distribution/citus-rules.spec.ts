import { type CatalogFacts, checkCitusRules, tablesWritten } from './citus-rules';

const table = (name: string, columns: string[], keys: { name: string; kind: string; columns: string[] }[] = []) => ({
  name,
  columns: columns.map((c) => ({ name: c, notNull: true })),
  keys,
});

const GOOD: CatalogFacts = {
  tables: [
    table('organizations', ['id'], [{ name: 'organizations_pkey', kind: 'primary key', columns: ['id'] }]),
    table('users', ['id', 'default_organization_id'], [{ name: 'users_pkey', kind: 'primary key', columns: ['id'] }]),
    table(
      'sessions',
      ['organization_id', 'id'],
      [{ name: 'sessions_pkey', kind: 'primary key', columns: ['organization_id', 'id'] }],
    ),
    table(
      'interactions',
      ['organization_id', 'id', 'session_id'],
      [{ name: 'interactions_pkey', kind: 'primary key', columns: ['organization_id', 'id'] }],
    ),
  ],
  foreignKeys: [
    {
      name: 'users_default_organization',
      table: 'users',
      columns: ['default_organization_id'],
      referencedTable: 'organizations',
      referencedColumns: ['id'],
    },
    {
      name: 'interactions_session',
      table: 'interactions',
      columns: ['organization_id', 'session_id'],
      referencedTable: 'sessions',
      referencedColumns: ['organization_id', 'id'],
    },
    {
      name: 'sessions_organization',
      table: 'sessions',
      columns: ['organization_id'],
      referencedTable: 'organizations',
      referencedColumns: ['id'],
    },
  ],
  triggers: [
    {
      name: 'counts',
      table: 'sessions',
      rowLevel: true,
      onTruncate: false,
      transitionTables: false,
      functionName: 'f',
      functionSource:
        'begin insert into interactions (organization_id) values (new.organization_id) on conflict do update set x = 1; return null; end',
    },
  ],
};

describe('the Citus rules', () => {
  it('accept a schema keyed by organization', () => {
    expect(checkCitusRules(GOOD).violations).toEqual([]);
  });

  it('name each broken rule', () => {
    const broken: CatalogFacts = {
      tables: [
        ...GOOD.tables,
        table(
          'events',
          ['organization_id', 'id'],
          [{ name: 'events_pkey', kind: 'primary key', columns: ['id', 'organization_id'] }],
        ),
        table('loose', ['id']),
      ],
      foreignKeys: [
        ...GOOD.foreignKeys,
        {
          name: 'events_session',
          table: 'events',
          columns: ['id'],
          referencedTable: 'sessions',
          referencedColumns: ['id'],
        },
        { name: 'users_event', table: 'users', columns: ['id'], referencedTable: 'events', referencedColumns: ['id'] },
      ],
      triggers: [
        {
          name: 'sum',
          table: 'events',
          rowLevel: false,
          onTruncate: true,
          transitionTables: true,
          functionName: 'g',
          functionSource: 'begin update users set name = 1; delete from sessions; end',
        },
      ],
    };
    expect(
      checkCitusRules(broken)
        .violations.map((v) => `${v.table}: ${v.rule}`)
        .sort(),
    ).toEqual([
      'events: foreign key across shards',
      'events: key not led by the distribution column',
      'events: statement-level trigger',
      'events: transition tables',
      'events: trigger writes outside the shard',
      'events: trigger writes outside the shard',
      'events: truncate trigger',
      'loose: unclassified table',
      'users: reference table pointing at a distributed table',
    ]);
  });

  it('find the tables a function writes', () => {
    expect(
      tablesWritten(
        'insert into "usage_daily" as d values (1) on conflict (a) do update set b = 1; UPDATE share_links set x = 1; delete from Foo',
      ),
    ).toEqual(['usage_daily', 'share_links', 'foo']);
  });
});
