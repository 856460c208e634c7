import { PassThrough } from 'node:stream';
import { type CliIo, drawsProgress } from '../../../src/cli/commands/cliIo';

/** The live progress bar is drawn on a terminal that can take it, and never in a CI job's log. */
describe('whether a run draws the progress bar', () => {
  const io = (tty: boolean): CliIo => {
    const stream = Object.assign(new PassThrough(), { isTTY: tty, columns: 80 });
    return { stdout: stream, stderr: stream } as unknown as CliIo;
  };

  it.each<[string, boolean, NodeJS.ProcessEnv, boolean]>([
    ['a terminal', true, { TERM: 'xterm-256color' }, true],
    ['a pipe', false, { TERM: 'xterm-256color' }, false],
    ['a dumb terminal', true, { TERM: 'dumb' }, false],
    ['a CI job with a pseudo-terminal', true, { CI: 'true', TERM: 'xterm' }, false],
    ['CI=false', true, { CI: 'false' }, true],
    ['CI empty', true, { CI: '' }, true],
  ])('%s', (_, tty, env, expected) => {
    expect(drawsProgress(io(tty), env)).toBe(expected);
  });
});
