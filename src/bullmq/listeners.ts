/**
 * Calling an application's listener given in the options (`onJobTaken`, `onLeaseLapsed`, …):
 * what it throws is the application's to report, never the job's or the queue's.
 */
export function tell<T>(listener: ((value: T) => void) | undefined, value: T): void {
  try {
    listener?.(value);
  } catch {
    // the application's to report
  }
}
