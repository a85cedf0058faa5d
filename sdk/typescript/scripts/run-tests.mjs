// Runs the compiled tests (dist/test/*.test.js) against a real Mini-CRM service:
//   1. builds the Go binary (CGO_ENABLED=0 go build ./cmd/crm) into a temporary directory,
//   2. starts it on a free loopback port with a throw-away database (the service creates and
//      migrates it) and a random JWT secret,
//   3. waits for GET /readyz to answer 200 (60 s at most),
//   4. runs `node --test` with CRM_BASE_URL pointing at it,
//   5. stops the service and drops the database.
//
// Environment:
//   TEST_DATABASE_URL  postgres://user[:password]@host:port/... whose host, port, user and password
//                      are used (default postgres://postgres@127.0.0.1:5432); the database name is
//                      always a fresh crm_sdk_ts_<random>.
//   CRM_BASE_URL       when set, no service is built or started: the tests run against that URL.
//   CRM_KEEP_LOG       when set, the service log is printed even if the tests pass.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, closeSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const sdkDir = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const testDir = join(sdkDir, "dist", "test");

function log(msg) {
  process.stderr.write(`[run-tests] ${msg}\n`);
}

function testFiles() {
  const files = readdirSync(testDir)
    .filter((f) => f.endsWith(".test.js"))
    .sort()
    .map((f) => join(testDir, f));
  if (files.length === 0) {
    throw new Error(`no compiled tests in ${testDir}: run \`npm run build\` first`);
  }
  return files;
}

function runNodeTests(baseUrl) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--test", ...testFiles()], {
      cwd: sdkDir,
      stdio: "inherit",
      env: { ...process.env, CRM_BASE_URL: baseUrl },
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

if (process.env.CRM_BASE_URL) {
  log(`CRM_BASE_URL is set: testing ${process.env.CRM_BASE_URL} without starting a service`);
  process.exit(await runNodeTests(process.env.CRM_BASE_URL));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(addr.port));
    });
  });
}

// Connection settings: host, port, user and password of TEST_DATABASE_URL when given.
const pgUrl = new URL(process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres");
const pg = {
  host: pgUrl.hostname || "127.0.0.1",
  port: pgUrl.port || "5432",
  user: decodeURIComponent(pgUrl.username) || "postgres",
  password: decodeURIComponent(pgUrl.password),
  sslmode: pgUrl.searchParams.get("sslmode") || "disable",
};
const dbName = `crm_sdk_ts_${randomBytes(6).toString("hex")}`;
const dbUrl = new URL(`postgres://${pg.host}:${pg.port}/${dbName}`);
dbUrl.username = pg.user;
dbUrl.password = pg.password;
dbUrl.searchParams.set("sslmode", pg.sslmode);

const workDir = mkdtempSync(join(tmpdir(), "crm-sdk-ts-"));
const binary = join(workDir, "crm");
const logFile = join(workDir, "crm.log");
let service = null;
let serviceExited = null; // resolves when the service process is gone
let cleanedUp = false;

async function stopService() {
  if (service === null || service.exitCode !== null || service.signalCode !== null) {
    return;
  }
  service.kill("SIGTERM");
  const killTimer = setTimeout(() => service?.kill("SIGKILL"), 10_000);
  await serviceExited;
  clearTimeout(killTimer);
}

function dropDatabase() {
  const res = spawnSync(
    "psql",
    ["-h", pg.host, "-p", pg.port, "-U", pg.user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q",
      "-c", `DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`],
    { env: { ...process.env, ...(pg.password ? { PGPASSWORD: pg.password } : {}) }, encoding: "utf8" },
  );
  if (res.error || res.status !== 0) {
    log(`could not drop database ${dbName}: ${res.error?.message ?? res.stderr.trim()}`);
  }
}

function printServiceLog() {
  try {
    const text = readFileSync(logFile, "utf8");
    log(`service log (${logFile}):\n${text.split("\n").slice(-200).join("\n")}`);
  } catch {
    // no log
  }
}

async function cleanup(printLog) {
  if (cleanedUp) return;
  cleanedUp = true;
  await stopService();
  if (printLog) printServiceLog();
  dropDatabase();
  rmSync(workDir, { recursive: true, force: true });
}

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanup(false).finally(() => process.exit(130));
  });
}

async function waitReady(baseUrl, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (service.exitCode !== null || service.signalCode !== null) {
      throw new Error(`the service exited early (code ${service.exitCode}, signal ${service.signalCode})`);
    }
    try {
      const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`GET /readyz did not answer 200 within ${timeoutMs / 1000} s (last: ${last})`);
}

let exitCode = 1;
try {
  let t = Date.now();
  log(`building the service: CGO_ENABLED=0 go build -o ${binary} ./cmd/crm`);
  const build = spawnSync("go", ["build", "-o", binary, "./cmd/crm"], {
    cwd: repoRoot,
    stdio: "inherit",
    env: { ...process.env, CGO_ENABLED: "0" },
  });
  if (build.error || build.status !== 0) {
    throw new Error(`go build failed: ${build.error?.message ?? `exit ${build.status}`}`);
  }
  log(`built in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const out = openSync(logFile, "a");
  t = Date.now();
  // cwd is the temporary directory so that a developer's .env in the repository is not read.
  service = spawn(binary, ["serve"], {
    cwd: workDir,
    stdio: ["ignore", out, out],
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? workDir,
      HTTP_ADDR: `127.0.0.1:${port}`,
      DATABASE_URL: dbUrl.toString(),
      JWT_SECRET_KEY: randomBytes(36).toString("base64url"), // 48 characters
      LOG_LEVEL: "warn",
    },
  });
  closeSync(out);
  serviceExited = new Promise((resolve) => service.on("exit", resolve));
  log(`started the service on ${baseUrl} with database ${dbName} (pid ${service.pid})`);
  await waitReady(baseUrl, 60_000);
  log(`ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  exitCode = await runNodeTests(baseUrl);
} catch (err) {
  log(err instanceof Error ? err.message : String(err));
  exitCode = 1;
} finally {
  await cleanup(exitCode !== 0 || Boolean(process.env.CRM_KEEP_LOG));
}
process.exit(exitCode);
