import { existsSync } from 'node:fs';
import { machine } from 'node:os';

/**
 * Where Debian's jemalloc (package libjemalloc2) lives on this machine's architecture. Workers run on it, preloaded,
 * as the image's do (Dockerfile): with glibc's malloc a worker's native memory (the SDK's Rust core, Node's buffers)
 * sat in per-thread arenas that kept what was freed, so it grew with the sources a worker runs; jemalloc returns it
 * (docs/sizing.md).
 */
export const JEMALLOC_PATH = `/usr/lib/${machine()}-linux-gnu/libjemalloc.so.2`;

export const jemallocInstalled = (): boolean => existsSync(JEMALLOC_PATH);

/** The environment that preloads jemalloc into a worker; empty where it is not installed (glibc's malloc then). */
export function workerAllocatorEnv(): { LD_PRELOAD?: string } {
  return jemallocInstalled() ? { LD_PRELOAD: JEMALLOC_PATH } : {};
}
