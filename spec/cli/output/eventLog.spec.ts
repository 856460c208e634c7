import { readFileSync } from 'node:fs';
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

  it('should refuse a path it cannot open as an invalid option', () => {
    expect(() => EventLog.open(tmp.file('no/such/dir/log.jsonl'))).toThrow(InvalidInputError);
    expect(() => EventLog.open(tmp.file('no/such/dir/log.jsonl'))).toThrow(/^--events: cannot write ".*no\/such\/dir\/log\.jsonl": ENOENT/);
  });
});
