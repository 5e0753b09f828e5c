import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { ExpiringCache } from '../common/cache/expiring-cache';

/** The PostgreSQL channel every instance listens on. */
const INVALIDATION_CHANNEL = 'lamplight_cache_invalidation';

/** Topics. api-key: a key id, or `*` (an organization deleted: any of its keys may go). */
export const API_KEY_CACHE_TOPIC = 'api-key';
/** provider-key: an organization id whose default provider key changed. */
export const PROVIDER_KEY_CACHE_TOPIC = 'provider-key';
/** session: an organization id whose live sessions (or settings) changed. */
export const SESSION_CACHE_TOPIC = 'session';
/** spend-limit: an organization id whose spend limits or their settings changed. */
export const SPEND_LIMIT_CACHE_TOPIC = 'spend-limit';

/** What was changed: a topic (e.g. `api-key`) and a key within it (an id), or `*` for all. */
export type InvalidationHandler = (key: string) => void;

const RECONNECT_DELAY_MS = 1_000;

/**
 * NOTIFY within the caller's transaction, with the payload the triggers send (`json_build_object`'s
 * text, byte for byte): PostgreSQL delivers identical notifications of one transaction once, so a
 * change that both the app and a trigger announce reaches each listener once.
 */
const notifySql = (topic: string, key: string) =>
  `select pg_notify('${INVALIDATION_CHANNEL}', json_build_object('topic', ${topic}::text, 'key', ${key}::text)::text)`;

/**
 * What `announce` runs its NOTIFY on, in the transaction making the change: the ORM's
 * EntityManager (`?` placeholders) or a node-postgres client (`$n`).
 */
export type NotifyingConnection =
  | { execute(sql: string, params: unknown[]): Promise<unknown> }
  | { query(text: string, values: unknown[]): Promise<unknown> };

/**
 * Cross-instance cache invalidation (DESIGN section 6). Every change to what the proxy's
 * per-instance caches hold (API keys, organizations, provider keys, live sessions, spend limits)
 * NOTIFYs on commit, twice over: the app announces each change it makes in the same transaction,
 * on its own connection (`announce`), and triggers (migrations cache_invalidation,
 * session_cache_invalidation, spend_limits) announce every change whoever makes it (a script,
 * SQL by hand). Under Citus a distributed table's trigger runs on the worker holding the row,
 * where no instance listens: the app's own NOTIFY, sent through the coordinator, is what reaches
 * the instances then. Each instance LISTENs on one dedicated connection and drops the changed
 * entries. Caches are used only while that connection is up: whenever it is lost or (re)made,
 * every cache is emptied, and until it is back every lookup reads the database.
 */
export class CacheInvalidation implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('CacheInvalidation');
  private readonly handlers = new Map<string, InvalidationHandler[]>();
  /** Caches made by `cache`, each with its topic's handler. */
  private readonly caches: { cache: ExpiringCache<unknown>; handler: InvalidationHandler }[] = [];
  private client: Client | undefined;
  private connected = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly enabled: boolean,
  ) {}

  /**
   * A per-instance cache kept by this listener: it answers only while notifications are being
   * received, and an invalidation of `topic` drops the entries `owner` names with the changed key
   * (all of them for `*`, and whenever the connection is lost or made). With `keepLastKnown`, an
   * invalidation drops only what `get` answers: the next lookup reads the source again, and the
   * value last read stays the `lastKnown` one (for an outage) until a read replaces it.
   */
  cache<V>(
    topic: string,
    options: { ttlMs: number; maxEntries?: number; owner: (value: V, key: string) => string; keepLastKnown?: boolean },
  ): ExpiringCache<V> {
    const cache = new ExpiringCache<V>(options.ttlMs, options.maxEntries, () => this.connected);
    const handler: InvalidationHandler = (changed) => {
      const match = (value: V, key: string) => options.owner(value, key) === changed;
      if (options.keepLastKnown) {
        if (changed === '*') cache.forgetLive();
        else cache.forgetLiveWhere(match);
      } else if (changed === '*') cache.clear();
      else cache.deleteWhere(match);
    };
    this.subscribe(topic, handler);
    this.caches.push({ cache, handler });
    return cache;
  }

  subscribe(topic: string, handler: InvalidationHandler): void {
    const list = this.handlers.get(topic) ?? [];
    list.push(handler);
    this.handlers.set(topic, list);
  }

  /**
   * In the transaction of a change (on its connection): every instance, this one included, drops
   * `key` of `topic` when the transaction commits, and nothing if it rolls back.
   */
  async announce(connection: NotifyingConnection, topic: string, key: string): Promise<void> {
    if ('execute' in connection) await connection.execute(notifySql('?', '?'), [topic, key]);
    else await connection.query(notifySql('$1', '$2'), [topic, key]);
  }

  /**
   * After a committed change made here: drops `key` of `topic` from this instance's caches at once,
   * without waiting for the notification to come back.
   */
  clearLocal(topic: string, key: string): void {
    this.deliver(topic, key);
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
    const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 5_000, keepAlive: true });
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
    // Nothing more is heard: caches stop answering, but keep their last-known values for an outage
    // (while the database cannot be reached, no change can be committed to be missed; once it
    // answers again, lookups read it, and reconnecting empties everything).
    for (const { cache } of this.caches) cache.forgetLive();
    this.deliverAll({ exceptCaches: true });
    void client.end().catch(() => undefined);
    if (this.closed) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.connect(), RECONNECT_DELAY_MS);
    this.retry.unref();
  }

  private deliver(topic: string, key: string): void {
    for (const handler of this.handlers.get(topic) ?? []) handler(key);
  }

  private deliverAll(options: { exceptCaches?: boolean } = {}): void {
    const skip = new Set(options.exceptCaches ? this.caches.map((c) => c.handler) : []);
    for (const list of this.handlers.values()) for (const handler of list) if (!skip.has(handler)) handler('*');
  }
}
