/**
 * The three real nginx + njs runtimes the project must work on:
 *   njs-0.7.9  host Debian bookworm nginx 1.22 + njs 0.7.9
 *   njs-1.0    Debian sid nginx 1.30 + njs 1.0 (njs engine), run with chroot
 *   qjs-1.0    the same binary with `js_engine qjs;`
 * scripts/setup.sh installs all of them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';

export type RuntimeName = 'njs-0.7.9' | 'njs-1.0' | 'qjs-1.0';

export interface Runtime {
  name: RuntimeName;
  /** Host directory nginx is chrooted into; null when nginx runs on the host. */
  root: string | null;
  /** Path of the nginx binary as nginx sees it (inside root). */
  nginx: string;
  /** Path of the njs module as nginx sees it (inside root), for load_module. */
  jsModule: string;
  /** Directives put first inside http {} (engine selection). */
  httpPrelude: string;
  /** What njs.version must look like on this runtime. */
  njsVersion: RegExp;
  /** Engine name: the njs engine or QuickJS. */
  engine: 'njs' | 'QuickJS';
  available(): boolean;
  /** Why available() is false, with the command that fixes it. */
  unavailableReason(): string;
  /** argv that runs nginx with the given arguments (prefixed with chroot). */
  command(args: string[]): [string, string[]];
}

export const DEFAULT_SID_ROOT = '/var/cache/njs-tracing/sid-root';

export function sidRoot(): string {
  return process.env.NJS_TRACING_SID_ROOT || DEFAULT_SID_ROOT;
}

const NGINX = '/usr/sbin/nginx';
const JS_MODULE = '/usr/lib/nginx/modules/ngx_http_js_module.so';

function hostRuntime(): Runtime {
  return {
    name: 'njs-0.7.9',
    root: null,
    nginx: NGINX,
    jsModule: JS_MODULE,
    httpPrelude: '',
    njsVersion: /^0\.7\.9$/,
    engine: 'njs',
    available: () => existsSync(NGINX) && existsSync(JS_MODULE),
    unavailableReason: () =>
      `host nginx (${NGINX}) or njs module (${JS_MODULE}) missing; run: sudo bash scripts/setup.sh`,
    command: (args) => [NGINX, args],
  };
}

function sidRuntime(name: RuntimeName, engine: 'njs' | 'QuickJS'): Runtime {
  const root = sidRoot();
  return {
    name,
    root,
    nginx: NGINX,
    jsModule: JS_MODULE,
    // js_engine exists since njs 0.8.6; naming the njs engine too keeps the
    // two sid runtimes symmetrical and immune to a future default change.
    httpPrelude: engine === 'QuickJS' ? 'js_engine qjs;' : 'js_engine njs;',
    njsVersion: /^1\.0\.\d+$/,
    engine,
    available: () =>
      process.getuid?.() === 0 &&
      existsSync(join(root, NGINX)) &&
      existsSync(join(root, JS_MODULE)),
    unavailableReason: () =>
      process.getuid?.() !== 0
        ? `${name} runs nginx with chroot, which needs root`
        : `no sid root with nginx + njs at ${root} (NJS_TRACING_SID_ROOT); run: sudo bash scripts/setup.sh`,
    command: (args) => ['chroot', [root, NGINX, ...args]],
  };
}

export const RUNTIMES: readonly Runtime[] = [
  hostRuntime(),
  sidRuntime('njs-1.0', 'njs'),
  sidRuntime('qjs-1.0', 'QuickJS'),
];

export function runtime(name: RuntimeName): Runtime {
  const found = RUNTIMES.find((r) => r.name === name);
  if (!found) throw new TypeError(`unknown runtime "${name}"`);
  return found;
}

const isCI = () => process.env.CI === 'true' || process.env.CI === '1';

/**
 * describe() the same behaviour once per runtime. A missing runtime fails the
 * suite in CI (CI=true) and is skipped locally with a loud warning, so a
 * machine without the sid root can still run the rest.
 */
export function describeEachRuntime(
  title: string,
  body: (rt: Runtime) => void,
  runtimes: readonly Runtime[] = RUNTIMES,
): void {
  for (const rt of runtimes) {
    const name = `${title} [${rt.name}]`;
    if (rt.available()) {
      describe(name, () => body(rt));
    } else if (isCI()) {
      describe(name, () => {
        it('has its runtime installed', () => {
          throw new Error(`runtime ${rt.name} unavailable: ${rt.unavailableReason()}`);
        });
      });
    } else {
      console.warn(
        `\n!!! SKIPPING "${name}": runtime ${rt.name} unavailable: ${rt.unavailableReason()}\n` +
          '!!! (this fails in CI)\n',
      );
      describe.skip(name, () => body(rt));
    }
  }
}
