import fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import type * as Program from '../../src/cli/program';

/**
 * `rxdag run --sync none` and `rxdag resume --sync none`: the folder store's journal writes each
 * group of events without syncing it to disk (a crash of rxdag loses nothing, one of the OS may
 * lose its last events); the default syncs. Counted by the `fdatasync` calls the command makes.
 */
describe('--sync', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-sync-'))));
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** `rxdag …argv` in this process, with the `fdatasync` calls it made. */
  async function counted(
    ...argv: string[]
  ): Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string; readonly syncs: number }> {
    let syncs = 0;
    const sync = fs.fdatasyncSync;
    jest.spyOn(fs, 'fdatasyncSync').mockImplementation((fd) => {
      syncs++;
      sync(fd);
    });
    // loaded afresh after the spy (each module's `import * as fs` copies the functions it finds
    // then), and so are the commands the program requires as they run
    jest.resetModules();
    const program = jest.requireActual<typeof Program>('../../src/cli/program');
    let stdout = '';
    let stderr = '';
    const sink = (add: (text: string) => void) =>
      new Writable({
        write(chunk: Buffer | string, _encoding, done) {
          add(chunk.toString());
          done();
        },
      });
    const code = await program.cli(argv, { stdout: sink((text) => (stdout += text)), stderr: sink((text) => (stderr += text)) }, '0.0.0');
    jest.restoreAllMocks();
    return { code, stdout, stderr, syncs };
  }

  const dag = () => {
    const file = path.join(dir, 'chain.json');
    const tasks = Array.from({ length: 20 }, (_, i) => ({ id: `t${i}`, sleep: 0, ...(i > 0 ? { deps: [`t${i - 1}`] } : {}) }));
    fs.writeFileSync(file, JSON.stringify({ id: 'chain', tasks }));
    return file;
  };

  it('should sync the journal by default, and not with --sync none, which still journals the run', async () => {
    const file = dag();
    const synced = await counted('run', file, '--store', path.join(dir, 'a'), '--quiet');
    const unsynced = await counted('run', file, '--store', path.join(dir, 'b'), '--quiet', '--sync', 'none');
    expect([synced.code, unsynced.code]).toEqual([0, 0]);
    // each link of the chain is released by the one before: a sync before each start
    expect(synced.syncs).toBeGreaterThanOrEqual(20);
    expect(unsynced.syncs).toBe(0);
    const runs = await counted('runs', '--store', path.join(dir, 'b'), '--json');
    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.stdout)).toMatchObject({ dagId: 'chain', status: 'succeeded', counts: { completed: 20 } });
  });

  it('should resume a run without syncing its journal with --sync none', async () => {
    const store = path.join(dir, 'c');
    expect((await counted('run', dag(), '--store', store, '--quiet')).code).toBe(0);
    // the journal as a crash halfway leaves it: its header and its first events
    const [journal] = fs.readdirSync(store).filter((name) => name.endsWith('.jsonl'));
    const lines = fs.readFileSync(path.join(store, journal!), 'utf8').split('\n');
    fs.writeFileSync(path.join(store, journal!), `${lines.slice(0, 20).join('\n')}\n`);
    const resumed = await counted('resume', '--store', store, '--quiet', '--sync', 'none');
    expect(resumed).toMatchObject({ code: 0, syncs: 0 });
  });

  it('should refuse a value other than fsync or none, --sync with --no-journal, and --sync none for a PostgreSQL store', async () => {
    const file = dag();
    expect(await counted('run', file, '--sync', 'always')).toMatchObject({
      code: 2,
      stderr: 'rxdag: --sync must be "fsync" or "none" (got "always")\n',
    });
    expect(await counted('run', file, '--sync', 'none', '--no-journal')).toMatchObject({
      code: 2,
      stderr: 'rxdag: --sync and --no-journal cannot be used together (--no-journal writes no journal to sync)\n',
    });
    const refused = await counted('run', file, '--sync', 'none', '--store', 'postgres://127.0.0.1:1/test');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^rxdag: --sync none is for a folder store: the store postgres:\/\/127\.0\.0\.1:1\/test is a PostgreSQL database/,
    );
  });
});
