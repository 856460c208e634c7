/**
 * Two "research -> draft -> review" runs sharing one scheduler. The simulated LLM agent allows
 * 2 calls at once over both runs (on up to 2 client instances, disposed when idle); the search
 * agent allows 3. The planner spawns one search task per question it finds (dynamic work);
 * the draft waits for all of them. Per-kind limits hold across the two runs, and both runs
 * take turns for slots.
 *
 * Run it: npx tsx examples/run.ts multi-agent (in a project that installed rxdag:
 * npx tsx node_modules/rxdag/examples/run.ts multi-agent). `main()` prints the runs;
 * `runTwoTopics()` returns their events. Nothing runs on import, so the file works as CommonJS
 * and as an ES module.
 */
import { lastValueFrom } from 'rxjs';
import { createScheduler, type DagEvent, defineAgent, defineDag, type SchedulerOptions } from 'rxdag';

/** A stand-in for an LLM client: answers after a delay, stops when aborted. */
export class FakeLlm {
  static created = 0;
  readonly name = `llm-client-${++FakeLlm.created}`;
  calls = 0;

  complete(prompt: string, signal: AbortSignal, ms = 20): Promise<string> {
    this.calls++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(`[${this.name}] ${prompt.slice(0, 60)}`), ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
  }
}

export function researchDag(topic: string) {
  return defineDag({
    id: `research-${topic.replace(/\W+/g, '-')}`,
    tasks: [
      { id: 'plan', agent: 'llm', input: { topic }, priority: 10 },
      { id: 'draft', deps: ['plan'], agent: 'llm', input: { topic } },
      { id: 'review', deps: ['draft'], agent: 'llm', retry: { attempts: 2, backoffMs: 10 } },
      { id: 'publish', deps: ['review'], agent: 'search' },
    ],
  });
}

export function researchAgents(): NonNullable<SchedulerOptions['agents']> {
  const llm = defineAgent({
    capacity: 2,
    maxInstances: 2,
    idleMs: 1000, // long enough that a busy machine never disposes a client between two calls of one run
    create: () => new FakeLlm(),
    run: async (ctx, client) => {
      if (ctx.id === 'plan') {
        const topic = (ctx.input as { topic: string }).topic;
        const questions = [`history of ${topic}`, `state of the art in ${topic}`, `open problems in ${topic}`];
        // dynamic work: one search per question; `draft` waits for all of them
        ctx.spawn(questions.map((question, i) => ({ id: `search-${i + 1}`, agent: 'search', input: { question } })));
        return client.complete(`plan for ${topic}: ${questions.join('; ')}`, ctx.signal);
      }
      const context = Object.entries(ctx.upstream)
        .map(([id, text]) => `${id}: ${String(text)}`)
        .join(' | ');
      return client.complete(`${ctx.id} using ${context}`, ctx.signal);
    },
  });
  const search = defineAgent({
    capacity: 3,
    run: ({ input, signal }) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => resolve(`results for "${(input as { question?: string } | undefined)?.question ?? 'publish'}"`), 10);
        signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)));
      }),
  });
  return { llm, search };
}

/** Runs two topics on one scheduler; returns every event of both runs, in order. */
export async function runTwoTopics(topics: readonly string[] = ['graph scheduling', 'reactive streams']): Promise<DagEvent[]> {
  const scheduler = createScheduler({ agents: researchAgents(), maxConcurrency: 4, healthCheckIntervalMs: 0 });
  const events: DagEvent[] = [];
  scheduler.events$.subscribe((event) => events.push(event));
  await Promise.all(topics.map((topic) => lastValueFrom(scheduler.submit(researchDag(topic), { runId: topic }))));
  await scheduler.shutdown();
  return events;
}

/** Runs the two topics and prints each event but `task.ready` and `dag.created`. */
export async function main(): Promise<void> {
  const events = await runTwoTopics();
  const start = events[0]!.at;
  for (const e of events) {
    if (e.type === 'task.ready' || e.type === 'dag.created') continue;
    const what = 'taskId' in e ? e.taskId : e.type === 'agent.available' ? e.agent : e.type === 'dag.completed' ? e.outcome : '';
    console.log(`+${String(e.at - start).padStart(4)}ms ${e.runId.padEnd(17)} ${e.type.padEnd(16)} ${what}`);
  }
}
