import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { waitFor } from '../bullmq/helpers';
import { ensureBuilt, runCli, startCli } from './support/builtCli';
import { tempDir, writeText } from './support/files';

/**
 * A FIFO as an events log or a report (a named pipe a reader tails): one no process reads is
 * refused before anything runs (opening it would wait for a reader with the whole process, deaf
 * to Ctrl-C and SIGTERM); one a process reads gets everything, its input not ended by the checks.
 */
/** Reads the FIFO `argv[1]` and echoes it, until an events log's last line or a page's end. */
const READER = `
const fs = require('node:fs');
const fd = fs.openSync(process.argv[1], fs.constants.O_RDWR);
process.stdout.write('ready\\n');
let text = '';
fs.createReadStream(null, { fd, encoding: 'utf8' }).on('data', (chunk) => {
  text += chunk;
  process.stdout.write(chunk);
  if (/"type":"dag\\.completed".*\\n$|<\\/html>\\s*$/.test(text)) process.exit(0);
});
`;

describe('rxdag run writing to a FIFO', () => {
  const tmp = tempDir();
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => tmp.remove());

  const dagWithMarker = (name: string) => {
    const marker = tmp.file(`${name}.ran`);
    return { marker, file: writeText(tmp.file(`${name}.yaml`), `id: ${name}\ntasks:\n  - id: a\n    run: touch '${marker}'\n`) };
  };

  it.each(['--events', '--report'])(
    'should refuse %s to a FIFO no process reads, exit 2, and run nothing',
    async (flag) => {
      const fifo = tmp.file(`unread${flag}`);
      execFileSync('mkfifo', [fifo]);
      const { file, marker } = dagWithMarker(`unread${flag.slice(2)}`);
      const result = await runCli(['run', file, '--no-journal', flag, fifo]);
      expect([result.code, result.stderr]).toEqual([
        2,
        `rxdag: ${flag}: cannot write "${fifo}": ENXIO (a FIFO no process reads: start its reader first)\n`,
      ]);
      expect(existsSync(marker)).toBe(false);
    },
    30_000,
  );

  it.each(['--events', '--report'])(
    'should write %s whole to a FIFO a process reads',
    async (flag) => {
      const fifo = tmp.file(`read${flag}`);
      execFileSync('mkfifo', [fifo]);
      // a reader that holds the FIFO open (read and write: never blocked, never at its end) and
      // stops once it read the whole output: ready before rxdag starts, as a tail started first is
      const reader = spawn(process.execPath, ['-e', READER, fifo], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 });
      let read = '';
      reader.stdout.setEncoding('utf8').on('data', (chunk: string) => (read += chunk));
      const readerDone = new Promise((resolve) => reader.once('close', resolve));
      while (!read.startsWith('ready\n')) await new Promise((resolve) => setTimeout(resolve, 10));
      const { file, marker } = dagWithMarker(`read${flag.slice(2)}`);
      const result = await runCli(['run', file, '--no-journal', '--quiet', flag, fifo]);
      await readerDone;
      expect(result.code).toBe(0);
      expect(existsSync(marker)).toBe(true);
      const output = read.slice('ready\n'.length);
      if (flag === '--report') expect(output).toMatch(/^<!DOCTYPE html>[\s\S]*<\/html>\s*$/);
      else
        expect(
          output
            .trim()
            .split('\n')
            .map((line) => (JSON.parse(line) as { type: string }).type),
        ).toEqual(['dag.created', 'task.ready', 'task.started', 'task.completed', 'dag.completed']);
    },
    30_000,
  );

  /** Runs `body` with a FIFO held open by a process that reads nothing (a tail whose terminal was suspended). */
  async function withStalledReader(name: string, body: (fifo: string) => Promise<void>): Promise<void> {
    const fifo = tmp.file(name);
    execFileSync('mkfifo', [fifo]);
    const reader = spawn(
      process.execPath,
      ['-e', `require('node:fs').openSync(process.argv[1], 'r+'); setTimeout(() => {}, 30_000)`, fifo],
      {
        stdio: 'ignore',
        timeout: 30_000,
      },
    );
    try {
      await body(fifo);
    } finally {
      reader.kill('SIGKILL');
    }
  }

  /** A DAG of far more events than a FIFO holds (64 KB), with `extra` tasks after them. */
  const manyEvents = (name: string, extra = '') => {
    const tasks = Array.from({ length: 400 }, (_, i) => `  - id: task-${i}-${'x'.repeat(100)}\n    sleep: 0\n`).join('');
    return writeText(tmp.file(`${name}.yaml`), `id: ${name}\ntasks:\n${tasks}${extra}`);
  };

  it('should stop on SIGTERM at once while the reader of its --events FIFO has stopped reading', async () => {
    await withStalledReader('stalled-events', async (fifo) => {
      const cli = startCli(['run', manyEvents('stalled', '  - id: last\n    run: sleep 20\n'), '--no-journal', '--events', fifo]);
      await cli.waitForStdout(/task\.started last/);
      const signalledAt = Date.now();
      cli.child.kill('SIGTERM');
      const result = await cli.done;
      expect(result.code).toBe(143);
      expect(Date.now() - signalledAt).toBeLessThan(5000);
      expect(result.stderr).toContain(
        `rxdag: the reader of the events log ${fifo} took not all of it within 2 s of the signal; the rest is dropped\n`,
      );
    });
  }, 30_000);

  it('should exit on SIGTERM within a few seconds when nothing reads its stdout', async () => {
    const fifo = tmp.file('stdout-unread');
    execFileSync('mkfifo', [fifo]);
    // both ends held here, neither read: the CLI's progress lines fill the pipe and wait
    const fd = openSync(fifo, constants.O_RDWR);
    try {
      const started = tmp.file('stdout-unread.started');
      const cli = startCli(
        ['run', manyEvents('unread-stdout', `  - id: last\n    run: touch '${started}'; sleep 20\n`), '--no-journal'],
        {},
        { stdoutFd: fd },
      );
      await waitFor(() => existsSync(started), 'the last task to start');
      const signalledAt = Date.now();
      cli.child.kill('SIGTERM');
      const result = await cli.done;
      expect(result.code).toBe(143);
      expect(Date.now() - signalledAt).toBeLessThan(6000);
    } finally {
      closeSync(fd);
    }
  }, 30_000);

  it("should exit with the run's own code on a signal that comes after the run ended, while the reader of its --events FIFO takes nothing", async () => {
    await withStalledReader('stalled-after', async (fifo) => {
      const cli = startCli(['run', manyEvents('ended'), '--events', fifo]);
      await cli.waitForStdout(/dag\.completed succeeded/);
      cli.child.kill('SIGTERM');
      const result = await cli.done;
      expect(result.code).toBe(0);
      expect(result.stderr).toContain(
        "rxdag: stopping on SIGTERM: the run had ended; what the events log's reader did not take is dropped\n",
      );
      expect(result.stderr).not.toContain('left interrupted');
    });
  }, 30_000);
});
