import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';

/** The PostgreSQL channel every instance listens on. */
export const INVALIDATION_CHANNEL = 'lamplight_cache_invalidation';

/** What was changed: a topic (e.g. `api-key`) and a key within it (an id), or `*` for all. */
export type InvalidationHandler = (key: string) => void;

const RECONNECT_DELAY_MS = 1_000;

/**
 * Cross-instance cache invalidation (DESIGN section 6), in two parts. Correctness: triggers
 * (migration cache_invalidation) advance the `lamplight_cache_epoch` sequence on every change to
 * API keys, organizations' deletion and provider keys; the proxy reads it with its per-call
 * session query and rechecks any cached answer stamped with an older epoch before going upstream.
 * Freshness: the same triggers NOTIFY on commit; each instance LISTENs on one dedicated
 * connection and drops the changed entries (everything, on every (re)connection), so rechecks are rare.
 */
export class CacheInvalidation implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('CacheInvalidation');
  private readonly handlers = new Map<string, InvalidationHandler[]>();
  private client: Client | undefined;
  private connected = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private epoch: string | null = null;

  constructor(
    private readonly url: string,
    private readonly enabled: boolean,
  ) {}

  /** True while notifications are being received: only then may a cached entry be used. */
  get live(): boolean {
    return this.connected;
  }

  subscribe(topic: string, handler: InvalidationHandler): void {
    const list = this.handlers.get(topic) ?? [];
    list.push(handler);
    this.handlers.set(topic, list);
  }

  /** After a committed change made here: drops `key` of `topic` on this instance at once. */
  async publish(topic: string, key: string): Promise<void> {
    this.deliver(topic, key);
  }

  /**
   * The highest cache epoch (the `lamplight_cache_epoch` sequence, advanced by the triggers on
   * every relevant change) this instance has seen, or null before the first. Caches stamp their
   * entries with it, taken before reading the database.
   */
  get knownEpoch(): string | null {
    return this.epoch;
  }

  /** Records an epoch read from the database (the proxy's session query carries it). */
  observeEpoch(epoch: string): void {
    if (this.epoch === null || BigInt(epoch) > BigInt(this.epoch)) this.epoch = epoch;
  }

  async onModuleInit(): Promise<void> {
    if (this.enabled) await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.connected = false;
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 5_000 });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (message.channel !== INVALIDATION_CHANNEL || !message.payload) return;
      try {
        const { topic, key } = JSON.parse(message.payload) as { topic: string; key: string };
        this.deliver(topic, key);
      } catch {
        this.deliverAll();
      }
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${INVALIDATION_CHANNEL}`);
      // Whatever happened while we were not listening is unknown: start from nothing.
      this.deliverAll();
      this.connected = true;
    } catch (error) {
      this.logger.warn(`Cache invalidation listener could not connect: ${(error as Error).message}`);
      this.lost(client);
    }
  }

  private lost(client: Client): void {
    if (this.client !== client) return;
    this.connected = false;
    this.client = undefined;
    this.deliverAll();
    void client.end().catch(() => undefined);
    if (this.closed) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.connect(), RECONNECT_DELAY_MS);
    this.retry.unref();
  }

  private deliver(topic: string, key: string): void {
    for (const handler of this.handlers.get(topic) ?? []) handler(key);
  }

  private deliverAll(): void {
    for (const list of this.handlers.values()) for (const handler of list) handler('*');
  }
}
