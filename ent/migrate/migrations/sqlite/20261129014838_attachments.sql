-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Add column "allowed_file_types" to table: "workspaces"
ALTER TABLE `workspaces` ADD COLUMN `allowed_file_types` json NULL;
-- Create "new_files" table
CREATE TABLE `new_files` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL DEFAULT (''), `content_type` text NOT NULL, `size` integer NOT NULL DEFAULT (0), `sha256` text NULL, `storage_key` text NULL, `thumbnail_key` text NULL, `width` integer NULL, `height` integer NULL, `status` text NOT NULL DEFAULT ('READY'), `error` text NULL, `message_id` text NULL, `position` integer NOT NULL DEFAULT (0), `source` json NULL, `attempts` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NULL, `uploader_agent_id` text NULL, `uploader_customer_id` text NULL, `channel_id` text NULL, `deleted_at` datetime NULL, `workspace_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `files_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION);
-- Copy rows from old table "files" to new temporary table "new_files"
INSERT INTO `new_files` (`id`, `created_at`, `updated_at`, `name`, `content_type`, `size`, `sha256`, `storage_key`, `width`, `height`, `status`, `error`, `message_id`, `uploader_agent_id`, `uploader_customer_id`, `channel_id`, `deleted_at`, `workspace_id`) SELECT `id`, `created_at`, `updated_at`, `name`, `content_type`, `size`, `sha256`, `storage_key`, `width`, `height`, `status`, `error`, `message_id`, `uploader_agent_id`, `uploader_customer_id`, `channel_id`, `deleted_at`, `workspace_id` FROM `files`;
-- Drop "files" table after copying rows
DROP TABLE `files`;
-- Rename temporary table "new_files" to "files"
ALTER TABLE `new_files` RENAME TO `files`;
-- Create index "file_workspace_id" to table: "files"
CREATE INDEX `file_workspace_id` ON `files` (`workspace_id`);
-- Create index "file_message_id" to table: "files"
CREATE INDEX `file_message_id` ON `files` (`message_id`);
-- Create index "file_status_next_attempt_at" to table: "files"
CREATE INDEX `file_status_next_attempt_at` ON `files` (`status`, `next_attempt_at`);
-- Create index "file_storage_key" to table: "files"
CREATE INDEX `file_storage_key` ON `files` (`storage_key`);
-- Carry the attachments messages kept as JSON over to "files", as PENDING
-- files the media worker fetches from their URLs.
INSERT INTO `files` (`id`, `created_at`, `updated_at`, `name`, `content_type`, `status`, `message_id`, `channel_id`, `position`, `source`, `next_attempt_at`, `workspace_id`)
SELECT 'fil_' || lower(hex(randomblob(13))), m.created_at, m.created_at,
  substr(coalesce(json_extract(a.value, '$.name'), ''), 1, 255), coalesce(nullif(substr(json_extract(a.value, '$.contentType'), 1, 255), ''), 'application/octet-stream'),
  'PENDING', m.id, m.channel_id, a.key,
  json_object('url', json_extract(a.value, '$.url'), 'mediaID', json_extract(a.value, '$.mediaID'), 'contentType', json_extract(a.value, '$.contentType'), 'name', json_extract(a.value, '$.name')),
  m.created_at, m.workspace_id
FROM `messages` m, json_each(CASE WHEN json_type(m.attachments) = 'array' THEN m.attachments ELSE '[]' END) a
WHERE m.attachments IS NOT NULL AND json_valid(m.attachments) AND a.type = 'object';
-- Create "new_messages" table
CREATE TABLE `new_messages` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `customer_id` text NULL, `direction` text NOT NULL, `sender_kind` text NOT NULL, `body` text NOT NULL, `content_type` text NOT NULL DEFAULT ('text/plain'), `metadata` json NULL, `private` bool NOT NULL DEFAULT (false), `auto_submitted` bool NOT NULL DEFAULT (false), `template` json NULL, `provider_message_id` text NULL, `delivery_status` text NULL, `delivery_error` text NULL, `workspace_id` text NOT NULL, `conversation_id` text NOT NULL, `channel_id` text NOT NULL, `author_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `messages_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `messages_conversations_conversation` FOREIGN KEY (`conversation_id`) REFERENCES `conversations` (`id`) ON DELETE NO ACTION, CONSTRAINT `messages_channels_channel` FOREIGN KEY (`channel_id`) REFERENCES `channels` (`id`) ON DELETE NO ACTION, CONSTRAINT `messages_agents_author` FOREIGN KEY (`author_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL);
-- Copy rows from old table "messages" to new temporary table "new_messages"
INSERT INTO `new_messages` (`id`, `created_at`, `updated_at`, `customer_id`, `direction`, `sender_kind`, `body`, `content_type`, `metadata`, `private`, `auto_submitted`, `template`, `provider_message_id`, `delivery_status`, `delivery_error`, `workspace_id`, `conversation_id`, `channel_id`, `author_id`) SELECT `id`, `created_at`, `updated_at`, `customer_id`, `direction`, `sender_kind`, `body`, `content_type`, `metadata`, `private`, `auto_submitted`, `template`, `provider_message_id`, `delivery_status`, `delivery_error`, `workspace_id`, `conversation_id`, `channel_id`, `author_id` FROM `messages`;
-- Drop "messages" table after copying rows
DROP TABLE `messages`;
-- Rename temporary table "new_messages" to "messages"
ALTER TABLE `new_messages` RENAME TO `messages`;
-- Create index "message_workspace_id" to table: "messages"
CREATE INDEX `message_workspace_id` ON `messages` (`workspace_id`);
-- Create index "message_customer_id_created_at_id" to table: "messages"
CREATE INDEX `message_customer_id_created_at_id` ON `messages` (`customer_id`, `created_at`, `id`);
-- Create index "message_conversation_id_created_at" to table: "messages"
CREATE INDEX `message_conversation_id_created_at` ON `messages` (`conversation_id`, `created_at`);
-- Create index "message_channel_id_provider_message_id" to table: "messages"
CREATE UNIQUE INDEX `message_channel_id_provider_message_id` ON `messages` (`channel_id`, `provider_message_id`) WHERE provider_message_id IS NOT NULL;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
