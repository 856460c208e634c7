import { execFileSync } from 'node:child_process';
import { commandLine, shellWord } from '../../src/cli/shellWord';

/** The words a POSIX shell makes of `line`. */
function wordsOf(line: string): string[] {
  return execFileSync('sh', ['-c', `set -- ${line}; printf '%s\\0' "$@"`], { encoding: 'utf8', timeout: 5000 })
    .split('\0')
    .slice(0, -1);
}

/** The words bash makes of `line` (`$'…'` is not POSIX sh's). */
function bashWordsOf(line: string): string[] {
  return execFileSync('bash', ['-c', `set -- ${line}; printf '%s\\0' "$@"`], { encoding: 'utf8', timeout: 5000 })
    .split('\0')
    .slice(0, -1);
}

/** The command lines the CLI prints for the user to paste (`resume with: …`) are read by a shell as the CLI meant them. */
describe('shellWord and commandLine', () => {
  it.each(['release-20261202-0712-a1b2', 'wéird dag 🚀-20261202-0712-a1b2', "it's $HOME `x` *", '', 'a\\b'])(
    'should give %j to the shell as one word, unchanged',
    (text) => {
      expect(wordsOf(shellWord(text))).toEqual([text]);
    },
  );

  it.each(['st\nnl', 'tab\there', "it's\n\\n $HOME", 'esc\u001b[31m', 'sep\u2028x'])(
    'should give %j to bash as one word, unchanged, written on one line without a control character',
    (text) => {
      const word = shellWord(text);
      expect(word).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
      expect(bashWordsOf(word)).toEqual([text]);
    },
  );

  it('should leave a safe word as it is', () => {
    expect(shellWord('runs/store-1')).toBe('runs/store-1');
  });

  it('should put the operand before the flags, quoted', () => {
    const line = commandLine('rxdag resume', 'wéird dag 🚀-20261202-0712-a1b2', ` --store ${shellWord('/tmp/my runs')}`);
    expect(line).toBe("rxdag resume 'wéird dag 🚀-20261202-0712-a1b2' --store '/tmp/my runs'");
    expect(wordsOf(line)).toEqual(['rxdag', 'resume', 'wéird dag 🚀-20261202-0712-a1b2', '--store', '/tmp/my runs']);
  });

  it('should put an operand that starts with "-" last, after --, so that it is not read as an option', () => {
    expect(commandLine('rxdag resume', '-x-20261202-0712-a1b2', ' --store runs')).toBe(
      'rxdag resume --store runs -- -x-20261202-0712-a1b2',
    );
    expect(commandLine('rxdag resume', '-x-20261202-0712-a1b2')).toBe('rxdag resume -- -x-20261202-0712-a1b2');
  });
});
