/**
 * OpenTelemetry RPC conventions for gRPC calls through NGINX (backend-protocol
 * GRPC in ingress-nginx, grpc_pass in plain nginx), where the record knows
 * enough: NGINX marks a request gRPC by its Content-Type and records the
 * response's grpc-status; the path of a gRPC call is /{package.Service}/{Method}.
 * The HTTP attributes stay: the call is also an HTTP/2 exchange.
 */
import type { Attributes } from '@opentelemetry/api';
import type { SpanRecord } from '../../record/parse.js';

/** RPC semantic-convention names (the incubating set of the semconv package). */
export const ATTR_RPC_SYSTEM = 'rpc.system';
export const ATTR_RPC_SERVICE = 'rpc.service';
export const ATTR_RPC_METHOD = 'rpc.method';
export const ATTR_RPC_GRPC_STATUS_CODE = 'rpc.grpc.status_code';

export interface GrpcCall {
  /** Fully qualified service, e.g. "grpc.health.v1.Health"; empty if the path has another shape. */
  service: string;
  method: string;
  /** The response's grpc-status; null when NGINX received none (e.g. the upstream failed). */
  status: number | null;
}

const GRPC_PATH = /^\/([^/]+)\/([^/]+)$/;

/**
 * Status codes that make a gRPC *server* span an error (the conventions: the
 * server's own fault): UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL,
 * UNAVAILABLE, DATA_LOSS. For a *client* span every code but OK is one.
 */
const SERVER_ERROR_CODES = new Set([2, 4, 12, 13, 14, 15]);

export function grpcCall(record: SpanRecord): GrpcCall | null {
  // `?? ''`: records mapped by code that predates the field.
  if ((record.rpcSystem ?? '') !== 'grpc') return null;
  const match = GRPC_PATH.exec(record.path);
  return { service: match?.[1] ?? '', method: match?.[2] ?? '', status: record.grpcStatus ?? null };
}

/** `{service}/{method}`, the conventions' span name, when the path had that shape. */
export function grpcSpanName(call: GrpcCall | null, otherwise: string): string {
  return call && call.service !== '' ? `${call.service}/${call.method}` : otherwise;
}

/** Adds the RPC attributes in place; the status only to the span that received it. */
export function withGrpcAttributes(attributes: Attributes, call: GrpcCall | null, withStatus: boolean): Attributes {
  if (!call) return attributes;
  attributes[ATTR_RPC_SYSTEM] = 'grpc';
  if (call.service !== '') {
    attributes[ATTR_RPC_SERVICE] = call.service;
    attributes[ATTR_RPC_METHOD] = call.method;
  }
  if (withStatus && call.status !== null) attributes[ATTR_RPC_GRPC_STATUS_CODE] = call.status;
  return attributes;
}

export function grpcServerError(call: GrpcCall | null): boolean {
  return call !== null && call.status !== null && SERVER_ERROR_CODES.has(call.status);
}

export function grpcClientError(call: GrpcCall | null): boolean {
  return call !== null && call.status !== null && call.status !== 0;
}
