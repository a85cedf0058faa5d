/**
 * Money without floats. The API writes amounts as JSON numbers with two decimals (`10000.00`); a
 * JavaScript number cannot hold every such value exactly (`0.1 + 0.2`, sums beyond 2^53 cents), so
 * the SDK never turns them into numbers: the client reads the decimals of a JSON answer straight
 * from its text into strings (`"10000.00"`), and writes the strings of a request back as JSON
 * numbers. Where the decimals are comes from the contract (`format: decimal`, see operations.ts).
 *
 * `money` does exact arithmetic on such strings, in integer cents (`bigint`).
 */
import { isLosslessNumber, LosslessNumber, parse as parseLossless, stringify as stringifyLossless } from "lossless-json";
import { OPERATIONS } from "./operations.js";

/** An amount of money: a decimal string with at most 2 decimals, e.g. `"10000.00"`, `"12.5"`, `"7"`. */
export type Amount = string;

const DECIMAL = /^(-)?(\d+)(?:\.(\d{1,2}))?$/;

/** Exact arithmetic on decimal amounts (at most 2 decimals), in integer cents: no floats anywhere. */
export const money = {
  /** True when `value` is a decimal string with at most 2 decimals (`"12"`, `"12.5"`, `"-0.01"`). */
  isValid(value: unknown): value is Amount {
    return typeof value === "string" && DECIMAL.test(value);
  },
  /** The amount in cents. Throws a RangeError for anything but a decimal with at most 2 decimals. */
  toCents(value: Amount): bigint {
    const m = DECIMAL.exec(typeof value === "string" ? value.trim() : "");
    if (m === null) {
      throw new RangeError(`@minicrm/sdk: not an amount with at most 2 decimals: ${String(value)}`);
    }
    const cents = BigInt(m[2]!) * 100n + BigInt((m[3] ?? "0").padEnd(2, "0"));
    return m[1] === "-" ? -cents : cents;
  },
  /** Cents as an amount with exactly 2 decimals: `123456n` → `"1234.56"`. */
  fromCents(cents: bigint): Amount {
    const sign = cents < 0n ? "-" : "";
    const abs = cents < 0n ? -cents : cents;
    return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
  },
  /** The amount with exactly 2 decimals: `"12.5"` → `"12.50"`. */
  normalize(value: Amount): Amount {
    return money.fromCents(money.toCents(value));
  },
  /** The exact sum, with 2 decimals (`"0.00"` for none). */
  sum(...values: Amount[]): Amount {
    return money.fromCents(values.reduce((acc, v) => acc + money.toCents(v), 0n));
  },
  /** `a - b`, exactly, with 2 decimals. */
  subtract(a: Amount, b: Amount): Amount {
    return money.fromCents(money.toCents(a) - money.toCents(b));
  },
  /** -1, 0 or 1 as `a` is less than, equal to or greater than `b` (`"10"` equals `"10.00"`). */
  compare(a: Amount, b: Amount): -1 | 0 | 1 {
    const d = money.toCents(a) - money.toCents(b);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  },
};

// --- where the decimals are

/** A trie of the decimal paths of a JSON body: `[]` array items, `*` any member, `~` free-form. */
export interface PathNode {
  decimal: boolean;
  freeForm: boolean;
  children: Map<string, PathNode>;
}

function node(): PathNode {
  return { decimal: false, freeForm: false, children: new Map() };
}

function compile(paths: readonly string[] | undefined): PathNode | undefined {
  if (paths === undefined || paths.length === 0) {
    return undefined;
  }
  const root = node();
  for (const p of paths) {
    let n = root;
    for (const seg of p === "" ? [] : p.split("/")) {
      if (seg === "~") {
        n.freeForm = true;
        break;
      }
      let next = n.children.get(seg);
      if (next === undefined) {
        next = node();
        n.children.set(seg, next);
      }
      n = next;
    }
    if (!p.endsWith("~")) {
      n.decimal = true;
    }
  }
  return root;
}

