/**
 * What bounds the sidecar's memory: its export queues (spans held, reader
 * waiting when they are full) and a capped V8 heap. Without a cap V8 lets a
 * busy heap grow far past its live data (280 MB RSS catching up a backlog
 * with ~40 MB live); with one it collects sooner. A cap must never turn
 * backpressure into an out-of-memory crash, so the queues are sized to the
 * heap the process got: each queued span may use HEAP_BYTES_PER_SPAN, and a
 * queue configured larger than the heap holds is lowered (and logged).
 */
import { getHeapStatistics } from 'node:v8';

/** How the chart and the Dockerfile start the sidecar (NODE_OPTIONS). */
export const RECOMMENDED_NODE_OPTIONS = '--max-old-space-size=128';

/** Heap besides the queued spans: code, metrics, read chunks, batches being encoded. */
export const BASE_HEAP_BYTES = 48 * 1024 * 1024;

/**
 * Heap one queued span may need. Measured: ~3.5 KB (span, attributes, the
 * record's strings, the reader's share) with 8,192 typical spans queued
 * during an outage; twice that and more for records with long paths, user
 * agents and several upstream attempts.
 */
export const HEAP_BYTES_PER_SPAN = 8 * 1024;

/** Never below one default batch. */
const MIN_QUEUE_SIZE = 512;

/**
 * The queue size to use: the configured one, or what fits in the heap. Every
 * queue holds the same span objects (mapped once, offered to each), so the
 * bound is per queue, not per queue count.
 */
export function queueSizeForHeap(configured: number, heapLimitBytes = getHeapStatistics().heap_size_limit): number {
  const fits = Math.floor((heapLimitBytes - BASE_HEAP_BYTES) / HEAP_BYTES_PER_SPAN);
  return Math.min(configured, Math.max(MIN_QUEUE_SIZE, fits));
}
