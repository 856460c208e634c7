/**
 * Reads a DAG file's text, refusing before any parsing what is not a text DAG file: a missing
 * file or a folder, an empty file, a binary file (NUL bytes, or many control characters or bytes
 * that are not UTF-8), a UTF-16 file, a text in another encoding (Latin-1: refused at its first
 * byte that is not UTF-8, rather than read with U+FFFD in its ids and commands). Says nothing
 * about the text's syntax or content.
 */
import { isAscii } from 'node:buffer';
import { readFileSync, statSync } from 'node:fs';
import { fileStart } from '../fileStart';
import { InvalidInputError } from '../problems';

/** Share of control characters and undecodable bytes above which a file is taken for binary. */
const BINARY_SHARE = 0.1;
/** Characters looked at to tell binary from text: enough for a verdict, cheap on a huge file. */
const SAMPLE = 64 * 1024;

/** The text of `fileName` (a byte order mark removed); throws an {@link InvalidInputError} when there is no text DAG to read. */
export function readDagText(fileName: string): string {
  if (startsWithNul(fileName)) throw new InvalidInputError([{ message: `${fileName} is not a text DAG file (it looks binary)` }]);
  const bytes = readBytes(fileName);
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new InvalidInputError([{ message: `${fileName} is not a text DAG file in UTF-8 (it looks like UTF-16: save it as UTF-8)` }]);
  }
  // ASCII (most DAG files) reads the same in every encoding, and latin1 is the cheapest decoder
  const text = isAscii(bytes) ? bytes.toString('latin1') : decodeUtf8(bytes);
  if (text === undefined || looksBinary(bytes, text)) {
    const lossy = text ?? new TextDecoder('utf-8').decode(bytes);
    if (looksBinary(bytes, lossy)) throw new InvalidInputError([{ message: `${fileName} is not a text DAG file (it looks binary)` }]);
    const offset = firstNonUtf8(bytes);
    const { line, column } = positionOfByte(bytes, offset);
    const byte = bytes[offset]!.toString(16).toUpperCase().padStart(2, '0');
    throw new InvalidInputError([
      { file: fileName, line, column, message: `not UTF-8 text (byte 0x${byte}): a DAG file is UTF-8 (save it as UTF-8)` },
    ]);
  }
  return text;
}

/** The text of UTF-8 `bytes` without a byte order mark (editors on Windows may add one); `undefined` when they are not UTF-8. */
function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes); // drops a leading BOM
  } catch {
    return undefined;
  }
}

/**
 * The offset of the first byte of `bytes` that does not belong to a UTF-8 character, as the
 * decoder judges them (no overlong forms, no surrogates, nothing past U+10FFFF); a character
 * cut short by the end of the file is at its first byte.
 */
function firstNonUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length;) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    // the continuation bytes the lead byte needs, and the range the first of them must fall in
    const [length, low, high] =
      lead >= 0xc2 && lead <= 0xdf
        ? [2, 0x80, 0xbf]
        : lead === 0xe0
          ? [3, 0xa0, 0xbf]
          : lead === 0xed
            ? [3, 0x80, 0x9f]
            : lead >= 0xe1 && lead <= 0xef
              ? [3, 0x80, 0xbf]
              : lead === 0xf0
                ? [4, 0x90, 0xbf]
                : lead === 0xf4
                  ? [4, 0x80, 0x8f]
                  : lead >= 0xf1 && lead <= 0xf3
                    ? [4, 0x80, 0xbf]
                    : [0, 0, 0];
    if (length === 0 || i + length > bytes.length) return i;
    const second = bytes[i + 1]!;
    if (second < low || second > high) return i;
    for (let k = 2; k < length; k++) if (bytes[i + k]! < 0x80 || bytes[i + k]! > 0xbf) return i;
    i += length;
  }
  return 0; // not reached: the decoder found a byte that is not UTF-8
}

