/**
 * The Resource every exported span carries: who produced it. service.name is
 * the ingress (OTEL_SERVICE_NAME, default "ingress-nginx"), then
 * OTEL_RESOURCE_ATTRIBUTES and the pod identity from the Downward API.
 */
import type { InstrumentationScope } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_TELEMETRY_SDK_LANGUAGE, ATTR_TELEMETRY_SDK_NAME } from '@opentelemetry/semantic-conventions';
import type { SidecarConfig } from '../config.js';

export const SIDECAR_VERSION = '0.1.0';

/** The instrumentation scope of every span: the njs module that measured it. */
export const TRACING_SCOPE: InstrumentationScope = { name: 'njs-tracing', version: SIDECAR_VERSION };

export function buildResource(config: Pick<SidecarConfig, 'serviceName' | 'resourceAttributes'>): Resource {
  return resourceFromAttributes({
    [ATTR_TELEMETRY_SDK_NAME]: 'njs-tracing',
    [ATTR_TELEMETRY_SDK_LANGUAGE]: 'nginx-njs',
    ...config.resourceAttributes,
    // OTEL_SERVICE_NAME wins over a service.name in OTEL_RESOURCE_ATTRIBUTES, as the spec says.
    [ATTR_SERVICE_NAME]: config.serviceName,
  });
}
