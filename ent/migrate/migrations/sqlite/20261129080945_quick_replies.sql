-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_files" table
CREATE TABLE `new_files` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL DEFAULT (''), `content_type` text NOT NULL, `size` integer NOT NULL DEFAULT (0), `sha256` text NULL, `storage_key` text NULL, `thumbnail_key` text NULL, `width` integer NULL, `height` integer NULL, `status` text NOT NULL DEFAULT ('READY'), `error` text NULL, `message_id` text NULL, `position` integer NOT NULL DEFAULT (0), `original` bool NOT NULL DEFAULT (false), `source` json NULL, `attempts` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NULL, `uploader_agent_id` text NULL, `uploader_customer_id` text NULL, `channel_id` text NULL, `deleted_at` datetime NULL, `workspace_id` text NOT NULL, `quick_reply_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `files_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `files_quick_replies_attachments` FOREIGN KEY (`quick_reply_id`) REFERENCES `quick_replies` (`id`) ON DELETE SET NULL);
-- Copy rows from old table "files" to new temporary table "new_files"
INSERT INTO `new_files` (`id`, `created_at`, `updated_at`, `name`, `content_type`, `size`, `sha256`, `storage_key`, `thumbnail_key`, `width`, `height`, `status`, `error`, `message_id`, `position`, `original`, `source`, `attempts`, `next_attempt_at`, `uploader_agent_id`, `uploader_customer_id`, `channel_id`, `deleted_at`, `workspace_id`) SELECT `id`, `created_at`, `updated_at`, `name`, `content_type`, `size`, `sha256`, `storage_key`, `thumbnail_key`, `width`, `height`, `status`, `error`, `message_id`, `position`, `original`, `source`, `attempts`, `next_attempt_at`, `uploader_agent_id`, `uploader_customer_id`, `channel_id`, `deleted_at`, `workspace_id` FROM `files`;
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
-- Create index "file_quick_reply_id" to table: "files"
CREATE INDEX `file_quick_reply_id` ON `files` (`quick_reply_id`);
-- Create "quick_replies" table
CREATE TABLE `quick_replies` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `shortcut` text NOT NULL, `title` text NOT NULL, `body` text NOT NULL DEFAULT (''), `scope` text NOT NULL, `scope_key` text NOT NULL, `template` json NULL, `workspace_id` text NOT NULL, `team_id` text NULL, `owner_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `quick_replies_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `quick_replies_teams_team` FOREIGN KEY (`team_id`) REFERENCES `teams` (`id`) ON DELETE SET NULL, CONSTRAINT `quick_replies_agents_owner` FOREIGN KEY (`owner_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL);
-- Create index "quickreply_workspace_id" to table: "quick_replies"
CREATE INDEX `quickreply_workspace_id` ON `quick_replies` (`workspace_id`);
-- Create index "quickreply_workspace_id_scope_key_shortcut" to table: "quick_replies"
CREATE UNIQUE INDEX `quickreply_workspace_id_scope_key_shortcut` ON `quick_replies` (`workspace_id`, `scope_key`, `shortcut`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
