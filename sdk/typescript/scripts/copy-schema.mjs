// tsc does not copy hand-written .d.ts files into outDir; the emitted index.d.ts imports
// "./schema.js", so the generated declarations must sit next to it in dist/src/.
import { copyFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

copyFileSync(
  fileURLToPath(new URL("../src/schema.d.ts", import.meta.url)),
  fileURLToPath(new URL("../dist/src/schema.d.ts", import.meta.url)),
);
