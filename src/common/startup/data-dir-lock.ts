import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StartupError } from './startup-error';

const LOCK_FILE = 'lamplight.pid';

export interface DataDirLock {
  file: string;
  release(): void;
}

/** Whether `pid` names a live process that could be another Lamplight (not this one). */
function isOtherLiveProcess(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A pid reused by some unrelated program after a crash does not hold the directory.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return true;
  }
}

/** The pid a PostgreSQL data directory's postmaster.pid names, when that process is alive. */
export function livePostmaster(pgDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/**
 * Claims DATA_DIR for this process: its journal, secrets and embedded PostgreSQL belong to one
 * instance at a time. A lock left by a process that is gone is taken over. Released on exit.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  const inUse = (pid: number) =>
    new StartupError(
      `DATA_DIR ${dataDir} is in use by another Lamplight (pid ${pid}); stop it, or set DATA_DIR to another directory.`,
    );
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (isOtherLiveProcess(holder)) throw inUse(holder);
      unlinkSync(file);
    }
  }
  const owner = () => {
    try {
      return Number(readFileSync(file, 'utf8').trim());
    } catch {
      return undefined;
    }
  };
  // Two starts racing over a stale lock: whoever wrote last holds it.
  const holder = owner();
  if (holder !== process.pid) throw inUse(holder ?? 0);
  const release = () => {
    process.removeListener('exit', release);
    if (owner() === process.pid) unlinkSync(file);
  };
  process.on('exit', release);
  return { file, release };
}
