/**
 * The sidecar as one self-contained file: every dependency inlined and
 * minified, so the stock `node` image runs it with no node_modules (the Helm
 * chart mounts it from a ConfigMap, whose data must stay under 1 MiB).
 *
 * jaeger-client reads its Thrift IDL files from disk at run time; those reads
 * are replaced here by the files' text. Each replacement must apply exactly
 * once, so a changed jaeger-client fails the build instead of the sidecar.
 */
import { build, type Plugin } from 'esbuild';
import { clientNodeStubs } from './client-node-stubs.js';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * What src/sidecar/cli.ts runs. The bundle is CommonJS, not an ES module:
 * some dependencies (the `error` package under jaeger-client) assign to
 * read-only properties, which throws in an ES module's strict mode. CommonJS
 * has no top-level await, so the entry below calls main() the way cli.ts does.
 */
export const SIDECAR_MAIN = 'src/sidecar/main.ts';
/** ConfigMap data is limited to 1 MiB; keep room for the other keys. */
export const MAX_SINGLE_FILE_BYTES = 1_000_000;

interface Rewrite {
  file: RegExp;
  from: string;
  to: (dir: string) => string;
}

const idl = (dir: string, relative: string) => JSON.stringify(readFileSync(join(dir, relative), 'ascii'));

const THRIFT_REWRITES: Rewrite[] = [
  {
    file: /jaeger-client[\\/]dist[\\/]src[\\/]thrift\.js$/,
    from: "_fs2.default.readFileSync(_path2.default.join(__dirname, './jaeger-idl/thrift/jaeger.thrift'), 'ascii')",
    to: (dir) => idl(dir, 'jaeger-idl/thrift/jaeger.thrift'),
  },
  {
    // The agent IDL includes "../jaeger-idl/thrift/jaeger.thrift": thriftrw
    // resolves it against the entry point's folder and finds it in `idls`.
    file: /jaeger-client[\\/]dist[\\/]src[\\/]reporters[\\/]udp_sender\.js$/,
    from: 'entryPoint: _thrift2.default.buildAgentThriftPath(),\n      allowOptionalArguments: true,\n      allowFilesystemAccess: true',
    to: (dir) => {
      const src = join(dir, '..');
      return `entryPoint: 'thriftrw-idl/agent.thrift', allowOptionalArguments: true, idls: {` +
        `'thriftrw-idl/agent.thrift': ${idl(src, 'thriftrw-idl/agent.thrift')}, ` +
        `'jaeger-idl/thrift/jaeger.thrift': ${idl(src, 'jaeger-idl/thrift/jaeger.thrift')}}`;
    },
  },
];

function inlineThriftIdl(): Plugin {
  return {
    name: 'inline-thrift-idl',
    setup(b) {
      const applied = new Set<Rewrite>();
      for (const rewrite of THRIFT_REWRITES) {
        b.onLoad({ filter: rewrite.file }, (args) => {
          const text = readFileSync(args.path, 'utf8');
          if (text.split(rewrite.from).length !== 2) {
            throw new Error(`${args.path}: expected exactly one "${rewrite.from.slice(0, 60)}…" to inline the Thrift IDL`);
          }
          applied.add(rewrite);
          return { contents: text.replace(rewrite.from, () => rewrite.to(dirname(args.path))), loader: 'js' };
        });
      }
      b.onEnd((result) => {
        if (result.errors.length === 0 && applied.size !== THRIFT_REWRITES.length) {
          throw new Error('jaeger-client Thrift IDL was not inlined: its files moved; update scripts/sidecar-single-file.ts');
        }
      });
    },
  };
}

/** Bundles the sidecar into one CommonJS file (text); fails if it outgrows a ConfigMap. */
export async function bundleSidecarSingleFile(): Promise<string> {
  const result = await build({
    stdin: {
      contents: `import { main } from './${SIDECAR_MAIN}';\nmain().catch((error) => { console.error(error); process.exit(1); });\n`,
      resolveDir: root,
      sourcefile: 'sidecar-single-file-entry.ts',
      loader: 'ts',
    },
    bundle: true,
    write: false,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    plugins: [inlineThriftIdl(), clientNodeStubs()],
    logLevel: 'error',
  });
  const text = result.outputFiles[0].text;
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_SINGLE_FILE_BYTES) {
    throw new Error(`sidecar single-file bundle is ${bytes} bytes, over ${MAX_SINGLE_FILE_BYTES} (a ConfigMap holds 1 MiB)`);
  }
  return text;
}
