-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_conversations" table
CREATE TABLE `new_conversations` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `status` text NOT NULL DEFAULT ('OPEN'), `priority` text NOT NULL DEFAULT ('NORMAL'), `subject` text NULL, `last_message_at` datetime NULL, `waiting_since` datetime NULL, `first_response_at` datetime NULL, `resolved_at` datetime NULL, `snoozed_until` datetime NULL, `key` text NOT NULL, `workspace_id` text NOT NULL, `customer_id` text NOT NULL, `channel_id` text NOT NULL, `assignee_id` text NULL, `team_id` text NULL, `last_message_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `conversations_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `conversations_customers_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION, CONSTRAINT `conversations_channels_channel` FOREIGN KEY (`channel_id`) REFERENCES `channels` (`id`) ON DELETE NO ACTION, CONSTRAINT `conversations_agents_assignee` FOREIGN KEY (`assignee_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL, CONSTRAINT `conversations_teams_team` FOREIGN KEY (`team_id`) REFERENCES `teams` (`id`) ON DELETE SET NULL, CONSTRAINT `conversations_messages_last_message` FOREIGN KEY (`last_message_id`) REFERENCES `messages` (`id`) ON DELETE SET NULL);
-- Copy rows from old table "conversations" to new temporary table "new_conversations", each with its unguessable key (128 random bits)
INSERT INTO `new_conversations` (`id`, `created_at`, `updated_at`, `status`, `priority`, `subject`, `last_message_at`, `waiting_since`, `first_response_at`, `resolved_at`, `snoozed_until`, `key`, `workspace_id`, `customer_id`, `channel_id`, `assignee_id`, `team_id`, `last_message_id`) SELECT `id`, `created_at`, `updated_at`, `status`, `priority`, `subject`, `last_message_at`, `waiting_since`, `first_response_at`, `resolved_at`, `snoozed_until`, lower(hex(randomblob(16))), `workspace_id`, `customer_id`, `channel_id`, `assignee_id`, `team_id`, `last_message_id` FROM `conversations`;
-- Drop "conversations" table after copying rows
DROP TABLE `conversations`;
-- Rename temporary table "new_conversations" to "conversations"
ALTER TABLE `new_conversations` RENAME TO `conversations`;
-- Create index "conversation_workspace_id" to table: "conversations"
CREATE INDEX `conversation_workspace_id` ON `conversations` (`workspace_id`);
-- Create index "conversation_workspace_id_last_message_at_id" to table: "conversations"
CREATE INDEX `conversation_workspace_id_last_message_at_id` ON `conversations` (`workspace_id`, `last_message_at`, `id`);
-- Create index "conversation_workspace_id_status_last_message_at_id" to table: "conversations"
CREATE INDEX `conversation_workspace_id_status_last_message_at_id` ON `conversations` (`workspace_id`, `status`, `last_message_at`, `id`);
-- Create index "conversation_workspace_id_assignee_id_status" to table: "conversations"
CREATE INDEX `conversation_workspace_id_assignee_id_status` ON `conversations` (`workspace_id`, `assignee_id`, `status`);
-- Create index "conversation_customer_id_channel_id_status" to table: "conversations"
CREATE INDEX `conversation_customer_id_channel_id_status` ON `conversations` (`customer_id`, `channel_id`, `status`);
-- Create index "conversation_channel_id_key" to table: "conversations"
CREATE UNIQUE INDEX `conversation_channel_id_key` ON `conversations` (`channel_id`, `key`);
-- Add column "dedupe_key" to table: "conversation_activities"
ALTER TABLE `conversation_activities` ADD COLUMN `dedupe_key` text NULL;
-- Create index "conversationactivity_workspace_id_dedupe_key" to table: "conversation_activities"
CREATE UNIQUE INDEX `conversationactivity_workspace_id_dedupe_key` ON `conversation_activities` (`workspace_id`, `dedupe_key`) WHERE dedupe_key IS NOT NULL;
-- Add columns "auto_submitted" and "template" to table: "messages"
ALTER TABLE `messages` ADD COLUMN `auto_submitted` bool NOT NULL DEFAULT (false);
ALTER TABLE `messages` ADD COLUMN `template` json NULL;
-- Create index "outboxitem_channel_id_provider_message_id" to table: "outbox_items"
CREATE INDEX `outboxitem_channel_id_provider_message_id` ON `outbox_items` (`channel_id`, `provider_message_id`);
-- Add column "opted_out_at" to table: "customer_identities"
ALTER TABLE `customer_identities` ADD COLUMN `opted_out_at` datetime NULL;
-- Create "channel_states" table
CREATE TABLE `channel_states` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `key` text NOT NULL, `value` blob NOT NULL, `version` integer NOT NULL, `workspace_id` text NOT NULL, `channel_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `channel_states_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `channel_states_channels_channel` FOREIGN KEY (`channel_id`) REFERENCES `channels` (`id`) ON DELETE CASCADE);
-- Create index "channelstate_workspace_id" to table: "channel_states"
CREATE INDEX `channelstate_workspace_id` ON `channel_states` (`workspace_id`);
-- Create index "channelstate_channel_id_key" to table: "channel_states"
CREATE UNIQUE INDEX `channelstate_channel_id_key` ON `channel_states` (`channel_id`, `key`);
-- Create "pending_receipts" table
CREATE TABLE `pending_receipts` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `channel_id` text NOT NULL, `provider_message_id` text NOT NULL, `status` text NOT NULL, `reason` text NULL, `occurred_at` datetime NOT NULL, `workspace_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `pending_receipts_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION);
-- Create index "pendingreceipt_workspace_id" to table: "pending_receipts"
CREATE INDEX `pendingreceipt_workspace_id` ON `pending_receipts` (`workspace_id`);
-- Create index "pendingreceipt_channel_id_provider_message_id" to table: "pending_receipts"
CREATE INDEX `pendingreceipt_channel_id_provider_message_id` ON `pending_receipts` (`channel_id`, `provider_message_id`);
-- Create index "pendingreceipt_created_at" to table: "pending_receipts"
CREATE INDEX `pendingreceipt_created_at` ON `pending_receipts` (`created_at`);
-- Create "receiver_leases" table
CREATE TABLE `receiver_leases` (`id` text NOT NULL, `workspace_id` text NOT NULL, `holder` text NOT NULL, `expires_at` datetime NOT NULL, `state` text NOT NULL DEFAULT ('STOPPED'), `last_error` text NULL, `last_success_at` datetime NULL, `updated_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
