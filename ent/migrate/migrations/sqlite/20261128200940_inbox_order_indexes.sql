-- Drop index "conversation_workspace_id_status_last_message_at" from table: "conversations"
DROP INDEX `conversation_workspace_id_status_last_message_at`;
-- Create index "conversation_workspace_id_last_message_at_id" to table: "conversations"
CREATE INDEX `conversation_workspace_id_last_message_at_id` ON `conversations` (`workspace_id`, `last_message_at`, `id`);
-- Create index "conversation_workspace_id_status_last_message_at_id" to table: "conversations"
CREATE INDEX `conversation_workspace_id_status_last_message_at_id` ON `conversations` (`workspace_id`, `status`, `last_message_at`, `id`);
