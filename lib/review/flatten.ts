import { isPlainObject } from "../config/merge";
import { itemKey } from "../config/yaml-source";

/**
 * Flattens a document to `path → JSON value` leaves. Items of named lists are addressed by name,
 * plain lists are leaves, so a reordered named list is not a change.
 */
export function flatten(value: unknown, prefix: (string | number)[] = [], out = new Map<string, string>()): Map<string, string> {
  if (isPlainObject(value) && Object.keys(value).length > 0) {
    for (const k of Object.keys(value)) if (k !== "//") flatten(value[k], [...prefix, k], out);
  } else if (Array.isArray(value) && value.length > 0 && value.every((v) => isPlainObject(v))) {
    value.forEach((item, i) => flatten(item, [...prefix, itemKey(item, i)], out));
  } else {
    out.set(prefix.join("."), JSON.stringify(value));
  }
  return out;
}
