/**
 * Bytes allocated, counted by V8's sampling heap profiler through
 * node:inspector with the objects that garbage collection already freed
 * kept in the count: what a loop allocates, whatever the machine's load or
 * when the collector runs (a heap-size difference says neither).
 */

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

export interface AllocationSummary {
  /** Bytes allocated over the sampled stretch (an estimate: one sample per `interval` bytes). */
  bytes: number;
  /** Bytes by allocating function, largest first. */
  sites: [string, number][];
}

export async function sampleAllocations(
  run: () => Promise<void>,
  interval = 1024,
): Promise<AllocationSummary> {
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
  await post("HeapProfiler.enable");
  await post("HeapProfiler.startSampling", {
    samplingInterval: interval,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await run();
  const { profile } = await post("HeapProfiler.stopSampling");
  session.disconnect();
  const bySite = new Map<string, number>();
  let bytes = 0;
  const walk = (node: SamplingNode) => {
    bytes += node.selfSize;
    if (node.selfSize > 0) {
      const { functionName, url, lineNumber } = node.callFrame;
      const short = url.replace(/^.*\/(node_modules\/\.deno\/[^/]+|src|ext:[a-z_]+)\//, "$1/");
      const key = `${functionName || "(anonymous)"} ${short}:${lineNumber + 1}`;
      bySite.set(key, (bySite.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child);
  };
  walk((profile as { head: SamplingNode }).head);
  return { bytes, sites: [...bySite].sort((a, b) => b[1] - a[1]) };
}
