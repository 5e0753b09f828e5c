import { Migration } from '@mikro-orm/migrations';

/**
 * `interactions.parent_agent_id`: the agent that started the call's agent (Claude Code sends
 * `x-claude-code-parent-agent-id` for subagents), so a session's agent tree and each agent's cost
 * can be read (per session, from the session's own rows).
 */
export class Migration20261129130000_agent_tree extends Migration {
  override name = 'Migration20261129130000_agent_tree';

  override up(): void {
    this.addSql(`alter table "interactions" add column "parent_agent_id" varchar(255) null;`);
  }

  override down(): void {
    this.addSql(`alter table "interactions" drop column "parent_agent_id";`);
  }
}
