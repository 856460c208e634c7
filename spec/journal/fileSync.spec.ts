import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom } from 'rxjs';
import { type Agent, events, fileJournal, type JournalWriter, runDag, type TaskContext } from '../../src';

// what the journal did to its files, in order: `write` and `sync`, and each agent call (`call <task>`)
let calls: string[] = [];

// every module of this file sees these (one that imports `* as fs` has a copy of the module's members, which a spy on it would miss)
jest.mock('node:fs', () => {
  const actual = jest.requireActual<typeof import('node:fs')>('node:fs');
  return {
    ...actual,
    writeSync: (...args: Parameters<typeof actual.writeSync>) => {
      calls.push('write');
      return (actual.writeSync as (...all: unknown[]) => number)(...args);
    },
    fdatasyncSync: (fd: number) => {
      calls.push('sync');
      actual.fdatasyncSync(fd);
    },
  };
});

/**
 * What `sync` promises of the file journal, which a kill cannot show (the OS keeps what a killed
 * process wrote): with `fsync`, each durable group is written and then synced (`fdatasync`)
 * before `append` returns, so before anything it releases starts; a group that is not durable is
 * synced by the next durable one, even an empty one; with `none`, nothing is synced. Checked by
 * watching the calls the journal makes to the file system, in order.
 */
describe('the file journal syncing its groups', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-file-sync-'));
    calls = [];
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const header = (runId: string) => ({
    runId,
    dagId: 'd',
    spec: { id: 'd', tasks: [{ id: 'a', agent: 'w' }] },
    options: { failurePolicy: 'skip-dependents' as const, contextInjection: false },
    createdAt: 0,
  });
  const created = (runId: string, at: number) => events.dagCreated({ runId, seq: 1, at, dagId: 'd', taskCount: 1 });
  const ready = (runId: string, seq: number) => events.taskReady({ runId, seq, at: 0, taskId: 'a', attempt: 1 });

  it('should sync each durable group after writing it, and a group not durable with the next durable one, empty or not', () => {
    const writer = fileJournal(dir).create(header('groups')) as JournalWriter;
    calls = [];
    writer.append([created('groups', 0)]);
    expect(calls).toEqual(['write', 'sync']);
    calls = [];
    writer.append([ready('groups', 2)], false);
    expect(calls).toEqual(['write']);
    writer.append([], true);
    expect(calls).toEqual(['write', 'sync']);
    calls = [];
    writer.append([], true); // nothing written since: nothing to sync
    expect(calls).toEqual([]);
    writer.close();
  });

  it('should sync nothing with sync: none', () => {
    const writer = fileJournal(dir, { sync: 'none' }).create(header('none')) as JournalWriter;
    writer.append([created('none', 0)]);
    writer.append([], true);
    writer.close();
    expect(calls.filter((call) => call === 'sync')).toEqual([]);
    expect(calls).toContain('write');
  });

  it("should have synced what released each task before its agent is called, in a run's journal", async () => {
    const w: Agent = ({ id }: TaskContext) => void calls.push(`call ${id}`);
    const spec = {
      id: 'chain',
      tasks: [
        { id: 'a', agent: 'w' },
        { id: 'b', agent: 'w', deps: ['a'] },
        { id: 'c', agent: 'w', deps: ['b'] },
      ],
    };
    const end = await lastValueFrom(runDag(spec, { agents: { w }, journal: fileJournal(dir), healthCheckIntervalMs: 0 }));
    expect(end).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    const agentCalls = calls.filter((call) => call.startsWith('call '));
    expect(agentCalls).toEqual(['call a', 'call b', 'call c']);
    for (const call of agentCalls) {
      const before = calls.slice(0, calls.indexOf(call));
      // something was written before it, and the last write was synced
      expect([call, before.lastIndexOf('write') >= 0, before.lastIndexOf('sync') > before.lastIndexOf('write')]).toEqual([
        call,
        true,
        true,
      ]);
    }
  });
});
