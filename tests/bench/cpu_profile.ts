/** The current isolate's V8 CPU profile through node:inspector, and a self-time summary of it. */

export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  samples: number[];
  timeDeltas: number[];
}

export async function startProfiler(): Promise<{ stop(): Promise<CpuProfile> }> {
  const { Session } = await import("node:inspector");
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<Record<string, unknown>>((resolve, reject) =>
      session.post(
        method,
        params ?? {},
        (error, result) => error ? reject(error) : resolve(result as Record<string, unknown>),
      )
    );
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 100 });
  await post("Profiler.start");
  return {
    async stop() {
      const { profile } = await post("Profiler.stop");
      session.disconnect();
      return profile as CpuProfile;
    },
  };
}

export function printSelfTime(profile: CpuProfile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const short = url.replace(/^.*\/(node_modules\/\.deno\/[^/]+|src|ext:[a-z_]+)\//, "$1/");
    const key = `${functionName || "(anonymous)"} ${short}:${lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + dt);
    const f = url ? short.replace(/:\d+$/, "") : functionName;
    file.set(f, (file.get(f) ?? 0) + dt);
  });
  const top = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n)
      .map(([k, v]) => `${(100 * v / total).toFixed(1).padStart(5)} %  ${k}`).join("\n");
  console.log(`self time by function:\n${top(fn, 45)}\n\nself time by file:\n${top(file, 30)}`);
}
