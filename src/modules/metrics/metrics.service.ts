import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Lamplight's Prometheus metrics, in a registry of its own (one per application instance). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly recorderQueued = new Gauge({
    name: 'lamplight_recorder_queued',
    help: 'Interactions waiting in the in-process queue',
    registers: [this.registry],
  });
  readonly recorderWritten = new Counter({
    name: 'lamplight_recorder_written_total',
    help: 'Interactions written to the database',
    registers: [this.registry],
  });
  readonly recorderSpooled = new Counter({
    name: 'lamplight_recorder_spooled_total',
    help: 'Interactions written to the local spool because the database was unavailable',
    registers: [this.registry],
  });
  readonly recorderReplayed = new Counter({
    name: 'lamplight_recorder_replayed_total',
    help: 'Spooled interactions replayed into the database',
    registers: [this.registry],
  });
  readonly recorderDropped = new Counter({
    name: 'lamplight_recorder_dropped_total',
    help: 'Interactions lost: neither the database nor the spool would take them',
    registers: [this.registry],
  });
  readonly unpriced = new Counter({
    name: 'lamplight_interactions_unpriced_total',
    help: 'Interactions whose model has no price in the pricing table',
    labelNames: ['model'],
    registers: [this.registry],
  });
  readonly proxyRequests = new Counter({
    name: 'lamplight_proxy_requests_total',
    help: 'Proxied calls by route and outcome',
    labelNames: ['route', 'outcome'],
    registers: [this.registry],
  });
  readonly proxyDuration = new Histogram({
    name: 'lamplight_proxy_request_duration_seconds',
    help: 'Proxied call duration, from request to last byte',
    labelNames: ['route', 'stream'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly proxyTimeToFirstByte = new Histogram({
    name: 'lamplight_proxy_time_to_first_byte_seconds',
    help: 'Time from request to the first response byte sent to the client',
    labelNames: ['route', 'stream'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'lamplight_' });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
