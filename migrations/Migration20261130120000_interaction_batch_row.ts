import { Migration } from '@mikro-orm/migrations';

/**
 * The row type the recorder sends its calls in: every column of `interactions` it writes except
 * the three jsonb ones (cost_breakdown, usage, content), in the order of the writer's literals
 * (BATCH_ROW_COLUMNS in interaction-writer.repository.ts). A batch arrives as one array of these
 * rows, which PostgreSQL reads field by field with each column's own input function, where a JSON
 * document of objects is first split into a hash table of keys per call; the jsonb columns come
 * beside it as JSON, since JSON text nested in a row literal would be escaped twice.
 */
export class Migration20261130120000_interaction_batch_row extends Migration {
  override name = 'Migration20261130120000_interaction_batch_row';

  override up(): void {
    this.addSql(`create type "interaction_batch_row" as (
      id uuid, organization_id uuid, session_id uuid, api_key_id uuid, user_id uuid, model text, stream boolean,
      http_status smallint, outcome interaction_outcome, stop_reason text, error_type text, input_tokens int,
      output_tokens int, cache_read_tokens int, cache_write5m_tokens int, cache_write1h_tokens int,
      cost_input_nano_usd bigint, cost_output_nano_usd bigint, cost_cache_read_nano_usd bigint,
      cost_cache_write5m_nano_usd bigint, cost_cache_write1h_nano_usd bigint, cost_total_nano_usd bigint,
      cost_tools_nano_usd bigint, cost_multipliers_nano_usd bigint, cost_cache_savings_nano_usd bigint,
      pricing_version text, latency_ms int, time_to_first_token_ms int, upstream_request_id text, agent_id text,
      parent_agent_id text, user_query text, final_output text, content_truncated boolean,
      content_status interaction_content_status, started_at timestamptz, ended_at timestamptz
    );`);
  }

  override down(): void {
    this.addSql(`drop type "interaction_batch_row";`);
  }
}
