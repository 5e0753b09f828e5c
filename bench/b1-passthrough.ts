/**
 * B1: the bare baseline a gateway is measured against. Fastify + an undici keep-alive pool, no
 * Nest, no database: every POST under /spotlight/anthropic goes to the upstream and streams back.
 *   UPSTREAM_URL  the mock (or any) upstream; PORT (0 = any free port). Prints `B1 listening on <url>`.
 */
import Fastify from 'fastify';
import { Pool } from 'undici';

const upstream = new URL(process.env.UPSTREAM_URL ?? 'http://127.0.0.1:4010');
const pool = new Pool(upstream.origin, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });
const app = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

app.post('/spotlight/anthropic/*', async (request, reply) => {
  const path = request.url.slice('/spotlight/anthropic'.length);
  const response = await pool.request({
    method: 'POST',
    path,
    body: request.body as Buffer,
    headers: {
      'content-type': String(request.headers['content-type'] ?? 'application/json'),
      'anthropic-version': String(request.headers['anthropic-version'] ?? '2023-06-01'),
      'x-api-key': 'sk-ant-api03-b1-baseline',
    },
  });
  reply.hijack();
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'request-id']) {
    const value = response.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  reply.raw.writeHead(response.statusCode, headers);
  for await (const chunk of response.body) {
    if (!reply.raw.write(chunk)) await new Promise((resolve) => reply.raw.once('drain', resolve));
  }
  reply.raw.end();
});

void app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' }).then((url) => {
  process.stdout.write(`B1 listening on ${url}\n`);
});
process.once(
  'SIGTERM',
  () =>
    void app
      .close()
      .then(() => pool.close())
      .then(() => process.exit(0)),
);