/** The 1-based line and column (in characters of the valid text before it) of the byte at `offset`. */
function positionOfByte(bytes: Buffer, offset: number): { line: number; column: number } {
  const lineStart = bytes.lastIndexOf(0x0a, offset - 1) + 1;
  let line = 1;
  for (let i = bytes.indexOf(0x0a); i >= 0 && i < offset; i = bytes.indexOf(0x0a, i + 1)) line++;
  const before = new TextDecoder('utf-8').decode(bytes.subarray(lineStart, offset));
  return { line, column: before.length + 1 };
}

/**
 * Whether the file holds bytes no DAG file (nor any other text the CLI reads: an events log) has:
 * a NUL anywhere, or, in its first characters, more than {@link BINARY_SHARE} of control
 * characters (other than tab, line feed and carriage return) and bytes that are not UTF-8.
 * `text` is `bytes` decoded (undecodable bytes as U+FFFD).
 */
export function looksBinary(bytes: Buffer, text: string): boolean {
  if (bytes.includes(0)) return true;
  const sample = text.slice(0, SAMPLE);
  let odd = 0;
  for (let i = 0; i < sample.length; i++) {
    const code = sample.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || (code >= 0x7f && code <= 0x9f) || code === 0xfffd) odd++;
  }
  return odd > 0 && odd > BINARY_SHARE * sample.length;
}

/**
 * Whether the first {@link SAMPLE} bytes of the regular file `fileName` hold a NUL, as a binary
 * file's do (not a UTF-16 one's, which its byte order mark tells): refused without reading the
 * rest, which may be hundreds of MiB (a sparse file). False when it cannot be read, or is too big
 * to read: the whole read says why.
 */
function startsWithNul(fileName: string): boolean {
  const start = fileStart(fileName, SAMPLE, MAX_INPUT_BYTES);
  if (start === undefined) return false;
  const utf16 = (start[0] === 0xff && start[1] === 0xfe) || (start[0] === 0xfe && start[1] === 0xff);
  return !utf16 && start.includes(0);
}

function readBytes(fileName: string): Buffer {
  return readInputBytes(fileName, 'DAG file', 'is a directory, expected a DAG file');
}

/**
 * The largest input file read: a DAG file is read as one string, which V8 keeps under 512 MiB
 * (an events log, read a line at a time, is given Node's 2 GiB limit of one read).
 */
const MAX_INPUT_BYTES = 500 * 2 ** 20;
export const MAX_LOG_BYTES = 2 * 2 ** 30 - 1;

/**
 * The bytes of a file the user named as input (`what`: `DAG file`, `events log`); an
 * {@link InvalidInputError} naming it and why when it cannot be read, `folder` when it is a folder.
 */
/** What Node makes of a name's bytes that are not UTF-8: no file can be named by it again. */
const NOT_UTF8 = '\ufffd';
const NOT_UTF8_NAME = 'its name holds bytes that are not UTF-8, shown as \ufffd, by which rxdag cannot name a file: rename it';

export function readInputBytes(fileName: string, what: string, folder: string, maxBytes = MAX_INPUT_BYTES): Buffer {
  try {
    // a device (`/dev/zero`) never ends, a file past the longest string cannot be read as text: neither is read
    const stat = statSync(fileName);
    if (stat.isCharacterDevice() || stat.isBlockDevice() || stat.isSocket()) {
      throw new InvalidInputError([{ file: fileName, message: `cannot read ${what}: it is a device, not a file` }]);
    }
    if (stat.isFile() && stat.size > maxBytes) {
      const size = `${(stat.size / 2 ** 20).toFixed(0)} MiB`;
      throw new InvalidInputError([
        { file: fileName, message: `cannot read ${what}: it is ${size}, more than rxdag reads (${Math.floor(maxBytes / 2 ** 20)} MiB)` },
      ]);
    }
    return readFileSync(fileName);
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? fileName.includes(NOT_UTF8)
          ? `no such file (${NOT_UTF8_NAME})`
          : 'no such file'
        : code === 'EISDIR'
          ? folder
          : code === 'EACCES'
            ? 'permission denied'
            : code === 'ELOOP'
              ? 'its symbolic links lead round in a loop'
              : code === 'ENOTDIR'
                ? 'a folder of its path is a file'
                : String((error as Error).message);
    throw new InvalidInputError([{ file: fileName, message: `cannot read ${what}: ${reason}` }]);
  }
}
