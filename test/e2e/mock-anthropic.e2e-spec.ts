import Anthropic from '@anthropic-ai/sdk';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request } from 'undici';
import {
  DEFAULT_REPLY_TEXT,
  MOCK_MODELS,
  estimateInputTokens,
  startMockAnthropic,
  type MockAnthropic,
  type MockScenario,
} from '../../mock-upstream/mock-anthropic';

const MODEL = 'claude-sonnet-4-6';
const API_KEY = 'sk-ant-api03-test-key-000000';

/** The body marker a gateway would forward untouched. */
const marker = (scenario: MockScenario): string => `MOCK:${JSON.stringify(scenario)}`;
const scenarioHeader = (scenario: MockScenario): Record<string, string> => ({
  'x-mock-scenario': JSON.stringify(scenario),
});

function sdk(mock: MockAnthropic, options: { apiKey?: string; maxRetries?: number; timeout?: number } = {}): Anthropic {
  return new Anthropic({
    apiKey: options.apiKey ?? API_KEY,
    authToken: null,
    baseURL: mock.url,
    maxRetries: options.maxRetries ?? 0,
    timeout: options.timeout ?? 10_000,
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Parses an SSE byte stream into frames, checking every frame is `event: X\ndata: {...type: X}`. */
function parseFrames(bytes: Buffer): Array<{ event: string; data: Record<string, unknown> }> {
  const text = bytes.toString('utf8');
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((raw) => {
      const match = /^event: ([a-z_]+)\ndata: (.*)$/.exec(raw);
      if (!match) throw new Error(`malformed SSE frame: ${JSON.stringify(raw)}`);
      const data = JSON.parse(match[2]) as Record<string, unknown>;
      expect(data.type).toBe(match[1]);
      return { event: match[1], data };
    });
}

async function rawPost(
  mock: MockAnthropic,
  path: string,
  body: string,
  headers: Record<string, string> = { 'x-api-key': API_KEY },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; bytes: Buffer }> {
  const response = await request(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(chunk as Buffer);
  return { status: response.statusCode, headers: response.headers, bytes: Buffer.concat(chunks) };
}

function requestIdOf(headers: Record<string, string | string[] | undefined>): string {
  const id = headers['request-id'];
  if (typeof id !== 'string') throw new Error('response carries no request-id');
  return id;
}

describe('mock Anthropic upstream, driven by the official SDK', () => {
  let mock: MockAnthropic;

  beforeAll(async () => {
    mock = await startMockAnthropic();
  });
  afterAll(async () => {
    await mock.close();
  });
  beforeEach(() => mock.reset());

  describe('messages.create (JSON)', () => {
    it('returns the reply text, Anthropic usage buckets and a request-id keyed to sentBytes', async () => {
      const client = sdk(mock);
      const usage = {
        input_tokens: 42,
        cache_read_input_tokens: 7,
        cache_creation: { ephemeral_5m_input_tokens: 3, ephemeral_1h_input_tokens: 5 },
      };
      const { data, response } = await client.messages
        .create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: `Say hi. ${marker({ usage })}` }] })
        .withResponse();

      expect(data.id).toMatch(/^msg_01[A-Za-z0-9]{22}$/);
      expect(data.type).toBe('message');
      expect(data.role).toBe('assistant');
      expect(data.model).toBe(MODEL);
      expect(data.content).toEqual([{ type: 'text', text: DEFAULT_REPLY_TEXT }]);
      expect(data.stop_reason).toBe('end_turn');
      expect(data.stop_sequence).toBeNull();
      expect(data.usage).toEqual({
        input_tokens: 42,
        cache_creation_input_tokens: 8,
        cache_read_input_tokens: 7,
        cache_creation: { ephemeral_5m_input_tokens: 3, ephemeral_1h_input_tokens: 5 },
        output_tokens: DEFAULT_REPLY_TEXT.split(' ').length,
        service_tier: 'standard',
      });

      const requestId = response.headers.get('request-id');
      expect(requestId).toMatch(/^req_[A-Za-z0-9]{24}$/);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('anthropic-organization-id')).toBeTruthy();
      expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('4000');
      const sent = mock.sentBytes.get(requestId!);
      expect(sent).toBeDefined();
      expect(JSON.parse(sent!.toString('utf8'))).toEqual(JSON.parse(JSON.stringify(data)));

      expect(mock.requests).toHaveLength(1);
      const recorded = mock.requests[0];
      expect(recorded).toMatchObject({
        id: requestId,
        method: 'POST',
        path: '/v1/messages',
        apiKey: API_KEY,
        stream: false,
      });
      expect(recorded.scenario).toEqual({ usage });
      expect((recorded.json as { model: string }).model).toBe(MODEL);
      expect(JSON.parse(recorded.body)).toEqual(recorded.json);
      expect(mock.completed).toEqual([requestId]);
    }, 15_000);

    it('takes the scenario from the x-mock-scenario header, and counts input tokens deterministically', async () => {
      const client = sdk(mock);
      const body = { model: MODEL, max_tokens: 64, messages: [{ role: 'user' as const, content: 'no marker here' }] };
      const message = await client.messages.create(body, {
        headers: scenarioHeader({ text: 'Header scenario reply.' }),
      });
      expect(message.content).toEqual([{ type: 'text', text: 'Header scenario reply.' }]);
      expect(message.usage.output_tokens).toBe(3);
      expect(message.usage.input_tokens).toBe(estimateInputTokens(body));
      expect(message.usage.cache_creation_input_tokens).toBe(0);
      expect(message.usage.cache_read_input_tokens).toBe(0);
    }, 15_000);

    it('finds the marker in a system prompt text block', async () => {
      const client = sdk(mock);
      const message = await client.messages.create({
        model: MODEL,
        max_tokens: 64,
        system: [
          {
            type: 'text',
            text: `You are terse. ${marker({ text: 'From the system prompt.', usage: { output_tokens: 99 } })}`,
          },
        ],
        messages: [{ role: 'user', content: 'hello' }],
      });
      expect(message.content).toEqual([{ type: 'text', text: 'From the system prompt.' }]);
      expect(message.usage.output_tokens).toBe(99);
    }, 15_000);

    it('answers a tool_use scenario with a tool_use block and stop_reason tool_use', async () => {
      const client = sdk(mock);
      const input = { city: 'Paris', days: [1, 2, 3] };
      const message = await client.messages.create({
        model: MODEL,
        max_tokens: 64,
        messages: [{ role: 'user', content: marker({ text: '', toolUse: { name: 'get_weather', input } }) }],
      });
      expect(message.stop_reason).toBe('tool_use');
      expect(message.content).toHaveLength(1);
      expect(message.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather', input });
      expect((message.content[0] as { id: string }).id).toMatch(/^toolu_01/);
    }, 15_000);
  });

  describe('scripted conversations (as Claude Code sends them)', () => {
    type Param = Anthropic.MessageParam;
    const reminder = (text: string): Anthropic.TextBlockParam => ({
      type: 'text',
      text: `<system-reminder>\n${text}\n</system-reminder>\n`,
    });
    const toolResult = (id: string, content: string): Param => ({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: id, content }],
    });

    it('then: the scenario answers first, then[k-1] after the k-th assistant turn, the default past the end', async () => {
      const client = sdk(mock);
      const scenario: MockScenario = {
        text: '',
        toolUse: { name: 'Read', input: { file_path: '/tmp/a' }, id: 'toolu_01read' },
        then: [
          { text: '', toolUse: { name: 'Bash', input: { command: 'echo hi' }, id: 'toolu_01bash' } },
          { text: 'All done.' },
        ],
      };
      // The marked prompt sits among injected blocks, after a reminder, as Claude Code sends it.
      const messages: Param[] = [
        {
          role: 'user',
          content: [reminder('Today is a day.'), { type: 'text', text: `Read, then run. ${marker(scenario)}` }],
        },
      ];
      const tools: Anthropic.Tool[] = [
        { name: 'Read', input_schema: { type: 'object' } },
        { name: 'Bash', input_schema: { type: 'object' } },
      ];

      const first = await client.messages.create({ model: MODEL, max_tokens: 64, tools, messages });
      expect(first.content).toEqual([
        { type: 'tool_use', id: 'toolu_01read', name: 'Read', input: { file_path: '/tmp/a' } },
      ]);
      messages.push({ role: 'assistant', content: first.content }, toolResult('toolu_01read', 'contents'));

      const second = await client.messages.stream({ model: MODEL, max_tokens: 64, tools, messages }).finalMessage();
      expect(second.content).toEqual([
        { type: 'tool_use', id: 'toolu_01bash', name: 'Bash', input: { command: 'echo hi' } },
      ]);
      expect(second.stop_reason).toBe('tool_use');
      messages.push({ role: 'assistant', content: second.content }, toolResult('toolu_01bash', 'hi'));

      const third = await client.messages.create({ model: MODEL, max_tokens: 64, tools, messages });
      expect(third.content).toEqual([{ type: 'text', text: 'All done.' }]);
      expect(third.stop_reason).toBe('end_turn');
      messages.push(
        { role: 'assistant', content: third.content },
        { role: 'user', content: [reminder('A task finished.')] },
      );

      const fourth = await client.messages.create({ model: MODEL, max_tokens: 64, tools, messages });
      expect(fourth.content).toEqual([{ type: 'text', text: DEFAULT_REPLY_TEXT }]);
      expect(mock.requests.map((r) => r.scenario)).toEqual([scenario, scenario.then![0], scenario.then![1], {}]);
    }, 15_000);

    it('a later marked prompt wins over an earlier one; without then a scenario answers every turn', async () => {
      const client = sdk(mock);
      const messages: Param[] = [
        { role: 'user', content: `First. ${marker({ text: 'First answer.' })}` },
        { role: 'assistant', content: 'First answer.' },
        { role: 'user', content: 'No marker here.' },
      ];
      const unchanged = await client.messages.create({ model: MODEL, max_tokens: 64, messages });
      expect(unchanged.content).toEqual([{ type: 'text', text: 'First answer.' }]);
      messages.push(
        { role: 'assistant', content: 'First answer.' },
        { role: 'user', content: [{ type: 'text', text: `Second. ${marker({ text: 'Second answer.' })}` }] },
      );
      const continued = await client.messages.create({ model: MODEL, max_tokens: 64, messages });
      expect(continued.content).toEqual([{ type: 'text', text: 'Second answer.' }]);
    }, 15_000);

    it('then with the header counts turns from the start; a marker inside a tool result is not read', async () => {
      const client = sdk(mock);
      const headers = scenarioHeader({ text: 'Turn one.', then: [{ text: 'Turn two.' }] });
      const messages: Param[] = [{ role: 'user', content: 'Go.' }];
      const first = await client.messages.create({ model: MODEL, max_tokens: 64, messages }, { headers });
      expect(first.content).toEqual([{ type: 'text', text: 'Turn one.' }]);
      messages.push({ role: 'assistant', content: 'Turn one.' }, { role: 'user', content: 'And?' });
      const second = await client.messages.create({ model: MODEL, max_tokens: 64, messages }, { headers });
      expect(second.content).toEqual([{ type: 'text', text: 'Turn two.' }]);

      const fromTool = await client.messages.create({
        model: MODEL,
        max_tokens: 64,
        messages: [
          { role: 'user', content: 'Read it.' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01x', name: 'Read', input: {} }] },
          toolResult('toolu_01x', marker({ text: 'Must not be used.' })),
        ],
      });
      expect(fromTool.content).toEqual([{ type: 'text', text: DEFAULT_REPLY_TEXT }]);
    }, 15_000);

    it("refuses a then that is not a list of valid scenarios; records each answer's status", async () => {
      for (const [then, message] of [
        ['x', 'mock scenario: "then" must be an array of scenarios'],
        [[{ nope: 1 }], 'mock scenario: unknown field "nope" in the MOCK: marker, then[0]'],
      ] as const) {
        const response = await rawPost(
          mock,
          '/v1/messages',
          JSON.stringify({
            model: MODEL,
            max_tokens: 5,
            messages: [{ role: 'user', content: `MOCK:${JSON.stringify({ then })}` }],
          }),
        );
        expect(response.status).toBe(400);
        expect(JSON.parse(response.bytes.toString())).toMatchObject({
          error: { type: 'invalid_request_error', message },
        });
      }
      const overloaded = await rawPost(
        mock,
        '/v1/messages',
        JSON.stringify({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: marker({ status: 529 }) }] }),
      );
      expect(overloaded.status).toBe(529);
      expect(mock.requests.map((r) => r.status)).toEqual([400, 400, 529]);
    }, 15_000);
  });

  describe('messages.stream (SSE)', () => {
    it('yields text deltas that concatenate to the text, and finalMessage merges usage', async () => {
      const client = sdk(mock);
      const text = 'one two three four five six seven eight';
      const usage = {
        input_tokens: 100,
        cache_read_input_tokens: 20,
        cache_creation: { ephemeral_5m_input_tokens: 30, ephemeral_1h_input_tokens: 40 },
        output_tokens: 77,
      };
      const stream = client.messages.stream({
        model: MODEL,
        max_tokens: 64,
        messages: [{ role: 'user', content: marker({ text, deltas: 4, usage }) }],
      });
      const deltas: string[] = [];
      const events: Array<{ type: string; outputTokens?: number }> = [];
      stream.on('text', (delta) => deltas.push(delta));
      stream.on('streamEvent', (event) => {
        events.push({
          type: event.type,
          outputTokens:
            event.type === 'message_start'
              ? event.message.usage.output_tokens
              : event.type === 'message_delta'
                ? event.usage.output_tokens
                : undefined,
        });
      });
      const final = await stream.finalMessage();

      expect(deltas).toEqual(['one two ', 'three four ', 'five six ', 'seven eight']);
      expect(deltas.join('')).toBe(text);
      expect(final.content).toEqual([{ type: 'text', text }]);
      expect(final.stop_reason).toBe('end_turn');
      expect(final.usage).toMatchObject({
        input_tokens: 100,
        output_tokens: 77,
        cache_read_input_tokens: 20,
        cache_creation_input_tokens: 70,
        cache_creation: { ephemeral_5m_input_tokens: 30, ephemeral_1h_input_tokens: 40 },
      });
      // message_start carries output_tokens: 1 as Anthropic does; the count arrives in message_delta.
      expect(events).toEqual([
        { type: 'message_start', outputTokens: 1 },
        { type: 'content_block_start' },
        { type: 'content_block_delta' },
        { type: 'content_block_delta' },
        { type: 'content_block_delta' },
        { type: 'content_block_delta' },
        { type: 'content_block_stop' },
        { type: 'message_delta', outputTokens: 77 },
        { type: 'message_stop' },
      ]);
    }, 15_000);

    it('streams a tool_use block as input_json_delta chunks that parse into the input', async () => {
      const client = sdk(mock);
      const input = { query: 'lamps "with" {braces}', limit: 5, nested: { ok: true, list: ['a', 'b'] } };
      const stream = client.messages.stream({
        model: MODEL,
        max_tokens: 64,
        messages: [
          {
            role: 'user',
            content: marker({ text: 'Let me look that up.', toolUse: { name: 'search', input }, toolDeltas: 5 }),
          },
        ],
      });
      const partials: string[] = [];
      stream.on('inputJson', (partial) => partials.push(partial));
      const final = await stream.finalMessage();

      expect(final.stop_reason).toBe('tool_use');
      expect(final.content).toHaveLength(2);
      expect(final.content[0]).toEqual({ type: 'text', text: 'Let me look that up.' });
      expect(final.content[1]).toMatchObject({ type: 'tool_use', name: 'search', input });
      expect(partials.join('')).toBe(JSON.stringify(input));
      expect(partials.filter((p) => p !== '')).toHaveLength(5);
    }, 15_000);

    it('sends exactly the bytes a raw undici client receives, in Anthropic frame order', async () => {
      const body = JSON.stringify({
        model: MODEL,
        max_tokens: 64,
        stream: true,
        messages: [
          { role: 'user', content: marker({ deltas: 64, deltaDelayMs: 1, usage: { cache_read_input_tokens: 11 } }) },
        ],
      });
      const response = await rawPost(mock, '/v1/messages', body);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-cache');
      const id = requestIdOf(response.headers);

      const sent = mock.sentBytes.get(id);
      expect(sent).toBeDefined();
      expect(Buffer.compare(sent!, response.bytes)).toBe(0);
      expect(mock.stats.framesSent).toBe(64 + 6);

      const frames = parseFrames(response.bytes);
      expect(frames.map((f) => f.event)).toEqual([
        'message_start',
        'content_block_start',
        'ping',
        ...Array<string>(64).fill('content_block_delta'),
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
      const start = frames[0].data as {
        message: { usage: Record<string, unknown>; content: unknown[]; stop_reason: unknown };
      };
      expect(start.message.content).toEqual([]);
      expect(start.message.stop_reason).toBeNull();
      expect(start.message.usage).toEqual({
        input_tokens: estimateInputTokens(JSON.parse(body)),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 11,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
        output_tokens: 1,
        service_tier: 'standard',
      });
      const text = frames
        .filter((f) => f.event === 'content_block_delta')
        .map((f) => (f.data.delta as { text: string }).text)
        .join('');
      expect(text.split(' ')).toHaveLength(64);
      expect(frames.at(-2)!.data).toEqual({
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: 64 },
      });
      expect(mock.completed).toEqual([id]);
    }, 15_000);

    it('sends cumulative usage in message_delta when asked', async () => {
      const body = JSON.stringify({
        model: MODEL,
        max_tokens: 64,
        stream: true,
        messages: [
          {
            role: 'user',
            content: marker({
              deltaUsage: 'cumulative',
              usage: { input_tokens: 5, cache_read_input_tokens: 0, output_tokens: 9 },
            }),
          },
        ],
      });
      const response = await rawPost(mock, '/v1/messages', body);
      const frames = parseFrames(response.bytes);
      expect(frames.find((f) => f.event === 'message_delta')!.data.usage).toEqual({
        input_tokens: 5,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: 9,
      });
    }, 15_000);

    it('surfaces an SSE error event as an error from the SDK stream', async () => {
      const client = sdk(mock);
      const stream = client.messages.stream({
        model: MODEL,
        max_tokens: 64,
        messages: [{ role: 'user', content: marker({ errorEventAfterFrames: 4, key: 'sse-error' }) }],
      });
      const deltas: string[] = [];
      stream.on('text', (delta) => deltas.push(delta));
      const error = await stream.finalMessage().then(
        () => null,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(Anthropic.APIError);
      expect((error as InstanceType<typeof Anthropic.APIError>).error).toEqual({
        type: 'error',
        error: { type: 'overloaded_error', message: 'Overloaded' },
      });
      expect(deltas).toHaveLength(1); // message_start, content_block_start, ping, one delta, then the error

      const id = mock.requests.find((r) => r.scenario?.key === 'sse-error')!.id;
      const sent = mock.sentBytes.get(id)!.toString('utf8');
      expect(
        sent.endsWith(
          'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
        ),
      ).toBe(true);
      expect(mock.completed).toContain(id);
    }, 15_000);

    it('makes the client stream fail when the socket is reset mid-stream', async () => {
      const client = sdk(mock);
      const stream = client.messages.stream({
        model: MODEL,
        max_tokens: 64,
        messages: [{ role: 'user', content: marker({ resetAfterFrames: 4, deltas: 10, key: 'reset' }) }],
      });
      const deltas: string[] = [];
      stream.on('text', (delta) => deltas.push(delta));
      const error = await stream.finalMessage().then(
        () => null,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(Error);
      expect(deltas.length).toBeLessThan(10);
      const id = mock.requests.find((r) => r.scenario?.key === 'reset')!.id;
      expect(parseFrames(mock.sentBytes.get(id)!)).toHaveLength(4);
      expect(mock.aborted).not.toContain(id); // the mock cut it, the client did not go away
      expect(mock.completed).not.toContain(id);
    }, 15_000);

    it('records a client abort in `aborted` and stops writing', async () => {
      const client = sdk(mock);
      const controller = new AbortController();
      const stream = client.messages.stream(
        {
          model: MODEL,
          max_tokens: 64,
          messages: [{ role: 'user', content: marker({ deltas: 100, deltaDelayMs: 20, key: 'abort' }) }],
        },
        { signal: controller.signal },
      );
      const deltas: string[] = [];
      stream.on('text', (delta) => {
        deltas.push(delta);
        if (deltas.length === 3) controller.abort();
      });
      const error = await stream.finalMessage().then(
        () => null,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(Anthropic.APIUserAbortError);

      const id = mock.requests.find((r) => r.scenario?.key === 'abort')!.id;
      await waitFor(() => mock.aborted.includes(id));
      const sentAtAbort = mock.sentBytes.get(id)!.length;
      await sleep(150); // several deltaDelayMs periods
      expect(mock.sentBytes.get(id)!.length).toBe(sentAtAbort);
      expect(parseFrames(mock.sentBytes.get(id)!).length).toBeLessThan(20);
      expect(mock.completed).not.toContain(id);
      expect(mock.inFlight).toBe(0);
    }, 15_000);

    it('stalls after N frames without closing, until the client gives up', async () => {
      const controller = new AbortController();
      const response = await request(`${mock.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: JSON.stringify({
          model: MODEL,
          max_tokens: 64,
          stream: true,
          messages: [{ role: 'user', content: marker({ stallAfterFrames: 2 }) }],
        }),
        signal: controller.signal,
      });
      const id = requestIdOf(response.headers);
      const received: Buffer[] = [];
      let ended = false;
      response.body.on('data', (chunk: Buffer) => received.push(chunk));
      response.body.on('end', () => (ended = true));
      response.body.on('error', () => undefined);

      await waitFor(() => Buffer.concat(received).toString().split('\n\n').length - 1 >= 2);
      await sleep(300);
      const frames = parseFrames(Buffer.concat(received));
      expect(frames.map((f) => f.event)).toEqual(['message_start', 'content_block_start']);
      expect(ended).toBe(false);
      expect(mock.inFlight).toBe(1);

      controller.abort();
      await waitFor(() => mock.aborted.includes(id));
      expect(mock.inFlight).toBe(0);
    }, 15_000);

    it('never answers with stallBeforeHeaders; the SDK times out and the mock records the abort', async () => {
      const client = sdk(mock, { timeout: 300 });
      const started = Date.now();
      const error = await client.messages
        .create(
          { model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] },
          { headers: scenarioHeader({ stallBeforeHeaders: true, key: 'stall-headers' }) },
        )
        .then(
          () => null,
          (err: unknown) => err,
        );
      expect(error).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      const id = mock.requests.find((r) => r.scenario?.key === 'stall-headers')!.id;
      await waitFor(() => mock.aborted.includes(id));
      expect(mock.sentBytes.get(id)).toBeUndefined();
    }, 15_000);

    it('waits delayMs before the headers and deltaDelayMs between frames', async () => {
      const started = Date.now();
      const response = await request(`${mock.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, ...scenarioHeader({ delayMs: 200 }) },
        body: JSON.stringify({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
        signal: AbortSignal.timeout(5_000),
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      await response.body.dump();

      const streamStarted = Date.now();
      const streamed = await rawPost(
        mock,
        '/v1/messages',
        JSON.stringify({
          model: MODEL,
          max_tokens: 64,
          stream: true,
          messages: [{ role: 'user', content: marker({ deltas: 4, deltaDelayMs: 40 }) }],
        }),
      );
      // 10 frames, 9 gaps of 40 ms.
      expect(parseFrames(streamed.bytes)).toHaveLength(10);
      expect(Date.now() - streamStarted).toBeGreaterThanOrEqual(9 * 40 - 10);
    }, 15_000);

    it('respects backpressure: a client that stops reading stops the writes', async () => {
      const deltas = 200_000; // ≥ 110 bytes per frame → ≥ 22 MB if written without waiting for 'drain'
      const body = JSON.stringify({
        model: MODEL,
        max_tokens: 64,
        stream: true,
        messages: [{ role: 'user', content: marker({ deltas, key: 'slow' }) }],
      });
      const responsePromise = new Promise<{ res: IncomingMessage; destroy: () => void }>((resolve, reject) => {
        const req = httpRequest(`${mock.url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        });
        req.on('response', (res) => {
          res.pause();
          res.on('error', () => undefined);
          resolve({ res, destroy: () => req.destroy() });
        });
        req.on('error', (err) => {
          if (!(err as NodeJS.ErrnoException).code?.startsWith('ECONNRESET')) reject(err);
        });
        req.end(body);
      });
      const { res, destroy } = await responsePromise;
      const id = String(res.headers['request-id']);
      await sleep(800);
      const sent = mock.sentBytes.get(id)!.length;
      expect(sent).toBeGreaterThan(0);
      expect(sent).toBeLessThan(11 * 1024 * 1024);
      expect(mock.inFlight).toBe(1);

      destroy();
      await waitFor(() => mock.aborted.includes(id));
      const afterAbort = mock.sentBytes.get(id)!.length;
      await sleep(100);
      expect(mock.sentBytes.get(id)!.length).toBe(afterAbort);
    }, 20_000);
  });

  describe('count_tokens and models', () => {
    it('counts tokens with the same estimate messages.create reports, or the scenario override', async () => {
      const client = sdk(mock);
      const params = { model: MODEL, messages: [{ role: 'user' as const, content: 'How many tokens is this?' }] };
      const counted = await client.messages.countTokens(params);
      expect(counted).toEqual({ input_tokens: estimateInputTokens(params) });
      const created = await client.messages.create({ ...params, max_tokens: 10 });
      expect(created.usage.input_tokens).toBe(counted.input_tokens);

      const overridden = await client.messages.countTokens({
        model: MODEL,
        messages: [{ role: 'user', content: marker({ usage: { input_tokens: 1234 } }) }],
      });
      expect(overridden.input_tokens).toBe(1234);
      expect(mock.requests.map((r) => r.path)).toEqual([
        '/v1/messages/count_tokens',
        '/v1/messages',
        '/v1/messages/count_tokens',
      ]);
    }, 15_000);

    it('lists and retrieves models, and refuses the invalid key', async () => {
      const client = sdk(mock);
      const ids: string[] = [];
      for await (const model of client.models.list()) ids.push(model.id);
      expect(ids).toEqual(MOCK_MODELS.map((m) => m.id));
      const model = await client.models.retrieve('claude-sonnet-4-6');
      expect(model).toMatchObject({ type: 'model', id: 'claude-sonnet-4-6', display_name: 'Claude Sonnet 4.6' });
      await expect(client.models.retrieve('claude-nope')).rejects.toBeInstanceOf(Anthropic.NotFoundError);

      const invalid = sdk(mock, { apiKey: 'sk-ant-api03-invalid-0000' });
      await expect(invalid.models.list()).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    }, 15_000);
  });

  describe('errors, as Anthropic sends them', () => {
    const body = (content = 'hi') => ({ model: MODEL, max_tokens: 16, messages: [{ role: 'user' as const, content }] });

    async function failure(promise: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
      const error = await promise.then(
        () => null,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(Anthropic.APIError);
      return error as InstanceType<typeof Anthropic.APIError>;
    }

    it('429 → RateLimitError with retry-after and rate-limit headers', async () => {
      const error = await failure(
        sdk(mock).messages.create(body(), { headers: scenarioHeader({ status: 429, retryAfter: 7 }) }),
      );
      expect(error).toBeInstanceOf(Anthropic.RateLimitError);
      expect(error.status).toBe(429);
      expect(error.headers?.get('retry-after')).toBe('7');
      expect(error.headers?.get('anthropic-ratelimit-requests-remaining')).toBe('0');
      expect(error.requestID).toMatch(/^req_/);
      expect(error.error).toEqual({
        type: 'error',
        error: { type: 'rate_limit_error', message: expect.any(String) },
        request_id: error.requestID,
      });
    }, 15_000);

    it('401 → AuthenticationError for the invalid key prefix; missing key names x-api-key', async () => {
      const error = await failure(sdk(mock, { apiKey: 'sk-ant-api03-invalid-key' }).messages.create(body()));
      expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
      expect(error.status).toBe(401);
      expect((error.error as { error: { type: string } }).error.type).toBe('authentication_error');

      const missing = await rawPost(mock, '/v1/messages', JSON.stringify(body()), {});
      expect(missing.status).toBe(401);
      const id = requestIdOf(missing.headers);
      expect(missing.bytes.toString()).toBe(
        `{"type":"error","error":{"type":"authentication_error","message":"x-api-key header is required"},"request_id":"${id}"}`,
      );
      expect(Buffer.compare(mock.sentBytes.get(id)!, missing.bytes)).toBe(0);

      const notAnthropic = await rawPost(mock, '/v1/messages', JSON.stringify(body()), { 'x-api-key': 'lmp_abcdefgh' });
      expect(notAnthropic.status).toBe(401);

      // The gateway sends the provider key as x-api-key; that works as well as the SDK's Bearer.
      const viaHeader = await rawPost(mock, '/v1/messages', JSON.stringify(body()), { 'x-api-key': API_KEY });
      expect(viaHeader.status).toBe(200);
    }, 15_000);

    it('529 → APIError (InternalServerError) with overloaded_error; 500 → InternalServerError api_error', async () => {
      const overloaded = await failure(sdk(mock).messages.create(body(), { headers: scenarioHeader({ status: 529 }) }));
      expect(overloaded.status).toBe(529);
      expect(overloaded).toBeInstanceOf(Anthropic.InternalServerError);
      expect(overloaded.error).toMatchObject({
        type: 'error',
        error: { type: 'overloaded_error', message: 'Overloaded' },
      });
      expect(overloaded.headers?.get('retry-after')).toBeNull();

      const internal = await failure(sdk(mock).messages.create(body(marker({ status: 500 }))));
      expect(internal).toBeInstanceOf(Anthropic.InternalServerError);
      expect(internal.status).toBe(500);
      expect(internal.error).toMatchObject({ error: { type: 'api_error' } });
    }, 15_000);

    it('403, 404 and 413 with their Anthropic error types', async () => {
      const forbidden = await failure(sdk(mock).messages.create(body(marker({ status: 403 }))));
      expect(forbidden).toBeInstanceOf(Anthropic.PermissionDeniedError);
      expect(forbidden.error).toMatchObject({ error: { type: 'permission_error' } });

      const notFound = await rawPost(mock, '/v1/nothing-here', '{}');
      expect(notFound.status).toBe(404);
      expect(JSON.parse(notFound.bytes.toString())).toMatchObject({
        type: 'error',
        error: { type: 'not_found_error' },
      });

      const tooLarge = await failure(sdk(mock).messages.create(body(marker({ status: 413 }))));
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.error).toMatchObject({ error: { type: 'request_too_large' } });

      const small = await startMockAnthropic({ maxBodyBytes: 1_000 });
      try {
        const response = await rawPost(small, '/v1/messages', JSON.stringify(body('x'.repeat(2_000))));
        expect(response.status).toBe(413);
        expect(JSON.parse(response.bytes.toString())).toMatchObject({ error: { type: 'request_too_large' } });
      } finally {
        await small.close();
      }
    }, 15_000);

    it('400 invalid_request_error for bad JSON, missing fields and bad scenarios', async () => {
      const cases: Array<[string, string]> = [
        ['{not json', 'Request body is not valid JSON'],
        [JSON.stringify({ max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }), 'model: Field required'],
        [JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }), 'max_tokens: Field required'],
        [JSON.stringify({ model: MODEL, max_tokens: 5 }), 'messages: Field required'],
        [
          JSON.stringify({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'MOCK:{"nope":1}' }] }),
          'mock scenario: unknown field "nope" in the MOCK: marker',
        ],
        [
          JSON.stringify({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'MOCK:{"deltas":' }] }),
          'mock scenario: unterminated JSON object after MOCK:',
        ],
      ];
      for (const [payload, message] of cases) {
        const response = await rawPost(mock, '/v1/messages', payload);
        expect(response.status).toBe(400);
        expect(JSON.parse(response.bytes.toString())).toEqual({
          type: 'error',
          error: { type: 'invalid_request_error', message },
          request_id: requestIdOf(response.headers),
        });
      }
      const error = await failure(sdk(mock).messages.create({ model: MODEL, max_tokens: 5, messages: [] }));
      expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    }, 15_000);

    it('failTimes: the first call fails, the SDK retries once and succeeds; the mock counted 2', async () => {
      const key = `retry-${Date.now()}`;
      const message = await sdk(mock, { maxRetries: 1 }).messages.create(
        body(marker({ failTimes: 1, key, status: 529, retryAfter: 0.01 })),
      );
      expect(message.content).toEqual([{ type: 'text', text: DEFAULT_REPLY_TEXT }]);
      expect(mock.keyCounts.get(key)).toBe(2);
      const attempts = mock.requests.filter((r) => r.scenario?.key === key);
      expect(attempts).toHaveLength(2);
      expect(JSON.parse(mock.sentBytes.get(attempts[0].id)!.toString())).toMatchObject({
        error: { type: 'overloaded_error' },
      });
      expect(JSON.parse(mock.sentBytes.get(attempts[1].id)!.toString())).toMatchObject({ type: 'message' });

      // Without retries the same scenario surfaces the error (counters are per key).
      const other = `${key}-b`;
      const error = await failure(
        sdk(mock).messages.create(body(marker({ failTimes: 1, key: other, status: 429, retryAfter: 0 }))),
      );
      expect(error).toBeInstanceOf(Anthropic.RateLimitError);
      expect(mock.keyCounts.get(other)).toBe(1);
    }, 15_000);
  });

  describe('lifecycle', () => {
    it('close() destroys open sockets and resolves promptly; reset() forgets everything', async () => {
      const own = await startMockAnthropic();
      const response = await request(`${own.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: JSON.stringify({
          model: MODEL,
          max_tokens: 8,
          stream: true,
          messages: [{ role: 'user', content: marker({ stallAfterFrames: 1 }) }],
        }),
        signal: AbortSignal.timeout(10_000),
      });
      const bodyDone = (async () => {
        try {
          for await (const _chunk of response.body) void _chunk;
          return 'ended';
        } catch {
          return 'errored';
        }
      })();
      await waitFor(() => own.inFlight === 1 && (own.sentBytes.get(own.requests[0].id)?.length ?? 0) > 0);

      const started = Date.now();
      await own.close();
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await bodyDone).toBe('errored');
      expect(own.aborted).toEqual([]); // the mock went away, not the client

      expect(own.requests).toHaveLength(1);
      own.reset();
      expect(own.requests).toHaveLength(0);
      expect(own.sentBytes.size).toBe(0);
      expect(own.stats.requests).toBe(0);
    }, 15_000);
  });
});
