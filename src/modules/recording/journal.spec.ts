import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Journal } from './journal';

const OPTIONS = { sync: 'interval' as const, syncIntervalMs: 200, segmentBytes: 1024 * 1024, staleAfterMs: 60_000 };
/** A process id no process has here: above the kernel's largest. */
const GONE_PID = 4_194_304 + 17;

function journalIn(dataDir: string): Journal {
  return new Journal(dataDir, OPTIONS, (error) => {
    throw error;
  });
}

describe('Journal.claimOrphans', () => {
  it('claims the files of a process that is gone, and keeps returning them until they are replayed', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lamplight-journal-'));
    mkdirSync(join(dataDir, 'journal'));
    const orphan = `${encodeURIComponent(hostname())}~${GONE_PID}~abcdef~000001.jsonl`;
    writeFileSync(
      join(dataDir, 'journal', orphan),
      `${JSON.stringify({ id: 'a' })}\n${JSON.stringify({ id: 'b' })}\n{"torn`,
    );
    const journal = journalIn(dataDir);

    const claimed = journal.claimOrphans();
    expect(claimed).toHaveLength(1);
    expect(basename(claimed[0])).toMatch(new RegExp(`^claimed~.+~${orphan.replace(/[.~]/g, '\\$&')}$`));
    expect(Journal.read(claimed[0]).map((r) => r.id)).toEqual(['a', 'b']);

    // Its replay did not finish (the database was away): the next pass offers it again.
    expect(journal.claimOrphans()).toEqual(claimed);
    Journal.remove(claimed[0]);
    expect(journal.claimOrphans()).toEqual([]);
  });

  it("leaves alone a live instance's fresh files, and another instance never takes what this one claimed", () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lamplight-journal-'));
    mkdirSync(join(dataDir, 'journal'));
    // This process is alive: its files are only taken once stale.
    writeFileSync(
      join(dataDir, 'journal', `${encodeURIComponent(hostname())}~${process.pid}~live01~000001.jsonl`),
      '{"id":"x"}\n',
    );
    writeFileSync(
      join(dataDir, 'journal', `${encodeURIComponent(hostname())}~${GONE_PID}~gone01~000001.jsonl`),
      '{"id":"y"}\n',
    );
    const first = journalIn(dataDir);
    const second = journalIn(dataDir);
    const claimed = first.claimOrphans();
    expect(claimed.map((path) => Journal.read(path)[0].id)).toEqual(['y']);
    expect(second.claimOrphans()).toEqual([]);
    expect(readdirSync(join(dataDir, 'journal'))).toHaveLength(2);
  });

  it('takes the spool files of earlier versions as journal files, once', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lamplight-journal-'));
    mkdirSync(join(dataDir, 'spool'));
    writeFileSync(join(dataDir, 'spool', 'interactions.spool.jsonl'), '{"id":"old"}\n');
    const journal = journalIn(dataDir);
    const claimed = journal.claimOrphans();
    expect(claimed.map((path) => Journal.read(path)[0].id)).toEqual(['old']);
    expect(readdirSync(join(dataDir, 'spool'))).toEqual([]);
  });
});
