-- Create "files" table
CREATE TABLE `files` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL DEFAULT (''), `content_type` text NOT NULL, `size` integer NOT NULL DEFAULT (0), `sha256` text NULL, `storage_key` text NULL, `width` integer NULL, `height` integer NULL, `status` text NOT NULL DEFAULT ('READY'), `error` text NULL, `message_id` text NULL, `uploader_agent_id` text NULL, `uploader_customer_id` text NULL, `channel_id` text NULL, `deleted_at` datetime NULL, `workspace_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `files_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION);
-- Create index "file_workspace_id" to table: "files"
CREATE INDEX `file_workspace_id` ON `files` (`workspace_id`);
-- Create index "file_message_id" to table: "files"
CREATE INDEX `file_message_id` ON `files` (`message_id`);
-- Create index "file_status_created_at" to table: "files"
CREATE INDEX `file_status_created_at` ON `files` (`status`, `created_at`);
-- Create index "file_storage_key" to table: "files"
CREATE INDEX `file_storage_key` ON `files` (`storage_key`);
