/**
 * An esbuild plugin for the single-file sidecar: @kubernetes/client-node's
 * KubeConfig and ListWatch modules import the package's generated API
 * clients and models (~0.35 MB minified, through config.js and
 * serializer.js) and node-fetch imports whatwg-url (~0.29 MB of Unicode
 * tables), and socks-proxy-agent (~70 KB, for a socks5 proxy-url), none of
 * which src/k8s runs in a pod: it makes its two requests itself
 * (src/k8s/kube-api.ts), passes ListWatch no label selector (the only use of
 * its serializer), and node-fetch takes Node's own URL when there is one.
 * Those imports are replaced by small stand-ins that throw if ever reached.
 * Each stand-in must be used exactly as expected, so an upgraded client-node
 * fails the build instead of the sidecar.
 */
import type { Plugin } from 'esbuild';

interface Stub {
  /** Import specifier (exact) and the importer's path (end). */
  specifier: string;
  importer: RegExp;
  contents: string;
}

const unreachable = (what: string) => `throw new Error(${JSON.stringify(`${what} is not bundled into the single-file sidecar`)})`;

const STUBS: Stub[] = [
  {
    specifier: './gen/index.js',
    importer: /@kubernetes[\\/]client-node[\\/]dist[\\/]config\.js$/,
    contents: `export function createConfiguration() { ${unreachable('client-node createConfiguration')}; }
export class ServerConfiguration { constructor() { ${unreachable('client-node ServerConfiguration')}; } }`,
  },
  {
    specifier: './serializer.js',
    importer: /@kubernetes[\\/]client-node[\\/]dist[\\/]cache\.js$/,
    contents: `export class ObjectSerializer { static serialize() { ${unreachable('client-node ObjectSerializer')}; } }`,
  },
  {
    // Only for a kubeconfig whose cluster has a socks5 proxy-url (~70 KB with socks and ip-address).
    specifier: 'socks-proxy-agent',
    importer: /@kubernetes[\\/]client-node[\\/]dist[\\/]config\.js$/,
    contents: `export class SocksProxyAgent { constructor() { ${unreachable('a socks proxy for the Kubernetes API')}; } }`,
  },
  {
    specifier: 'whatwg-url',
    importer: /node-fetch[\\/]lib[\\/]index\.(m?js)$/,
    contents: 'export const URL = globalThis.URL; export default { URL: globalThis.URL };',
  },
];

export function clientNodeStubs(): Plugin {
  return {
    name: 'client-node-stubs',
    setup(build) {
      const used = new Set<Stub>();
      for (const stub of STUBS) {
        const filter = new RegExp(`^${stub.specifier.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
        build.onResolve({ filter }, (args) => {
          if (!stub.importer.test(args.importer)) return undefined;
          used.add(stub);
          return { path: stub.specifier, namespace: `client-node-stub-${STUBS.indexOf(stub)}` };
        });
        build.onLoad({ filter: /.*/, namespace: `client-node-stub-${STUBS.indexOf(stub)}` }, () => ({ contents: stub.contents, loader: 'js' }));
      }
      build.onEnd((result) => {
        const unused = STUBS.filter((stub) => !used.has(stub));
        if (result.errors.length === 0 && unused.length > 0) {
          throw new Error(`client-node stubs not applied (${unused.map((s) => s.specifier).join(', ')}): update scripts/client-node-stubs.ts`);
        }
      });
    },
  };
}
