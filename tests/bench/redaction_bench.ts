/**
 * Redaction throughput: `deno run --allow-all tests/bench/redaction_bench.ts`. Builds a
 * ~1 MB Gmail-like response (full messages as users.messages.get returns
 * them: headers, snippet, text/plain and text/html parts base64url-encoded),
 * once with a realistic density of PII (addresses in headers, a phone in
 * most signatures, an SSN, card or IBAN in some bodies) and once without,
 * and runs redactJsonBody on each. The acceptance is ≥ 50 MB/s on the first.
 * Run with --allow-all (BENCH_ROUNDS; /proc for the thread CPU time;
 * BENCH_DUMP=file writes the PII fixture out, for profiling).
 */
import process from "node:process";
import { buildRedactor } from "../../src/rules/redaction/detectors.ts";
import { redactJsonBody } from "../../src/rules/redaction/redact_json.ts";
import { gmailFixture as fixture } from "./gmail_fixture.ts";

const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 50);

const redactor = buildRedactor({
  patterns: ["ssn", "credit_card", "iban", "email", "phone"],
  regexes: [],
});

/**
 * CPU time of the calling (serving) thread in ms, from Linux's
 * /proc/thread-self/stat (utime + stime, in clock ticks of 10 ms); null
 * elsewhere or without --allow-all (Deno guards /proc behind it).
 */
function threadCpuMs(): number | null {
  try {
    const stat = Deno.readTextFileSync("/proc/thread-self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/**
 * Wall-clock MB/s (median and best round), MB per second of the serving
 * thread's CPU time, and of the whole process's CPU time (GC helper threads
 * included). On a shared machine the wall clock also measures the
 * neighbours; the thread CPU time only this work.
 */
function run(name: string, body: Uint8Array, gmail: boolean, reuseInput = false): void {
  // With reuseInput each round gets its own copy, made (and its pages touched,
  // as a network read would) before the clock starts.
  const inputs = Array.from({ length: ROUNDS + 5 }, () => reuseInput ? body.slice() : body);
  const opts = { gmail, reuseInput };
  let last = redactJsonBody(inputs[0], redactor, opts);
  for (let i = 1; i < 5; i++) redactJsonBody(inputs[i], redactor, opts); // warm-up
  const times: number[] = [];
  const cpuBefore = process.cpuUsage();
  const threadBefore = threadCpuMs();
  for (let i = 0; i < ROUNDS; i++) {
    const input = inputs[i + 5];
    const t = performance.now();
    last = redactJsonBody(input, redactor, opts);
    times.push(performance.now() - t);
  }
  const threadAfter = threadCpuMs();
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000 / ROUNDS;
  times.sort((a, b) => a - b);
  const mb = body.byteLength / 1e6;
  const rate = (ms: number) => `${(mb / (ms / 1000)).toFixed(1)} MB/s`.padStart(11);
  const counts = last.ok ? JSON.stringify(last.counts) : last.reason;
  console.log(
    `${name.padEnd(38)} ${mb.toFixed(2)} MB  median ${rate(times[Math.floor(times.length / 2)])}` +
      `  best ${rate(times[0])}  thread cpu ${
        threadBefore === null ? "n/a" : rate((threadAfter! - threadBefore) / ROUNDS)
      }  process cpu ${rate(cpuMs)}  changed=${last.ok && last.changed}  ${counts}`,
  );
}

const withPii = fixture(true);
if (Deno.env.get("BENCH_DUMP")) Deno.writeFileSync(Deno.env.get("BENCH_DUMP")!, withPii);
const withoutPii = fixture(false);
run("Gmail messages, PII, gmail bodies", withPii, true);
run("Gmail messages, PII, gmail, reuseInput", withPii, true, true);
run("Gmail messages, no PII, gmail bodies", withoutPii, true);
run("Gmail messages, PII, strings only", withPii, false);
