-- Create "calls" table
CREATE TABLE `calls` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `provider_call_id` text NULL, `status` text NOT NULL, `direction` text NOT NULL DEFAULT ('INBOUND'), `from` text NOT NULL, `to` text NOT NULL, `started_at` datetime NOT NULL, `answered_at` datetime NULL, `ended_at` datetime NULL, `duration_seconds` integer NULL, `recording_url` text NULL, `workspace_id` text NOT NULL, `customer_id` text NOT NULL, `conversation_id` text NULL, `channel_id` text NULL, `agent_id` text NULL, `recording_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `calls_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `calls_customers_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION, CONSTRAINT `calls_conversations_conversation` FOREIGN KEY (`conversation_id`) REFERENCES `conversations` (`id`) ON DELETE SET NULL, CONSTRAINT `calls_channels_channel` FOREIGN KEY (`channel_id`) REFERENCES `channels` (`id`) ON DELETE SET NULL, CONSTRAINT `calls_agents_agent` FOREIGN KEY (`agent_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL, CONSTRAINT `calls_files_recording` FOREIGN KEY (`recording_id`) REFERENCES `files` (`id`) ON DELETE SET NULL);
-- Create index "call_workspace_id" to table: "calls"
CREATE INDEX `call_workspace_id` ON `calls` (`workspace_id`);
-- Create index "call_customer_id_started_at_id" to table: "calls"
CREATE INDEX `call_customer_id_started_at_id` ON `calls` (`customer_id`, `started_at`, `id`);
-- Create index "call_conversation_id" to table: "calls"
CREATE INDEX `call_conversation_id` ON `calls` (`conversation_id`);
-- Create index "call_channel_id_provider_call_id" to table: "calls"
CREATE UNIQUE INDEX `call_channel_id_provider_call_id` ON `calls` (`channel_id`, `provider_call_id`) WHERE provider_call_id IS NOT NULL;
