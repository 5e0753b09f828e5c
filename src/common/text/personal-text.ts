/**
 * Blocks a coding agent puts into the user's message that the person did not type: Claude Code's
 * `<system-reminder>` (CLAUDE.md contents, local paths, the date, tool hints), its hook output and
 * the wrappers around a slash command's local output.
 */
const INJECTED_BLOCKS =
  /<(system-reminder|local-command-caveat|local-command-stdout|local-command-stderr|user-prompt-submit-hook|bash-stdout|bash-stderr)>[\s\S]*?<\/\1>/g;
const COMMAND_NAME = /<command-name>([\s\S]*?)<\/command-name>/;
const COMMAND_ARGS = /<command-args>([\s\S]*?)<\/command-args>/;
const COMMAND_WRAPPERS = /<(command-name|command-message|command-args|bash-input)>[\s\S]*?<\/\1>/g;

/**
 * What the person typed, from one text block: injected blocks removed, a slash command shown as
 * typed (`/context`, with its arguments). Idempotent, so text cleaned once stays as it is.
 */
export function personalText(text: string): string {
  const command = COMMAND_NAME.exec(text);
  if (command) {
    const args = COMMAND_ARGS.exec(text)?.[1]?.trim();
    const rest = text.replace(COMMAND_WRAPPERS, '').replace(INJECTED_BLOCKS, '').trim();
    return [command[1].trim() + (args ? ` ${args}` : ''), rest].filter(Boolean).join('\n');
  }
  if (!text.includes('<')) return text;
  const cleaned = text.replace(INJECTED_BLOCKS, '');
  // Only what surrounded a removed block is trimmed; text the person typed is kept exactly.
  return cleaned === text ? text : cleaned.trim();
}
