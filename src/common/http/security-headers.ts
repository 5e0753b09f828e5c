import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * Security headers on every response, from @fastify/helmet: `nosniff`, no framing (DENY and
 * `frame-ancestors 'none'`), no referrer, a content security policy that lets HTML here load
 * only from this origin (Swagger UI needs its inline styles), and HSTS only when configured,
 * since it binds browsers to HTTPS. The share page sets its own, stricter policy.
 */
export async function registerSecurityHeaders(
  app: NestFastifyApplication,
  options: { hstsMaxAgeSeconds: number },
): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    hsts: options.hstsMaxAgeSeconds > 0 ? { maxAge: options.hstsMaxAgeSeconds, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
  });
}
