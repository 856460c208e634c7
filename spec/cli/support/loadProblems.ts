import { loadDagFile } from '../../../src/cli/dagFile/loadDagFile';
import { InvalidInputError } from '../../../src/cli/problems';
import { writeText } from './files';

/**
 * Writes `text` to `file` and loads it as a DAG file: the problems `loadDagFile` reports, one a
 * line, each without its `file:` prefix (`3:5: tasks[0]…`). Throws when the file loads.
 */
export function loadProblems(file: string, text: string): string[] {
  writeText(file, text);
  try {
    loadDagFile(file);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.message.split('\n').map((line) => line.replace(`${file}:`, ''));
    throw error;
  }
  throw new Error(`${file} loaded without problems`);
}
