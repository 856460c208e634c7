import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NEVER, of } from 'rxjs';
import { createScheduler, type DagEvent, defineDag, fileJournal, runDag } from '../../src';
import { inVirtualTime } from '../support/virtualTime';

/** The options a resumed run takes from its journal, and those its caller gives again. */
describe('the options of a resumed run', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-durable-start-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  // `stuck` never ends on its own; `slow` ends at frame 100
  const dag = defineDag({
    id: 'kept',
    tasks: [
      { id: 'stuck', agent: 'hang' },
      { id: 'slow', agent: 'slow' },
    ],
  });

  /** A run journaled with a 20 ms timeout and `fail-fast`, cut after `dag.created` as a `kill -9` would leave it. */
  function interruptedRun(runId: string): void {
    const journal = fileJournal(dir, { sync: 'none' });
    const agents = { hang: () => of(1), slow: () => of(2) };
    const options = { agents, journal, runId, taskTimeoutMs: 20, failurePolicy: 'fail-fast', healthCheckIntervalMs: 0 } as const;
    inVirtualTime((_, ts) => runDag(dag, { ...options, scheduler: ts }).subscribe());
    const file = path.join(dir, `${runId}.jsonl`);
    const [header, created] = fs.readFileSync(file, 'utf8').split('\n');
    fs.writeFileSync(file, `${header}\n${created}\n`);
  }

  it('should keep a journaled option the caller gives as undefined', () => {
    interruptedRun('r1');
    const events = inVirtualTime(({ cold }, ts) => {
      const seen: DagEvent[] = [];
      const scheduler = createScheduler({ journal: fileJournal(dir, { sync: 'none' }), scheduler: ts, healthCheckIntervalMs: 0 });
      const agents = { hang: () => NEVER, slow: () => cold('-'.repeat(100) + '(x|)', { x: 2 }) };
      scheduler.resume('r1', { agents, taskTimeoutMs: undefined, failurePolicy: undefined }).subscribe((event) => seen.push(event));
      return seen;
    });
    // the journaled timeout ends `stuck`, and the journaled `fail-fast` cancels `slow`
    expect(events.map((event) => ('taskId' in event ? `${event.type} ${event.taskId}` : event.type))).toEqual(
      expect.arrayContaining(['task.timed-out stuck', 'task.cancelled slow']),
    );
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'failed', at: 20 });
  });
});
