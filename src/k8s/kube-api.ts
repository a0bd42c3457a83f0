/**
 * The two plain API requests the policy makes (list Ingresses, create an
 * Event), with client-node's KubeConfig supplying the server, TLS and
 * credentials, as its generated API clients do. Only client-node's
 * KubeConfig, ListWatch and Watch are imported, by their own modules: its
 * package index also loads every generated API and model (~0.9 MB bundled),
 * which the chart's single-file sidecar has no room for.
 */
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import fetch, { Headers } from 'node-fetch';

export { KubeConfig };

/** An error answer of the API server, with its HTTP status (410 Gone, 403 Forbidden…). */
export class KubeApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export async function kubeRequest<T>(kubeConfig: KubeConfig, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster in the Kubernetes configuration');
  const init = await kubeConfig.applyToFetchOptions({});
  const headers = new Headers(init.headers);
  headers.set('accept', 'application/json');
  if (body !== undefined) headers.set('content-type', 'application/json');
  const response = await fetch(cluster.server.replace(/\/+$/, '') + path, {
    agent: init.agent,
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new KubeApiError(response.status, `${method} ${path}: ${response.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}
