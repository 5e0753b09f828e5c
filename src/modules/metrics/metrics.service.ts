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
    help: 'Interactions held back (in memory and the journal) because a write found the database unavailable',
    registers: [this.registry],
  });
  readonly recorderReplayed = new Counter({
    name: 'lamplight_recorder_replayed_total',
    help: 'Interactions stored from journal files: of a previous run, another instance, or evicted from memory during an outage',
    registers: [this.registry],
  });
  readonly recorderDropped = new Counter({
    name: 'lamplight_recorder_dropped_total',
    help: 'Interactions lost: the journal could not take them and they were dropped from memory, or nothing would store them',
    registers: [this.registry],
  });
  readonly recorderJournaled = new Counter({
    name: 'lamplight_recorder_journaled_total',
    help: 'Interactions written to the journal before their answer ended',
    registers: [this.registry],
  });
  readonly recorderJournalFailures = new Counter({
    name: 'lamplight_recorder_journal_failures_total',
    help: 'Interactions the journal could not take (kept in memory only)',
    registers: [this.registry],
  });
  readonly recorderJournalPending = new Gauge({
    name: 'lamplight_recorder_journal_pending',
    help: "Interactions in this instance's journal not yet stored in the database",
    registers: [this.registry],
  });
  readonly recorderDeadLettered = new Counter({
    name: 'lamplight_recorder_dead_lettered_total',
    help: 'Interactions the database refused for what they hold, kept in the dead-letter file',
    registers: [this.registry],
  });
  readonly recorderStoredWithoutContent = new Counter({
    name: 'lamplight_recorder_stored_without_content_total',
    help: 'Dead-lettered interactions stored without their content, so their usage and cost still count',
    registers: [this.registry],
  });
  readonly recorderCaptureFailures = new Counter({
    name: 'lamplight_recorder_capture_failures_total',
    help: 'Interactions recorded without content because capturing it failed',
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
