/**
 * values.schema.json through real helm: every bad value is refused before
 * anything renders, and the message names where it is.
 */
import { beforeAll, expect, it } from 'vitest';
import { chartCopy, describeWithHelm, helm, template } from './support/chart.js';

/** [name, --set-json argument, what helm's message must contain] */
const REJECTED: Array<[string, string, string]> = [
  ['ratioAboveOne', 'global.tracing.sampleRatio=1.5', '/global/tracing/sampleRatio'],
  ['ratioNegative', 'global.tracing.sampleRatio=-0.1', '/global/tracing/sampleRatio'],
  ['ratioNotANumber', 'global.tracing.sampleRatio="half"', '/global/tracing/sampleRatio'],
  ['ratioExponentString', 'global.tracing.sampleRatio="1e-5"', '/global/tracing/sampleRatio'],
  ['samplerUnknown', 'global.tracing.sampler="sometimes"', '/global/tracing/sampler'],
  ['extractUnknownFormat', 'global.tracing.extract=["w3c","zipkin"]', '/global/tracing/extract'],
  ['extractEmpty', 'global.tracing.extract=[]', '/global/tracing/extract'],
  ['injectSameWithOthers', 'global.tracing.inject=["same","b3"]', '/global/tracing/inject'],
  ['injectAsString', 'global.tracing.inject="w3c,b3"', '/global/tracing/inject'],
  ['trustIncomingAsString', 'global.tracing.trustIncoming="off"', '/global/tracing/trustIncoming'],
  ['sinkUnknown', 'global.tracing.sink="tcp"', '/global/tracing/sink'],
  ['exporterUnknown', 'global.tracing.exporter.type="zipkin"', '/global/tracing/exporter/type'],
  ['endpointNotAUrl', 'global.tracing.exporter.endpoint="collector:4318"', '/global/tracing/exporter/endpoint'],
  ['secretNameInvalid', 'global.tracing.exporter.headersSecret.name="Bad_Name"', '/global/tracing/exporter/headersSecret/name'],
  ['metricsPortTooHigh', 'global.tracing.sidecar.metricsPort=70000', '/global/tracing/sidecar/metricsPort'],
  ['logLevelUnknown', 'global.tracing.sidecar.logLevel="verbose"', '/global/tracing/sidecar/logLevel'],
  ['digestMalformed', 'global.tracing.sidecar.image.digest="latest"', '/global/tracing/sidecar/image/digest'],
  ['typoInKnobName', 'global.tracing.sampleRate=0.5', "additional properties 'sampleRate' not allowed"],
  ['typoInTopLevelKey', 'tracing={"enabled":true}', "additional properties 'tracing' not allowed"],
  ['jsModuleNotAPath', 'global.tracing.controller.jsModule="ngx_http_js_module"', '/global/tracing/controller/jsModule'],
];

describeWithHelm('helm chart values schema', () => {
  let chart: string;
  beforeAll(() => {
    chart = chartCopy();
  });

  it.each(REJECTED)('rejects %s', async (_name, setJson, message) => {
    const result = await helm(['template', 'x', chart, '--set', 'global.tracing.enabled=true', '--set-json', setJson]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('values don\'t meet the specifications of the schema');
    expect(result.stderr).toContain(message);
  });

  it('accepts the ratio as --set passes it (a string) and renders it for nginx', async () => {
    const manifests = await template(chart, ['--set', 'global.tracing.enabled=true', '--set', 'global.tracing.sampleRatio=0.25']);
    const config = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('ingress-nginx-controller'))!;
    expect(config.data['http-snippet']).toContain('js_var $tracing_sample_ratio 0.25;');
  });

  it('writes a tiny ratio without exponent notation, which nginx would refuse', async () => {
    const manifests = await template(chart, ['--set', 'global.tracing.enabled=true', '--set-json', 'global.tracing.sampleRatio=0.00001']);
    const config = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('ingress-nginx-controller'))!;
    expect(config.data['http-snippet']).toContain('js_var $tracing_sample_ratio 0.00001;');
  });

  it('leaves the values of ingress-nginx and other globals to that chart', async () => {
    const manifests = await template(chart, ['--set', 'ingress-nginx.controller.replicaCount=3', '--set', 'global.image.registry=registry.example']);
    const deployment = manifests.find((m) => m.kind === 'Deployment')!;
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.spec.containers[0].image).toMatch(/^registry\.example\//);
  });
});
