/**
 * Reads a DAG file's text, refusing before any parsing what is not a text DAG file: a missing
 * file or a folder, an empty file, a binary file (NUL bytes, or many control characters or bytes
 * that are not UTF-8), a UTF-16 file. Says nothing about the text's syntax or content.
 */
import { isAscii } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../problems';

/** Share of control characters and undecodable bytes above which a file is taken for binary. */
const BINARY_SHARE = 0.1;
/** Characters looked at to tell binary from text: enough for a verdict, cheap on a huge file. */
const SAMPLE = 64 * 1024;

/** The text of `fileName` (a byte order mark removed); throws an {@link InvalidInputError} when there is no text DAG to read. */
export function readDagText(fileName: string): string {
  const bytes = readBytes(fileName);
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new InvalidInputError([{ message: `${fileName} is not a text DAG file in UTF-8 (it looks like UTF-16: save it as UTF-8)` }]);
  }
  // ASCII (most DAG files) reads the same in every encoding, and latin1 is the cheapest decoder
  const text = isAscii(bytes) ? bytes.toString('latin1') : new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, ''); // editors on Windows may add a BOM
  if (looksBinary(bytes, text)) throw new InvalidInputError([{ message: `${fileName} is not a text DAG file (it looks binary)` }]);
  return text;
}

/**
 * Whether the file holds bytes no DAG file has: a NUL anywhere, or, in its first characters,
 * more than {@link BINARY_SHARE} of control characters (other than tab, line feed and carriage
 * return) and bytes that are not UTF-8.
 */
function looksBinary(bytes: Buffer, text: string): boolean {
  if (bytes.includes(0)) return true;
  const sample = text.slice(0, SAMPLE);
  let odd = 0;
  for (let i = 0; i < sample.length; i++) {
    const code = sample.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || (code >= 0x7f && code <= 0x9f) || code === 0xfffd) odd++;
  }
  return odd > 0 && odd > BINARY_SHARE * sample.length;
}

function readBytes(fileName: string): Buffer {
  try {
    return readFileSync(fileName);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory, expected a DAG file'
          : code === 'EACCES'
            ? 'permission denied'
            : String((error as Error).message);
    throw new InvalidInputError([{ file: fileName, message: `cannot read DAG file: ${reason}` }]);
  }
}
