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
  const forms = needles.map((n) => ({
    needle: n,
    one: n,
    two: [...n].map((ch) => `${ch}\u0000`).join(""),
  }));
  const found = new Map(needles.map((n) => [n, false]));
  const overlap = Math.max(...needles.map((n) => n.length * 2));
  const maps = (await Deno.readTextFile(`/proc/${pid}/maps`)).split("\n").filter(Boolean);
  const mem = await Deno.open(`/proc/${pid}/mem`, { read: true });
  const decoder = new TextDecoder("latin1");
  try {
    for (const line of maps) {
      const [range, perms] = line.split(/\s+/);
      if (!perms.startsWith("rw") || line.includes("[vvar") || line.includes("[vsyscall")) {
        continue;
      }
      const [start, end] = range.split("-").map((h) => BigInt(`0x${h}`));
      let tail = "";
      for (let at = start; at < end;) {
        const size = Number(end - at > 8n << 20n ? 8n << 20n : end - at);
        const buffer = new Uint8Array(size);
        let read: number | null;
        try {
          await mem.seek(at, Deno.SeekMode.Start);
          read = await mem.read(buffer);
        } catch {
          break; // Unmapped meanwhile, or guard pages: nothing to read there.
        }
        if (!read) break;
        const text = tail + decoder.decode(buffer.subarray(0, read));
        for (const f of forms) {
          if (!found.get(f.needle) && (text.includes(f.one) || text.includes(f.two))) {
            found.set(f.needle, true);
          }
        }
        tail = text.slice(-overlap);
        at += BigInt(read);
      }
    }
  } finally {
    mem.close();
  }
  return found;
}
