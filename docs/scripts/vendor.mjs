// Copies the portal's browser assets from node_modules into internal/docs/assets, where the Go
// binary embeds them: the portal then works offline, with no CDN.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const nm = join(here, "..", "node_modules");
const out = join(here, "..", "..", "internal", "docs", "assets");
mkdirSync(out, { recursive: true });

const files = [
  ["redoc/bundles/redoc.standalone.js", "redoc.standalone.js"],
  ["redoc/LICENSE", "redoc.LICENSE"],
  ["swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui-bundle.js"],
  ["swagger-ui-dist/swagger-ui.css", "swagger-ui.css"],
  ["swagger-ui-dist/LICENSE", "swagger-ui.LICENSE"],
];
for (const [from, to] of files) {
  copyFileSync(join(nm, from), join(out, to));
  console.log(`vendored ${from} -> internal/docs/assets/${to}`);
}
