/**
 * The harness itself, on every runtime: nginx starts, runs njs through js_set,
 * proxies to the echo upstream, reports the expected njs version and engine,
 * and stop() fails on an [error] line in error.log.
 */
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeEachRuntime } from '../support/runtimes.js';
import { startNginx } from '../support/nginx.js';
import { header } from '../support/echo-upstream.js';

const HELLO = fileURLToPath(new URL('../fixtures/hello.js', import.meta.url));

const HTTP = `
    js_import hello from hello.js;
    js_set $hello hello.hello;
    js_set $hello_engine hello.engine;
    server {
        listen 127.0.0.1:{{port:main}};
        location / {
            proxy_set_header x-hello $hello;
            proxy_pass http://{{upstream:echo}};
        }
        location = /engine { return 200 $hello_engine; }
        location /missing/ { root {{prefix}}/no-such-dir; }
    }
`;

describeEachRuntime('nginx runtime', (rt) => {
  it('runs js_set and proxies its value to the upstream', async () => {
    const nginx = await startNginx({ runtime: rt, http: HTTP, files: [HELLO] });
    const res = await fetch(nginx.url('/some/path?q=1'));
    expect(res.status).toBe(200);
    const seen = (await res.json()) as { url: string };
    expect(seen.url).toBe('/some/path?q=1');

    const [req] = nginx.upstream('echo').requests;
    expect(header(req, 'x-hello')).toMatch(/^hi-[0-9a-f]{32}$/);
    await nginx.stop();
    expect(nginx.accessLog()).toContain('GET /some/path?q=1');
  });

  it(`reports njs ${rt.name.replace(/^\w+-/, "")} on the ${rt.engine} engine`, async () => {
    const nginx = await startNginx({ runtime: rt, http: HTTP, files: [HELLO] });
    const [version, engine, bigint] = (await (await fetch(nginx.url('/engine'))).text()).split(' ');
    expect(version).toMatch(rt.njsVersion);
    expect(engine).toBe(rt.engine);
    // Only QuickJS has BigInt: proves js_engine really switched engines.
    expect(bigint).toBe(rt.engine === 'QuickJS' ? 'function' : 'undefined');
  });

  it('fails stop() on an [error] line in error.log unless allowed', async () => {
    const strict = await startNginx({ runtime: rt, http: HTTP, files: [HELLO] });
    expect((await fetch(strict.url('/missing/x'))).status).toBe(404);
    await expect(strict.stop()).rejects.toThrow(/\[error\].*No such file or directory[\s\S]*error\.log \(tail\)/);

    const tolerant = await startNginx({
      runtime: rt, http: HTTP, files: [HELLO], allowErrors: [/No such file or directory/],
    });
    expect((await fetch(tolerant.url('/missing/x'))).status).toBe(404);
    await tolerant.stop();
    expect(tolerant.errorLog()).toMatch(/\[error\]/);
  });

  it('reports a bad config with the output of nginx -t', async () => {
    await expect(startNginx({ runtime: rt, http: 'no_such_directive on;' }))
      .rejects.toThrow(/nginx -t failed[\s\S]*unknown directive "no_such_directive"/);
  });
});
