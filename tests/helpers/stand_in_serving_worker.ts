/**
 * A serving isolate stand-in for ServingPool tests: it takes ~300 ms to
 * "listen", keeps every message it gets, and answers a metrics request with
 * them (as the snapshot), so a test sees what reached an isolate and when.
 */
import type { FromServingWorker, ToServingWorker } from "../../src/http/serving_worker.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ToServingWorker>) => void) | null;
  postMessage(
    message: FromServingWorker | { type: "metrics"; id: number; snapshot: unknown },
  ): void;
};
const received: Array<{ type: string; listening: boolean; isolates?: number }> = [];
let listening = false;

scope.onmessage = ({ data }) => {
  if (data.type === "metrics") {
    scope.postMessage({ type: "metrics", id: data.id, snapshot: received });
    return;
  }
  received.push({
    type: data.type,
    listening,
    ...(data.type === "start" ? { isolates: data.isolates } : {}),
  });
  if (data.type === "start") {
    setTimeout(() => {
      if (received.some((m) => m.type === "stop")) return;
      listening = true;
      scope.postMessage({ type: "listening" });
    }, 300);
  }
  if (data.type === "stop") scope.postMessage({ type: "stopped" });
};
