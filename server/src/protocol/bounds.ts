/**
 * Shape bounds of every request, checked before schema validation: how deep objects nest, how
 * many keys and items they hold, how long strings are. The schemas bound every field they know;
 * these bounds cover the opaque mediasoup objects (rtpCapabilities, rtpParameters,
 * dtlsParameters) too, so a hostile object is refused cheaply and never reaches mediasoup, whose
 * recursive code would overflow its stack on it later.
 */

/** Deepest nesting accepted, the request itself being level 1 (a browser's objects reach 6). */
export const MAX_REQUEST_DEPTH = 10;
/** Most keys in one object. */
export const MAX_OBJECT_KEYS = 64;
/** Most items in one array (a browser lists some 50 codecs in its capabilities). */
export const MAX_ARRAY_ITEMS = 256;
/** Longest string value or key. */
export const MAX_STRING_LENGTH = 4096;
/** Most values (objects, arrays and leaves) in one request. */
export const MAX_REQUEST_NODES = 8192;

/** Why a request is out of bounds: too long a string is `payload_too_large`, the rest `bad_request`. */
export interface BoundsProblem {
  code: 'bad_request' | 'payload_too_large';
  message: string;
}

/**
 * Why `value` is out of bounds, or undefined when it is within them. Iterative, and stops at the
 * first problem: its cost is bounded by {@link MAX_REQUEST_NODES}, whatever the input.
 */
export function boundsProblem(value: unknown): BoundsProblem | undefined {
  const bad = (message: string): BoundsProblem => ({ code: 'bad_request', message });
  const stack: Array<{ v: unknown; depth: number; path: string }> = [{ v: value, depth: 1, path: '' }];
  let nodes = 0;
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (++nodes > MAX_REQUEST_NODES) return bad(`more than ${MAX_REQUEST_NODES} values`);
    if (typeof v === 'string') {
      if (v.length > MAX_STRING_LENGTH)
        return {
          code: 'payload_too_large',
          message: `${path || '/'}: longer than ${MAX_STRING_LENGTH} characters`,
        };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth > MAX_REQUEST_DEPTH) return bad(`${path}: nested deeper than ${MAX_REQUEST_DEPTH} levels`);
    if (Array.isArray(v)) {
      if (v.length > MAX_ARRAY_ITEMS) return bad(`${path}: more than ${MAX_ARRAY_ITEMS} items`);
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], depth: depth + 1, path: `${path}/${i}` });
      continue;
    }
    const keys = Object.keys(v);
    if (keys.length > MAX_OBJECT_KEYS) return bad(`${path || '/'}: more than ${MAX_OBJECT_KEYS} keys`);
    for (const key of keys) {
      if (key.length > MAX_STRING_LENGTH)
        return bad(`${path || '/'}: a key longer than ${MAX_STRING_LENGTH}`);
      stack.push({
        v: (v as Record<string, unknown>)[key],
        depth: depth + 1,
        path: `${path}/${key.slice(0, 40)}`,
      });
    }
  }
  return undefined;
}
