import { createServer } from 'node:net';
import { StartupError } from './startup-error';

/** The one-line reason a listen on `host:port` failed, or undefined for an error of another kind. */
export function describeListenError(error: unknown, host: string, port: number): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return `PORT ${port} on ${host} is already in use by another process; stop it, or set PORT to a free port.`;
  }
  if (code === 'EACCES')
    return `PORT ${port} on ${host} needs privileges this process lacks; set PORT to 1024 or above.`;
  if (code === 'EADDRNOTAVAIL')
    return `HOST ${host} is not an address of this machine; set HOST (for example 127.0.0.1).`;
  return undefined;
}

/**
 * Fails fast, before the database starts, when nothing could listen on `host:port`. The real
 * listen still reports a port taken in between with the same message.
 */
export async function assertPortAvailable(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error) => {
      const reason = describeListenError(error, host, port);
      reject(reason ? new StartupError(reason) : error);
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}
