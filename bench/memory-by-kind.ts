import { readFileSync } from 'node:fs';

// A process's resident memory split by kind, from /proc/<pid>/smaps, to tell a growing JavaScript heap from growing
// native memory. V8 maps its heap pages anonymously at addresses it picks itself, low in the address space on x86-64
// Linux; the kernel places the other anonymous memory (the allocator's, thread stacks) high, near the libraries.

const KERNEL_PLACED_FROM = 0x7000_0000_0000;
const MAPPING_HEADER = /^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/;

export interface MemoryByKind {
  v8Heaps: number;
  native: number;
  files: number;
}

const LABELS: Record<keyof MemoryByKind, string> = { v8Heaps: 'V8 heaps', native: 'native', files: 'mapped files' };

/** "V8 heaps … MiB, native … MiB, mapped files … MiB", with what `mibOf` says of each kind. */
export function formatByKind(mibOf: (kind: keyof MemoryByKind) => string): string {
  return (Object.keys(LABELS) as (keyof MemoryByKind)[]).map((kind) => `${LABELS[kind]} ${mibOf(kind)} MiB`).join(', ');
}

/** Resident bytes by kind, or undefined once the process is gone. */
export function memoryByKind(pid: number): MemoryByKind | undefined {
  let smaps: string;
  try {
    smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return undefined;
  }
  const bytes: MemoryByKind = { v8Heaps: 0, native: 0, files: 0 };
  let kind: keyof MemoryByKind = 'native';
  for (const line of smaps.split('\n')) {
    const header = MAPPING_HEADER.exec(line);
    if (header) {
      const [start, name] = [parseInt(header[1], 16), header[2]];
      kind = name.startsWith('/') ? 'files' : name === '' && start < KERNEL_PLACED_FROM ? 'v8Heaps' : 'native';
    } else if (line.startsWith('Rss:')) {
      bytes[kind] += Number(line.split(/\s+/)[1]) * 1024;
    }
  }
  return bytes;
}
