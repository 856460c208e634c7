import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * How a benchmark script ends on ctrl-c (benchmarks/signals.ts): its clean-up runs to its end
 * even when the signal comes twice (tsx relays it once more ~30 ms later), and even under tsx's
 * command line while the script's own thread is busy (tsx SIGKILLs a process that does not
 * answer its relayed signal within ~60 ms); then it exits with 130.
 */

const ROOT = path.resolve(__dirname, '../..');
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;
const TSX_CLI = path.join(path.dirname(require.resolve('tsx/package.json')), 'dist/cli.mjs');

/** A script busy in turns of 400 ms (as a run in its own thread), whose clean-up takes 300 ms and leaves a file saying it ran. */
const SCRIPT = `
import { writeFileSync } from 'node:fs';
import { relayUnderTsx, stopOnSignals } from ${JSON.stringify(path.join(ROOT, 'benchmarks/signals'))};

async function main(): Promise<void> {
  const relay = relayUnderTsx();
  if (relay !== undefined) return relay;
  stopOnSignals(async (signal) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    writeFileSync(process.argv[2]!, signal);
  });
  process.stdout.write('ready\\n');
  for (;;) {
    const until = Date.now() + 400;
    while (Date.now() < until);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
void main();
`;

describe('stopOnSignals', () => {
  let dir: string;
  let script: string;
  let marker: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rxdag-bench-signals-'));
    script = path.join(dir, 'script.ts');
    marker = path.join(dir, 'cleaned');
    writeFileSync(script, SCRIPT);
  });

  /** The scripts started, each in a process group of its own: whatever a failed spec left running is killed with them. */
  const children: ChildProcess[] = [];
  const spawned = (args: readonly string[], cwd?: string): ChildProcess => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
      ...(cwd === undefined ? {} : { cwd }),
    });
    children.push(child);
    return child;
  };

  afterEach(() => {
    for (const child of children.splice(0)) {
      try {
        process.kill(-child.pid!, 'SIGKILL'); // tsx's script is a process of the group too
      } catch {
        // ended, with its group
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  type Ended = { code: number | null; signal: NodeJS.Signals | null };

  /** Resolves once the script printed `ready`, with a promise of how it will end (wrapped: an async function would wait for it). */
  async function started(child: ChildProcess): Promise<{ ended: Promise<Ended> }> {
    const ended = new Promise<Ended>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.once('exit', () => reject(new Error('the script ended before it was ready')));
    });
    return { ended };
  }

  /** The clean-up's file, waited for a few seconds (a process tsx SIGKILLed would never write it). */
  async function cleanedBy(): Promise<string | undefined> {
    for (let waited = 0; waited < 5000 && !existsSync(marker); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    return existsSync(marker) ? readFileSync(marker, 'utf8') : undefined;
  }

  it('should run its clean-up once to its end despite a repeated SIGINT (as tsx relays it), then exit with 130', async () => {
    const child = spawned(['--import', TSX_LOADER, script, marker]);
    const { ended } = await started(child);
    child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 30));
    child.kill('SIGINT');
    expect(await ended).toEqual({ code: 130, signal: null });
    expect(await cleanedBy()).toBe('SIGINT');
  });

  it("should clean up under tsx's command line while the script is busy: ctrl-c to the process group", async () => {
    const child = spawned([TSX_CLI, script, marker], ROOT);
    const { ended } = await started(child);
    process.kill(-child.pid!, 'SIGINT'); // as a terminal does: tsx, and every process under it
    expect(await ended).toEqual({ code: 130, signal: null });
    expect(await cleanedBy()).toBe('SIGINT');
  });

  it("should clean up under tsx's command line while the script is busy: SIGTERM to tsx alone", async () => {
    const child = spawned([TSX_CLI, script, marker], ROOT);
    const { ended } = await started(child);
    child.kill('SIGTERM');
    expect(await ended).toEqual({ code: 143, signal: null });
    expect(await cleanedBy()).toBe('SIGTERM');
  });
});
