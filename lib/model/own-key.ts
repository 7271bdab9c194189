/**
 * `obj[key] = value` as an own property, as JSON.parse makes it: plain assignment of `__proto__`
 * would replace the object's prototype instead of adding a key. (One helper for every copy of
 * parsed data: configuration layering, the YAML fast path, review, the stack writer.)
 */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
