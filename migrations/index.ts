import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261123021426 } from './Migration20261123021426_foundation';
import { Migration20261123022620_sessions_and_recording } from './Migration20261123022620_sessions_and_recording';
import { Migration20261123024310_share_links } from './Migration20261123024310_share_links';
import { Migration20261123033552_cache_invalidation } from './Migration20261123033552_cache_invalidation';
import { Migration20261123130000_session_cache_invalidation } from './Migration20261123130000_session_cache_invalidation';
import { Migration20261124090000_session_counts } from './Migration20261124090000_session_counts';
import { Migration20261125090000_usage_daily } from './Migration20261125090000_usage_daily';
import { Migration20261129120000_content_status } from './Migration20261129120000_content_status';
import { Migration20261129130000_agent_tree } from './Migration20261129130000_agent_tree';
import { Migration20261129140000_provider_objects } from './Migration20261129140000_provider_objects';
import { Migration20261129200000_api_key_suspension } from './Migration20261129200000_api_key_suspension';
import { Migration20261129201000_share_links_revoked_on_delete } from './Migration20261129201000_share_links_revoked_on_delete';
import { Migration20261129202000_share_token_digests } from './Migration20261129202000_share_token_digests';
import { Migration20261129203000_invitations } from './Migration20261129203000_invitations';
import { Migration20261129200000_exact_cost } from './Migration20261129200000_exact_cost';
import { Migration20261130010000_citus_keys } from './Migration20261130010000_citus_keys';
import { Migration20261130020000_interaction_partitions } from './Migration20261130020000_interaction_partitions';
import { Migration20261130030000_retention } from './Migration20261130030000_retention';
import { Migration20261130040000_spend_limits } from './Migration20261130040000_spend_limits';
import { Migration20261130050000_users_without_deleted_at } from './Migration20261130050000_users_without_deleted_at';
import { Migration20261130060000_principal_and_latency_rollups } from './Migration20261130060000_principal_and_latency_rollups';
import { Migration20261130070000_spend_webhook_retries } from './Migration20261130070000_spend_webhook_retries';
import { Migration20261130080000_spend_leases } from './Migration20261130080000_spend_leases';
import { Migration20261130090000_session_filters } from './Migration20261130090000_session_filters';
import { Migration20261130100000_interaction_sessions_checked_by_writer } from './Migration20261130100000_interaction_sessions_checked_by_writer';
import { Migration20261130110000_interaction_organizations_checked_by_writer } from './Migration20261130110000_interaction_organizations_checked_by_writer';
import { Migration20261130120000_interaction_batch_row } from './Migration20261130120000_interaction_batch_row';

/**
 * Every migration in order. Listed explicitly so the compiled app, the test runner and the CLI
 * all run the same set without scanning the file system. Add each new migration here.
 */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261123021426_foundation', class: Migration20261123021426 },
  { name: 'Migration20261123022620_sessions_and_recording', class: Migration20261123022620_sessions_and_recording },
  { name: 'Migration20261123024310_share_links', class: Migration20261123024310_share_links },
  { name: 'Migration20261123033552_cache_invalidation', class: Migration20261123033552_cache_invalidation },
  {
    name: 'Migration20261123130000_session_cache_invalidation',
    class: Migration20261123130000_session_cache_invalidation,
  },
  { name: 'Migration20261124090000_session_counts', class: Migration20261124090000_session_counts },
  { name: 'Migration20261125090000_usage_daily', class: Migration20261125090000_usage_daily },
  { name: 'Migration20261129120000_content_status', class: Migration20261129120000_content_status },
  { name: 'Migration20261129130000_agent_tree', class: Migration20261129130000_agent_tree },
  { name: 'Migration20261129140000_provider_objects', class: Migration20261129140000_provider_objects },
  { name: 'Migration20261129200000_api_key_suspension', class: Migration20261129200000_api_key_suspension },
  {
    name: 'Migration20261129201000_share_links_revoked_on_delete',
    class: Migration20261129201000_share_links_revoked_on_delete,
  },
  { name: 'Migration20261129202000_share_token_digests', class: Migration20261129202000_share_token_digests },
  { name: 'Migration20261129203000_invitations', class: Migration20261129203000_invitations },
  { name: 'Migration20261129200000_exact_cost', class: Migration20261129200000_exact_cost },
  { name: 'Migration20261130010000_citus_keys', class: Migration20261130010000_citus_keys },
  { name: 'Migration20261130020000_interaction_partitions', class: Migration20261130020000_interaction_partitions },
  { name: 'Migration20261130030000_retention', class: Migration20261130030000_retention },
  { name: 'Migration20261130040000_spend_limits', class: Migration20261130040000_spend_limits },
  { name: 'Migration20261130050000_users_without_deleted_at', class: Migration20261130050000_users_without_deleted_at },
  {
    name: 'Migration20261130060000_principal_and_latency_rollups',
    class: Migration20261130060000_principal_and_latency_rollups,
  },
  { name: 'Migration20261130070000_spend_webhook_retries', class: Migration20261130070000_spend_webhook_retries },
  { name: 'Migration20261130080000_spend_leases', class: Migration20261130080000_spend_leases },
  { name: 'Migration20261130090000_session_filters', class: Migration20261130090000_session_filters },
  {
    name: 'Migration20261130100000_interaction_sessions_checked_by_writer',
    class: Migration20261130100000_interaction_sessions_checked_by_writer,
  },
  {
    name: 'Migration20261130110000_interaction_organizations_checked_by_writer',
    class: Migration20261130110000_interaction_organizations_checked_by_writer,
  },
  { name: 'Migration20261130120000_interaction_batch_row', class: Migration20261130120000_interaction_batch_row },
];
