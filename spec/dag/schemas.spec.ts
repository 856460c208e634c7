import { dagSpecSchema, defineDag, taskSpecSchema } from '../../src';

/** The public zod schemas, as a tool that validates specs without running them uses them. */
describe('dagSpecSchema', () => {
  it("should check each task's fields, not only that tasks is an array", () => {
    const parsed = dagSpecSchema.safeParse({ id: 'x', tasks: [{ bogus: 1 }, 5, null, { id: 'ok', agent: 'w', weight: 0 }] });
    expect(parsed.success).toBe(false);
    const paths = parsed.error!.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['tasks.0.id', 'tasks.1', 'tasks.2', 'tasks.3.weight']));
  });

  it('should accept every spec defineDag accepts, and what only the whole DAG shows is left to defineDag', () => {
    const spec = {
      id: 'ok',
      defaults: { agent: 'w', retry: { attempts: 2 } },
      tasks: [{ id: 'a' }, { id: 'b', deps: ['a'], limits: { api: 2 }, when: 'all-done' as const }],
    };
    expect(dagSpecSchema.safeParse(spec).success).toBe(true);
    expect(defineDag(spec).size).toBe(2);
    const unknownDep = { id: 'dangling', tasks: [{ id: 'a', agent: 'w', deps: ['nope'] }] };
    expect(dagSpecSchema.safeParse(unknownDep).success).toBe(true);
    expect(() => defineDag(unknownDep)).toThrow(/nope/);
    expect(taskSpecSchema.safeParse(spec.tasks[1]).success).toBe(true);
  });
});