/** The decimal tries of every operation, by `METHOD /path/{template}`. */
const DECIMAL_TRIES = new Map<string, { request: PathNode | undefined; response: PathNode | undefined }>(
  OPERATIONS.map((op) => [
    `${op.method} ${op.path}`,
    { request: compile(op.requestDecimals), response: compile(op.responseDecimals) },
  ]),
);

export function decimalTries(method: string, schemaPath: string) {
  return DECIMAL_TRIES.get(`${method.toUpperCase()} ${schemaPath}`);
}

/** In free-form content (an activity's payload), numbers named `amount` (or under `amount`, e.g. `changes.amount.old`) are money. */
const FREE_FORM_MONEY = new Set(["amount"]);

type Where = { node: PathNode | undefined; free: boolean; key: string | undefined; parentKey: string | undefined };

function child(where: Where, key: string | undefined): Where {
  const n = where.node;
  let next: PathNode | undefined;
  if (n !== undefined) {
    next = key === undefined ? n.children.get("[]") : (n.children.get(key) ?? n.children.get("*"));
  }
  return { node: next, free: where.free || (n?.freeForm ?? false), key, parentKey: where.key };
}

function isMoney(where: Where): boolean {
  if (where.node?.decimal) {
    return true;
  }
  return (
    where.free &&
    ((where.key !== undefined && FREE_FORM_MONEY.has(where.key)) ||
      (where.parentKey !== undefined && FREE_FORM_MONEY.has(where.parentKey)))
  );
}

/** Where an array's items are: an array's items keep its key (`amount: [1, 2]` in free-form content is money). */
function items(where: Where): Where {
  const inner = child(where, undefined);
  inner.key = where.key;
  inner.parentKey = where.parentKey;
  return inner;
}

function root(paths: PathNode): Where {
  return { node: paths, free: paths.freeForm, key: undefined, parentKey: undefined };
}

/** Rebuilds plain JSON data, turning each leaf by `leaf` with its place in the document. */
function walk(v: unknown, where: Where, leaf: (v: unknown, where: Where) => unknown): unknown {
  if (Array.isArray(v)) {
    const inner = items(where);
    return v.map((x) => walk(x, inner, leaf));
  }
  if (v !== null && typeof v === "object" && !isLosslessNumber(v)) {
    const obj: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      // defineProperty: a member named __proto__ stays a member.
      Object.defineProperty(obj, k, { value: walk(x, child(where, k), leaf), writable: true, enumerable: true, configurable: true });
    }
    return obj;
  }
  return leaf(v, where);
}

// --- reading: JSON text → values, the decimals as strings taken from the text

/**
 * Parses JSON like `JSON.parse`, except that the numbers at the decimal paths of `paths` come out
 * as the strings written in the text (`10000.00` → `"10000.00"`), not as floats. lossless-json
 * reads every number as its text; the others become numbers as `JSON.parse` makes them.
 */
export function parseWithDecimals(text: string, paths: PathNode | undefined): unknown {
  if (paths === undefined) {
    return JSON.parse(text);
  }
  return walk(parseLossless(text), root(paths), (v, where) =>
    isLosslessNumber(v) ? (isMoney(where) ? v.value : Number(v.value)) : v,
  );
}

// --- writing: values → JSON text, the decimal strings as JSON numbers

const WIRE_DECIMAL = /^-?\d+(?:\.\d+)?$/;

/**
 * Serializes `value` (plain JSON data) like `JSON.stringify`, except that the strings at the
 * decimal paths of `paths` that are decimals are written as JSON numbers (`"10000.50"` → `10000.50`),
 * digit for digit (lossless-json writes a LosslessNumber as its text). Numbers there are written
 * as they are.
 */
export function stringifyWithDecimals(value: unknown, paths: PathNode | undefined): string {
  if (paths === undefined) {
    return JSON.stringify(value);
  }
  // JSON.parse(JSON.stringify(…)) first: toJSON, undefined members and the like as JSON has them.
  const wire = walk(JSON.parse(JSON.stringify(value)) as unknown, root(paths), (v, where) =>
    typeof v === "string" && isMoney(where) && WIRE_DECIMAL.test(v) ? new LosslessNumber(v) : v,
  );
  return stringifyLossless(wire) ?? "null";
}
