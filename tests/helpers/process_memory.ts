/**
 * Does a process's memory hold a string? Reads every writable mapping of
 * /proc/<pid>/mem (the JS heap, native heap, stacks and anonymous mappings:
 * wherever a value the process received or computed can live; read-only
 * mappings are its program files) and looks for the string in one-byte
 * (Latin-1/UTF-8) and two-byte (UTF-16LE) form, the two ways V8 and Rust
 * keep ASCII text. Linux only; needs ptrace rights over the process (root,
 * or the same user with ptrace_scope 0). Tests pair every "not found" with a
 * string the process must hold, so a scan that reads nothing cannot pass.
 */
export async function memoryHolds(pid: number, needles: string[]): Promise<Map<string, boolean>> {
  const encoder = new TextEncoder();
  const forms = needles.map((n) => ({
    needle: n,
    patterns: [
      encoder.encode(n),
      Uint8Array.from([...encoder.encode(n)].flatMap((b) => [b, 0])),
    ],
  }));
  const found = new Map(needles.map((n) => [n, false]));
  const overlap = Math.max(...forms.map((f) => f.patterns[1].length));
  const maps = (await Deno.readTextFile(`/proc/${pid}/maps`)).split("\n").filter(Boolean);
  const mem = await Deno.open(`/proc/${pid}/mem`, { read: true });
  const chunk = 8 << 20;
  const buffer = new Uint8Array(chunk + overlap);
  try {
    for (const line of maps) {
      const [range, perms] = line.split(/\s+/);
      if (!perms.startsWith("rw") || line.includes("[vvar") || line.includes("[vsyscall")) {
        continue;
      }
      const [start, end] = range.split("-").map((h) => BigInt(`0x${h}`));
      let carried = 0;
      for (let at = start; at < end;) {
        const size = Number(end - at > BigInt(chunk) ? BigInt(chunk) : end - at);
        let read: number | null;
        try {
          await mem.seek(at, Deno.SeekMode.Start);
          read = await mem.read(buffer.subarray(carried, carried + size));
        } catch {
          break; // Unmapped meanwhile, or guard pages: nothing to read there.
        }
        if (!read) break;
        const view = buffer.subarray(0, carried + read);
        for (const f of forms) {
          if (!found.get(f.needle) && f.patterns.some((p) => contains(view, p))) {
            found.set(f.needle, true);
          }
        }
        // Keep the tail, so a string across two reads is still seen.
        carried = Math.min(overlap, view.length);
        buffer.copyWithin(0, view.length - carried, view.length);
        at += BigInt(read);
      }
    }
  } finally {
    mem.close();
  }
  return found;
}

/** Byte-wise search, anchored on the native indexOf of the first byte. */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  const first = needle[0];
  const last = haystack.length - needle.length;
  for (let i = haystack.indexOf(first); i !== -1 && i <= last; i = haystack.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return true;
  }
  return false;
}
