import { describe, expect, it } from 'vitest';
import { parseAnnotations } from '../../src/k8s/annotations.js';
import { ingressKey, maxKeyLength } from '../../src/k8s/ingress-key.js';
import { PolicyState } from '../../src/k8s/policy-state.js';
import { policyMapFiles } from '../../src/k8s/render-maps.js';

const P = 'njs-tracing.io/';
const w3c = { headers: 'w3c' as const };
const all = { headers: 'all' as const };

describe('annotation values', () => {
  const accepted: Array<[string, string, string, 'w3c' | 'all']> = [
    ['enabled', 'true', 'on', 'w3c'],
    ['enabled', 'False', 'off', 'w3c'],
    ['enabled', ' off ', 'off', 'w3c'],
    ['sample-ratio', '0.01', '0.01', 'w3c'],
    ['sample-ratio', '1.0', '1', 'w3c'],
    ['sample-ratio', '.000', '0', 'w3c'],
    ['sampler', 'ParentBased_AlwaysOn'.replace('AlwaysOn', 'always_on'), 'parentbased_always_on', 'w3c'],
    ['extract', 'W3C, b3 ,jaeger', 'w3c,b3,jaeger', 'w3c'],
    ['inject', 'w3c', 'w3c', 'w3c'],
    ['inject', 'w3c, b3', 'w3c,b3', 'all'],
    ['inject', 'same', 'same', 'all'],
    ['trust-incoming', 'false', 'off', 'w3c'],
    ['record-query', 'on', 'on', 'w3c'],
    ['route', '/cart/{id}', '/cart/{id}', 'w3c'],
  ];
  for (const [annotation, value, canonical, headers] of accepted) {
    it(`takes ${annotation}=${JSON.stringify(value)} as ${canonical}`, () => {
      const parsed = parseAnnotations({ [P + annotation]: value }, { headers });
      expect(parsed.errors).toEqual([]);
      expect(Object.values(parsed.valid)).toEqual([canonical]);
    });
  }

  const hostile: Array<[string, string, string]> = [
    ['ratioAboveOne', 'sample-ratio', '1.5'],
    ['ratioNegative', 'sample-ratio', '-0.1'],
    ['ratioExponent', 'sample-ratio', '1e-3'],
    ['ratioTrailingDot', 'sample-ratio', '0.'],
    ['unknownSampler', 'sampler', 'probabilistic'],
    ['unknownFormat', 'extract', 'w3c,zipkin'],
    ['emptyList', 'extract', ''],
    ['b3WithoutFormatsInclude', 'inject', 'w3c,b3'],
    ['yesIsNotABoolean', 'enabled', 'yes'],
    ['mapInjection', 'sample-ratio', '1; } server { listen 80; } map $x $y { default 1'],
    ['quoteInRoute', 'route', '/x"; include /etc/passwd; #'],
    ['variableInRoute', 'route', '/x/$http_authorization'],
    ['semicolonInRoute', 'route', '/x;y'],
    ['spaceInRoute', 'route', '/x y'],
    ['newlineInRoute', 'route', '/x\n}'],
    ['backslashInRoute', 'route', '/x\\"'],
    ['routeWithoutSlash', 'route', 'cart'],
    ['longRoute', 'route', '/' + 'a'.repeat(300)],
    ['newlineInSampler', 'sampler', 'always_on\n}'],
    ['variableInEnabled', 'enabled', '$http_x'],
    ['nulByte', 'trust-incoming', 'on\0'],
  ];
  for (const [name, annotation, value] of hostile) {
    it(`refuses ${name}`, () => {
      const parsed = parseAnnotations({ [P + annotation]: value }, w3c);
      expect(parsed.valid, name).toEqual({});
      expect(parsed.errors, name).toHaveLength(1);
      expect(parsed.errors[0].annotation).toBe(P + annotation);
    });
  }

  it('reports an unknown annotation in our prefix and ignores other prefixes', () => {
    const parsed = parseAnnotations(
      { [P + 'sample-rate']: '0.5', 'nginx.ingress.kubernetes.io/enable-opentelemetry': 'true' },
      w3c,
    );
    expect(parsed.valid).toEqual({});
    expect(parsed.errors).toMatchObject([{ annotation: P + 'sample-rate', knob: null }]);
  });

  it('accepts b3 injection only where the formats include is there', () => {
    expect(parseAnnotations({ [P + 'inject']: 'b3' }, all).valid).toEqual({ inject: 'b3' });
    expect(parseAnnotations({ [P + 'inject']: 'b3' }, w3c).errors).toHaveLength(1);
  });
});

describe('policy state', () => {
  it('keeps the last valid value of a knob whose new value is refused, and reverts a removed one', () => {
    const state = new PolicyState();
    state.apply('shop/web', parseAnnotations({ [P + 'sample-ratio']: '0.25', [P + 'sampler']: 'always_on' }, w3c));
    expect(state.apply('shop/web', parseAnnotations({ [P + 'sample-ratio']: '2', [P + 'sampler']: 'always_on' }, w3c))).toBe(false);
    expect(state.get('shop/web')).toEqual({ sample_ratio: '0.25', sampler: 'always_on' });
    state.apply('shop/web', parseAnnotations({ [P + 'sample-ratio']: '2' }, w3c));
    expect(state.get('shop/web')).toEqual({ sample_ratio: '0.25' });
    state.apply('shop/web', parseAnnotations({}, w3c));
    expect(state.get('shop/web')).toBeUndefined();
  });

  it('starts a new Ingress with a refused value at the default', () => {
    const state = new PolicyState();
    state.apply('shop/api', parseAnnotations({ [P + 'sample-ratio']: '2' }, w3c));
    expect(state.get('shop/api')).toBeUndefined();
  });
});

describe('ingress keys', () => {
  it('fits the map hash bucket exactly as nginx counts it', () => {
    expect(maxKeyLength(64)).toBe(46);
    expect(maxKeyLength(128)).toBe(110);
    expect('key' in ingressKey('a'.repeat(20), 'b'.repeat(25), 64)).toBe(true); // 46 characters
    expect(ingressKey('a'.repeat(20), 'b'.repeat(26), 64)).toMatchObject({ error: expect.stringContaining('map-hash-bucket-size') });
  });

  it('refuses names outside Kubernetes grammar', () => {
    for (const [namespace, name] of [['Shop', 'web'], ['shop', 'we b'], ['shop', 'web"'], ['shop/x', 'web'], ['', 'web'], ['shop', '-web']]) {
      expect(ingressKey(namespace, name, 256), `${namespace}/${name}`).toHaveProperty('error');
    }
  });
});

describe('map files', () => {
  it('gives identical policies one id and writes each knob only where set', () => {
    const files = policyMapFiles({
      'ops/admin': { enabled: 'off' },
      'shop/api': { sample_ratio: '0.01', route: '/api/{id}' },
      'shop/web': { enabled: 'off' },
    });
    expect(files['ingresses.map']).toContain('"ops/admin" p1;\n"shop/api" p2;\n"shop/web" p1;');
    expect(files['enabled.map']).toContain('p1 "off";');
    expect(files['sample_ratio.map']).toContain('p2 "0.01";');
    expect(files['route.map']).toContain('p2 "/api/{id}";');
    expect(files['sampler.map'].split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([]);
  });

  it('refuses to render a value outside the safe alphabet', () => {
    expect(() => policyMapFiles({ 'shop/web': { route: '/x"; }' } })).toThrow(TypeError);
    expect(() => policyMapFiles({ 'sh"op/web': { enabled: 'on' } })).toThrow(TypeError);
  });
});
