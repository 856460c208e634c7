/**
 * Checks that a value survives `JSON.stringify`/`JSON.parse` unchanged: plain objects, arrays,
 * strings, booleans, null and finite numbers. Returns the first problem with its path, or
 * `undefined` when the value is safe. Iterative, so deep values cannot overflow the stack.
 */
export function jsonSafetyProblem(value: unknown): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `$ is ${value}`;
  const stack: { value: unknown; path: string; exit?: object }[] = [{ value, path: '$' }];
  const ancestors = new Set<object>();
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (item.exit !== undefined) {
      ancestors.delete(item.exit);
      continue;
    }
    const problem = shallowProblem(item.value);
    if (problem !== undefined) return `${item.path} is ${problem}`;
    if (typeof item.value !== 'object' || item.value === null) continue;
    const object = item.value;
    if (ancestors.has(object)) return `${item.path} is a circular reference`;
    ancestors.add(object);
    stack.push({ value: undefined, path: item.path, exit: object });
    if (Array.isArray(object)) {
      for (let i = object.length - 1; i >= 0; i--) stack.push({ value: object[i], path: `${item.path}[${i}]` });
    } else {
      for (const key of Object.keys(object)) {
        const child = (object as Record<string, unknown>)[key];
        if (child !== undefined) stack.push({ value: child, path: `${item.path}.${key}` });
      }
    }
  }
  return undefined;
}

function shallowProblem(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : String(value);
    case 'undefined':
      return 'undefined (inside an array)';
    case 'bigint':
      return 'a BigInt';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default: {
      if (value === null || Array.isArray(value)) return undefined;
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) return undefined;
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      return `a ${name} (only plain objects, arrays and primitives are JSON-safe)`;
    }
  }
}
