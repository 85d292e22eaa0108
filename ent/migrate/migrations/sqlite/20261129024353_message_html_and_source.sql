-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_files" table
CREATE TABLE `new_files` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL DEFAULT (''), `content_type` text NOT NULL, `size` integer NOT NULL DEFAULT (0), `sha256` text NULL, `storage_key` text NULL, `thumbnail_key` text NULL, `width` integer NULL, `height` integer NULL, `status` text NOT NULL DEFAULT ('READY'), `error` text NULL, `message_id` text NULL, `position` integer NOT NULL DEFAULT (0), `original` bool NOT NULL DEFAULT (false), `source` json NULL, `attempts` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NULL, `uploader_agent_id` text NULL, `uploader_customer_id` text NULL, `channel_id` text NULL, `deleted_at` datetime NULL, `workspace_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `files_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION);
-- Copy rows from old table "files" to new temporary table "new_files"
INSERT INTO `new_files` (`id`, `created_at`, `updated_at`, `name`, `content_type`, `size`, `sha256`, `storage_key`, `thumbnail_key`, `width`, `height`, `status`, `error`, `message_id`, `position`, `source`, `attempts`, `next_attempt_at`, `uploader_agent_id`, `uploader_customer_id`, `channel_id`, `deleted_at`, `workspace_id`) SELECT `id`, `created_at`, `updated_at`, `name`, `content_type`, `size`, `sha256`, `storage_key`, `thumbnail_key`, `width`, `height`, `status`, `error`, `message_id`, `position`, `source`, `attempts`, `next_attempt_at`, `uploader_agent_id`, `uploader_customer_id`, `channel_id`, `deleted_at`, `workspace_id` FROM `files`;
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
-- Add column "html" to table: "messages"
ALTER TABLE `messages` ADD COLUMN `html` text NULL;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
