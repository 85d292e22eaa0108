-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_customer_identities" table
CREATE TABLE `new_customer_identities` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `value` text NOT NULL, `verified` bool NOT NULL DEFAULT (false), `source` text NOT NULL DEFAULT ('CHANNEL'), `customer_id` text NOT NULL, `workspace_id` text NOT NULL, `channel_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `customer_identities_customers_identities` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION, CONSTRAINT `customer_identities_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `customer_identities_channels_channel` FOREIGN KEY (`channel_id`) REFERENCES `channels` (`id`) ON DELETE SET NULL);
-- Copy rows from old table "customer_identities" to new temporary table "new_customer_identities"
INSERT INTO `new_customer_identities` (`id`, `created_at`, `updated_at`, `kind`, `value`, `verified`, `source`, `customer_id`, `workspace_id`, `channel_id`) SELECT `id`, `created_at`, `updated_at`, `kind`, `value`, `verified`, `source`, `customer_id`, `workspace_id`, `channel_id` FROM `customer_identities`;
-- Drop "customer_identities" table after copying rows
DROP TABLE `customer_identities`;
-- Rename temporary table "new_customer_identities" to "customer_identities"
ALTER TABLE `new_customer_identities` RENAME TO `customer_identities`;
-- Create index "customeridentity_workspace_id" to table: "customer_identities"
CREATE INDEX `customeridentity_workspace_id` ON `customer_identities` (`workspace_id`);
-- Create index "customer_identity_verified_unique" to table: "customer_identities"
CREATE UNIQUE INDEX `customer_identity_verified_unique` ON `customer_identities` (`workspace_id`, `kind`, `value`) WHERE (verified AND (channel_id IS NULL));
-- Create index "customer_identity_verified_channel_unique" to table: "customer_identities"
CREATE UNIQUE INDEX `customer_identity_verified_channel_unique` ON `customer_identities` (`workspace_id`, `kind`, `value`, `channel_id`) WHERE (verified AND (channel_id IS NOT NULL));
-- Create index "customer_identity_lookup" to table: "customer_identities"
CREATE INDEX `customer_identity_lookup` ON `customer_identities` (`workspace_id`, `kind`, `value`);
-- Create index "customeridentity_customer_id" to table: "customer_identities"
CREATE INDEX `customeridentity_customer_id` ON `customer_identities` (`customer_id`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
