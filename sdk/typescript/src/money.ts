/**
 * Money without floats. The API writes amounts as JSON numbers with two decimals (`10000.00`); a
 * JavaScript number cannot hold every such value exactly (`0.1 + 0.2`, sums beyond 2^53 cents), so
 * the SDK never turns them into numbers: the client reads the decimals of a JSON answer straight
 * from its text into strings (`"10000.00"`), and writes the strings of a request back as JSON
 * numbers. Where the decimals are comes from the contract (`format: decimal`, see operations.ts).
 *
 * `money` does exact arithmetic on such strings, in integer cents (`bigint`).
 */
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

// --- reading: JSON text → values, the decimals as strings taken from the text

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WS = /[ \t\n\r]*/y;

/**
 * Parses JSON like `JSON.parse`, except that the numbers at the decimal paths of `paths` come out
 * as the strings written in the text (`10000.00` → `"10000.00"`), not as floats.
 */
export function parseWithDecimals(text: string, paths: PathNode | undefined): unknown {
  if (paths === undefined) {
    return JSON.parse(text);
  }
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError(`@minicrm/sdk: invalid JSON at position ${i}`);
  };
  const ws = () => {
    WS.lastIndex = i;
    WS.exec(text);
    i = WS.lastIndex;
  };
  const str = (): string => {
    const start = i;
    i++;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) {
        fail();
      }
      if (c === 0x5c) {
        i += 2;
      } else if (c === 0x22) {
        i++;
        return JSON.parse(text.slice(start, i)) as string;
      } else {
        i++;
      }
    }
  };
  const value = (where: Where): unknown => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === "}") {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') {
          fail();
        }
        const key = str();
        ws();
        if (text[i] !== ":") {
          fail();
        }
        i++;
        const v = value(child(where, key));
        Object.defineProperty(obj, key, { value: v, writable: true, enumerable: true, configurable: true });
        ws();
        if (text[i] === ",") {
          i++;
        } else if (text[i] === "}") {
          i++;
          return obj;
        } else {
          fail();
        }
      }
    }
    if (c === "[") {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return arr;
      }
      const inner = child(where, undefined);
      // An array's items keep the key of the array: `amount: [1, 2]` in free-form content is money.
      inner.key = where.key;
      inner.parentKey = where.parentKey;
      for (;;) {
        arr.push(value(inner));
        ws();
        if (text[i] === ",") {
          i++;
        } else if (text[i] === "]") {
          i++;
          return arr;
        } else {
          fail();
        }
      }
    }
    if (c === '"') {
      return str();
    }
    if (text.startsWith("true", i)) {
      i += 4;
      return true;
    }
    if (text.startsWith("false", i)) {
      i += 5;
      return false;
    }
    if (text.startsWith("null", i)) {
      i += 4;
      return null;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) {
      return fail();
    }
    i = NUMBER.lastIndex;
    return isMoney(where) ? m[0] : Number(m[0]);
  };
  const result = value({ node: paths, free: paths.freeForm, key: undefined, parentKey: undefined });
  ws();
  if (i !== text.length) {
    fail();
  }
  return result;
}

// --- writing: values → JSON text, the decimal strings as JSON numbers

const WIRE_DECIMAL = /^-?\d+(?:\.\d+)?$/;

/**
 * Serializes `value` (plain JSON data) like `JSON.stringify`, except that the strings at the
 * decimal paths of `paths` that are decimals are written as JSON numbers (`"10000.50"` → `10000.50`),
 * digit for digit. Numbers there are written as they are.
 */
export function stringifyWithDecimals(value: unknown, paths: PathNode | undefined): string {
  if (paths === undefined) {
    return JSON.stringify(value);
  }
  const write = (v: unknown, where: Where): string => {
    if (Array.isArray(v)) {
      const inner = child(where, undefined);
      inner.key = where.key;
      inner.parentKey = where.parentKey;
      return `[${v.map((x) => write(x, inner)).join(",")}]`;
    }
    if (v !== null && typeof v === "object") {
      const parts: string[] = [];
      for (const [k, x] of Object.entries(v)) {
        parts.push(`${JSON.stringify(k)}:${write(x, child(where, k))}`);
      }
      return `{${parts.join(",")}}`;
    }
    if (typeof v === "string" && isMoney(where) && WIRE_DECIMAL.test(v)) {
      return v;
    }
    return JSON.stringify(v);
  };
  // JSON.parse(JSON.stringify(…)) first: toJSON, undefined members and the like as JSON has them.
  return write(JSON.parse(JSON.stringify(value)) as unknown, {
    node: paths,
    free: paths.freeForm,
    key: undefined,
    parentKey: undefined,
  });
}
