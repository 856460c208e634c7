/**
 * `npm test`: the type check (`tsc --noEmit`) and the jest suite, side by side. The suite spends
 * much of its time waiting on child processes, Redis and PostgreSQL, so the type check runs in
 * the CPU it leaves idle instead of before it (it took ~15 s of the run's wall time on 2 cores).
 *
 *   npm test [-- JEST_ARGS...]      e.g. npm test -- spec/dag
 *
 * Jest's output streams as usual; the type check's is held and printed once jest is done, so it
 * ends the output where it is seen (with `--watch`, once, as soon as it failed: the type check is not
 * watched). Exits non-zero when either failed (jest's code first), 130/143
 * on ctrl-c/SIGTERM (both are stopped). Not a test runner of its own: it only starts the two.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import path from 'node:path';

const root = path.join(__dirname, '..');
const bin = (name: string): string => path.join(root, 'node_modules', '.bin', name);

interface Ended {
  readonly code: number;
  readonly output: string;
  readonly seconds: number;
}

/** Runs `command`; with `hold`, keeps what it prints instead of passing it through. */
function started(command: string, args: readonly string[], hold: boolean): { child: ChildProcess; ended: Promise<Ended> } {
  const began = Date.now();
  const child = spawn(command, args, { cwd: root, stdio: hold ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (output += text));
  const ended = new Promise<Ended>((resolve) => {
    child.on('error', (error) => resolve({ code: 1, output: `${command}: ${error.message}\n`, seconds: 0 }));
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? (signal === null ? 1 : 128 + (constants.signals[signal] ?? 0)),
        output,
        seconds: (Date.now() - began) / 1000,
      }),
    );
  });
  return { child, ended };
}

async function main(): Promise<number> {
  const typecheck = started(bin('tsc'), ['--noEmit', '-p', root], true);
  const jest = started(bin('jest'), process.argv.slice(2), false);
  // jest in watch mode never ends: there, a failed type check is said as soon as it is known
  const watching = process.argv.slice(2).some((arg) => arg === '--watch' || arg === '--watchAll');
  void typecheck.ended.then((checked) => {
    if (watching && checked.code !== 0) process.stderr.write(`\ntype check (tsc --noEmit): FAILED:\n${checked.output}`);
  });
  let stoppedBy: NodeJS.Signals | undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stoppedBy = signal;
      typecheck.child.kill('SIGTERM');
      jest.child.kill(signal);
    });
  }
  const [checked, tested] = await Promise.all([typecheck.ended, jest.ended]);
  if (stoppedBy !== undefined) return stoppedBy === 'SIGINT' ? 130 : 143;
  const took = `${checked.seconds.toFixed(0)} s, beside jest`;
  if (checked.code === 0) process.stderr.write(`\ntype check (tsc --noEmit): passed (${took})\n`);
  else if (!watching) process.stderr.write(`\ntype check (tsc --noEmit): FAILED (${took}):\n${checked.output}`); // said already
  return tested.code !== 0 ? tested.code : checked.code === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`npm test: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
