import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBuilt, ROOT } from '../cli/support/builtCli';
import { acquireLock } from '../../src/journal/lockFile';

/**
 * Taking over a stale lock from several processes at once (cron jobs resuming the runs of a
 * crashed host): real processes, each taking the same stale locks at the same instants, one
 * lock a round. Exactly one of them may own each lock: two owners would both run the run's
 * tasks and write its journal.
 */

const RACERS = 6;
const ROUNDS = 30;
const EVERY_MS = 40;
const LOCK_FILE = path.join(ROOT, 'dist', 'journal', 'lockFile.js');
const RACER = path.join(__dirname, 'fixtures', 'lockRacer.js');

/** A racer: the rounds it won once it has printed them (it owns those locks until `end()`), and its exit. */
function racer(dir: string, firstAt: number): { won: Promise<number[]>; end: () => Promise<void> } {
  const child = spawn(process.execPath, [RACER, LOCK_FILE, dir, String(ROUNDS), String(firstAt), String(EVERY_MS)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  void exited.then(() => clearTimeout(timer));
  let out = '';
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const won = new Promise<number[]>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.endsWith('\n')) resolve(JSON.parse(out) as number[]);
    });
    void exited.then((code) => reject(new Error(`a racer exited with ${code} before printing what it won: ${err}`)));
  });
  return {
    won,
    end: async () => {
      child.stdin!.end();
      await exited;
    },
  };
}

describe('the lock of a run in a folder, taken over by several processes at once', () => {
  let dir: string;
  beforeAll(() => ensureBuilt(), 120_000);
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-lock-race-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('should give each stale lock to exactly one of them', async () => {
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.on('exit', resolve));
    for (let round = 0; round < ROUNDS; round++) {
      fs.writeFileSync(path.join(dir, `round-${round}.lock`), JSON.stringify({ host: os.hostname(), pid: dead.pid, since: round }));
    }
    // far enough ahead for every racer to have started and be waiting
    const firstAt = Date.now() + 1500;
    const racers = Array.from({ length: RACERS }, () => racer(dir, firstAt));
    let won: number[][];
    try {
      won = await Promise.all(racers.map((one) => one.won));
    } finally {
      await Promise.all(racers.map((one) => one.end()));
    }
    const owners = Array.from({ length: ROUNDS }, (_, round) => won.filter((rounds) => rounds.includes(round)).length);
    expect(owners).toEqual(Array(ROUNDS).fill(1));
    // no takeover guard is left behind
    expect(fs.readdirSync(dir).filter((name) => !/^round-\d+\.lock$/.test(name))).toEqual([]);
  }, 60_000);

  it('should clear a takeover guard its holder left when it died in the middle of a takeover', async () => {
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.on('exit', resolve));
    const lock = path.join(dir, 'run.lock');
    const deadOwner = JSON.stringify({ host: os.hostname(), pid: dead.pid, since: 1 });
    fs.writeFileSync(lock, deadOwner);
    fs.writeFileSync(`${lock}.takeover`, deadOwner);
    const held = acquireLock(lock, 'run');
    expect(JSON.parse(fs.readFileSync(lock, 'utf8'))).toMatchObject({ pid: process.pid });
    expect(fs.readdirSync(dir)).toEqual(['run.lock']);
    held.release();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('should leave the takeover guard of a live process alone, and give up after waiting for it', () => {
    const lock = path.join(dir, 'run.lock');
    fs.writeFileSync(lock, JSON.stringify({ host: os.hostname(), pid: 2 ** 22 + 1, since: 1 }));
    // a live process (this one) is in the middle of a takeover that never ends
    fs.writeFileSync(`${lock}.takeover`, JSON.stringify({ host: os.hostname(), pid: process.pid, since: 1 }));
    expect(() => acquireLock(lock, 'run')).toThrow('another process taking it over at the same time');
    expect(fs.readdirSync(dir).sort()).toEqual(['run.lock', 'run.lock.takeover']);
  });
});
