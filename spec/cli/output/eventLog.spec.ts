import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, readSync } from 'node:fs';
import { EventLog } from '../../../src/cli/output/eventLog';
import { InvalidInputError } from '../../../src/cli/problems';
import { eventsOf } from '../support/eventBuilder';
import { tempDir } from '../support/files';

describe('EventLog', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  const events = eventsOf(
    { type: 'dag.created', at: 0, dagId: 'd', taskCount: 0 },
    {
      type: 'dag.completed',
      at: 1,
      outcome: 'succeeded',
      counts: { total: 0, completed: 0, failed: 0, skipped: 0, cancelled: 0 },
      durationMs: 1,
    },
  );

  it('should write each event as one JSON line, all of it on disk after close', () => {
    const file = tmp.file('log.jsonl');
    const log = EventLog.open(file);
    events.forEach((event) => log.write(event));
    log.close();
    expect(readFileSync(file, 'utf8')).toBe(events.map((event) => `${JSON.stringify(event)}\n`).join(''));
  });

  it('should write buffered events at the end of the tick, before close', async () => {
    const file = tmp.file('tick.jsonl');
    const log = EventLog.open(file);
    log.write(events[0]!);
    expect(readFileSync(file, 'utf8')).toBe('');
    await new Promise((resolve) => setImmediate(resolve));
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(events[0])}\n`);
    log.close();
  });

  it('should not throw when a write fails, but stop, tell onError once and drop later events', async () => {
    const errors: NodeJS.ErrnoException[] = [];
    const log = EventLog.open('/dev/full', (error) => errors.push(error));
    log.write(events[0]!);
    await new Promise((resolve) => setImmediate(resolve)); // the tick's write fails: ENOSPC
    log.write(events[1]!);
    expect(() => log.close()).not.toThrow();
    expect(errors.map((error) => error.code)).toEqual(['ENOSPC']);
    expect(log.failure?.code).toBe('ENOSPC');
  });

  it('should report a failed write of close() through onError too, not as an exception', () => {
    const errors: string[] = [];
    const log = EventLog.open('/dev/full', (error) => errors.push(error.code ?? ''));
    events.forEach((event) => log.write(event));
    expect(() => log.close()).not.toThrow();
    expect(() => log.close()).not.toThrow();
    expect(errors).toEqual(['ENOSPC']);
  });

  /** A FIFO in the temp folder with a reader that takes nothing until `read()` drains it. */
  async function stalledReader(name: string) {
    const fifo = tmp.file(name);
    execFileSync('mkfifo', [fifo]);
    // opened without waiting (a writer comes later), read only when asked
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const read = async (): Promise<string> => {
      const chunks: Buffer[] = [];
      const buffer = Buffer.alloc(1 << 16);
      for (;;) {
        let length: number;
        try {
          length = readSync(fd, buffer);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
          await new Promise((resolve) => setTimeout(resolve, 5));
          continue;
        }
        if (length === 0) return Buffer.concat(chunks).toString('utf8'); // the writer closed
        chunks.push(Buffer.from(buffer.subarray(0, length)));
      }
    };
    return { fifo, read, close: () => closeSync(fd) };
  }

  it("should not hold the process while a pipe's reader takes nothing, and give it every event once it reads", async () => {
    const reader = await stalledReader('stalled.fifo');
    const log = EventLog.open(reader.fifo);
    // far more than a pipe holds (64 KB): a synchronous write would block here until read
    const many = Array.from({ length: 4000 }, (_, i) => ({ ...events[0]!, seq: i + 1 }));
    many.forEach((event) => log.write(event));
    let closed = false;
    const closing = log.close().then(() => (closed = true));
    const timerFired = await new Promise((resolve) => setTimeout(resolve, 50, true));
    expect(timerFired).toBe(true);
    expect(closed).toBe(false); // waits for the reader
    const text = await reader.read();
    await closing;
    reader.close();
    expect(text).toBe(many.map((event) => `${JSON.stringify(event)}\n`).join(''));
    expect(log.failure).toBeUndefined();
  });

  it('should tell onError once when the reader of a pipe goes away, and not wait for it', async () => {
    const reader = await stalledReader('gone.fifo');
    const errors: string[] = [];
    const log = EventLog.open(reader.fifo, (error) => errors.push(error.code ?? ''));
    reader.close();
    Array.from({ length: 2000 }, (_, i) => ({ ...events[0]!, seq: i + 1 })).forEach((event) => log.write(event));
    await log.close();
    expect(errors).toEqual(['EPIPE']);
  });

  it('should drop what a pipe did not take yet when closed at once (a second Ctrl-C)', async () => {
    const reader = await stalledReader('dropped.fifo');
    const log = EventLog.open(reader.fifo);
    Array.from({ length: 4000 }, (_, i) => ({ ...events[0]!, seq: i + 1 })).forEach((event) => log.write(event));
    await new Promise((resolve) => setTimeout(resolve, 20));
    log.closeNow();
    const text = await reader.read();
    reader.close();
    // what the pipe took before the close, and no more: whole lines, the last one perhaps cut
    const lines = text.split('\n');
    expect(lines.length).toBeLessThan(4000);
    expect(lines.slice(0, -1).every((line) => (JSON.parse(line) as { type: string }).type === 'dag.created')).toBe(true);
  });

  it('should refuse a path it cannot open as an invalid option', () => {
    expect(() => EventLog.open(tmp.file('no/such/dir/log.jsonl'))).toThrow(InvalidInputError);
    expect(() => EventLog.open(tmp.file('no/such/dir/log.jsonl'))).toThrow(/^--events: cannot write ".*no\/such\/dir\/log\.jsonl": ENOENT/);
  });
});
