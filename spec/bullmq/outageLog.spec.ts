import { OutageLog, REPEAT_WINDOW_MS } from '../../src/bullmq/outageLog';

describe('OutageLog', () => {
  const setUp = () => {
    const lines: string[] = [];
    let now = 0;
    const outages = new OutageLog(
      (line) => lines.push(line),
      () => now,
    );
    return { lines, outages, advance: (ms: number) => (now += ms) };
  };

  it("should log an outage's first error once, and its end", () => {
    const { lines, outages } = setUp();
    outages.failed('queue "shell"', 'connect ECONNREFUSED 127.0.0.1:6379', 'down');
    outages.failed('queue "shell"', 'read ECONNRESET', 'down again');
    outages.connected('queue "shell"', 'up');
    outages.connected('queue "shell"', 'up again');
    expect(lines).toEqual(['down', 'up']);
  });

  it('should log a refused command once in the window, then with how often it came meanwhile (BullMQ tries it again at once)', () => {
    const { lines, outages, advance } = setUp();
    const refused = 'queue "shell": NOPERM this user has no permissions to access one of the keys used as arguments';
    for (let i = 0; i < 5000; i++) outages.failed('queue "shell"', 'NOPERM …', refused);
    outages.failed('queue "sleep"', 'NOPERM …', 'another line');
    expect(lines).toEqual([refused, 'another line']);
    advance(REPEAT_WINDOW_MS);
    outages.failed('queue "shell"', 'NOPERM …', refused);
    expect(lines.at(-1)).toBe(`${refused} (and 4999 times more since it was said)`);
    advance(REPEAT_WINDOW_MS);
    outages.failed('queue "shell"', 'NOPERM …', refused);
    expect(lines.at(-1)).toBe(refused);
  });

  it('should keep a bounded number of lines, forgetting the oldest first', () => {
    const { lines, outages } = setUp();
    for (let i = 0; i < 101; i++) outages.failed('q', 'NOPERM', `line ${i}`);
    outages.failed('q', 'NOPERM', 'line 0'); // forgotten: said again
    outages.failed('q', 'NOPERM', 'line 100'); // kept: not said
    expect(lines.length).toBe(102);
    expect(lines.at(-1)).toBe('line 0');
  });
});
