-- Create "agents" table
CREATE TABLE `agents` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `email` text NOT NULL, `password_hash` text NOT NULL, `role` text NOT NULL DEFAULT ('AGENT'), `status` text NOT NULL DEFAULT ('OFFLINE'), `capacity` integer NOT NULL DEFAULT (5), `load` integer NOT NULL DEFAULT (0), `skills` json NULL, `avatar_url` text NULL, `active` bool NOT NULL DEFAULT (true), `token_generation` integer NOT NULL DEFAULT (0), `must_change_password` bool NOT NULL DEFAULT (false), `totp_secret` blob NULL, `totp_enabled` bool NOT NULL DEFAULT (false), `totp_last_step` integer NOT NULL DEFAULT (0), `workspace_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `agents_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION);
-- Create index "agent_workspace_id" to table: "agents"
CREATE INDEX `agent_workspace_id` ON `agents` (`workspace_id`);
-- Create index "agent_email" to table: "agents"
CREATE UNIQUE INDEX `agent_email` ON `agents` (`email`);
-- Create "agent_presences" table
CREATE TABLE `agent_presences` (`id` text NOT NULL, `agent_id` text NOT NULL, `instance_id` text NOT NULL, `connections` integer NOT NULL DEFAULT (0), `last_seen` datetime NOT NULL, `workspace_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `agent_presences_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION);
-- Create index "agentpresence_workspace_id" to table: "agent_presences"
CREATE INDEX `agentpresence_workspace_id` ON `agent_presences` (`workspace_id`);
-- Create index "agentpresence_agent_id_instance_id" to table: "agent_presences"
CREATE UNIQUE INDEX `agentpresence_agent_id_instance_id` ON `agent_presences` (`agent_id`, `instance_id`);
-- Create index "agentpresence_last_seen" to table: "agent_presences"
CREATE INDEX `agentpresence_last_seen` ON `agent_presences` (`last_seen`);
-- Create "api_tokens" table
CREATE TABLE `api_tokens` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `token_hash` text NOT NULL, `token_prefix` text NOT NULL, `scopes` json NOT NULL, `last_used_at` datetime NULL, `revoked_at` datetime NULL, `workspace_id` text NOT NULL, `created_by_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `api_tokens_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `api_tokens_agents_created_by` FOREIGN KEY (`created_by_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL);
-- Create index "apitoken_workspace_id" to table: "api_tokens"
CREATE INDEX `apitoken_workspace_id` ON `api_tokens` (`workspace_id`);
-- Create index "apitoken_token_hash" to table: "api_tokens"
CREATE UNIQUE INDEX `apitoken_token_hash` ON `api_tokens` (`token_hash`);
-- Create "attribute_definitions" table
CREATE TABLE `attribute_definitions` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `label` text NULL, `type` text NOT NULL, `workspace_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `attribute_definitions_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION);
-- Create index "attributedefinition_workspace_id" to table: "attribute_definitions"
CREATE INDEX `attributedefinition_workspace_id` ON `attribute_definitions` (`workspace_id`);
-- Create index "attributedefinition_workspace_id_name" to table: "attribute_definitions"
CREATE UNIQUE INDEX `attributedefinition_workspace_id_name` ON `attribute_definitions` (`workspace_id`, `name`);
-- Create "channels" table
CREATE TABLE `channels` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `name` text NOT NULL, `enabled` bool NOT NULL DEFAULT (false), `key` text NOT NULL, `settings` json NULL, `secrets` blob NULL, `secret_fields` json NULL, `verification_state` text NOT NULL DEFAULT ('UNVERIFIED'), `verification_error` text NULL, `verified_at` datetime NULL, `priority` integer NOT NULL DEFAULT (0), `working_hours` json NULL, `workspace_id` text NOT NULL, `team_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `channels_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `channels_teams_team` FOREIGN KEY (`team_id`) REFERENCES `teams` (`id`) ON DELETE SET NULL);
-- Create index "channel_workspace_id" to table: "channels"
CREATE INDEX `channel_workspace_id` ON `channels` (`workspace_id`);
-- Create index "channel_key" to table: "channels"
CREATE UNIQUE INDEX `channel_key` ON `channels` (`key`);
-- Create "consumer_checkpoints" table
CREATE TABLE `consumer_checkpoints` (`id` text NOT NULL, `consumer` text NOT NULL, `workspace_id` text NOT NULL, `seq` integer NOT NULL DEFAULT (0), `updated_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create index "consumercheckpoint_consumer_workspace_id" to table: "consumer_checkpoints"
CREATE UNIQUE INDEX `consumercheckpoint_consumer_workspace_id` ON `consumer_checkpoints` (`consumer`, `workspace_id`);
-- Create "consumer_leases" table
CREATE TABLE `consumer_leases` (`id` text NOT NULL, `holder` text NOT NULL, `expires_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create "conversations" table
CREATE TABLE `conversations` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `status` text NOT NULL DEFAULT ('OPEN'), `priority` text NOT NULL DEFAULT ('NORMAL'), `subject` text NULL, `last_message_at` datetime NULL, `waiting_since` datetime NULL, `first_response_at` datetime NULL, `resolved_at` datetime NULL, `snoozed_until` datetime NULL, `workspace_id` text NOT NULL, `customer_id` text NOT NULL, `channel_id` text NOT NULL, `assignee_id` text NULL, `team_id` text NULL, `last_message_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `conversations_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `conversations_customers_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION, CONSTRAINT `conversations_channels_channel` FOREIGN KEY (`channel_id`) REFERENCES `channels` (`id`) ON DELETE NO ACTION, CONSTRAINT `conversations_agents_assignee` FOREIGN KEY (`assignee_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL, CONSTRAINT `conversations_teams_team` FOREIGN KEY (`team_id`) REFERENCES `teams` (`id`) ON DELETE SET NULL, CONSTRAINT `conversations_messages_last_message` FOREIGN KEY (`last_message_id`) REFERENCES `messages` (`id`) ON DELETE SET NULL);
-- Create index "conversation_workspace_id" to table: "conversations"
CREATE INDEX `conversation_workspace_id` ON `conversations` (`workspace_id`);
-- Create index "conversation_workspace_id_status_last_message_at" to table: "conversations"
CREATE INDEX `conversation_workspace_id_status_last_message_at` ON `conversations` (`workspace_id`, `status`, `last_message_at`);
-- Create index "conversation_workspace_id_assignee_id_status" to table: "conversations"
CREATE INDEX `conversation_workspace_id_assignee_id_status` ON `conversations` (`workspace_id`, `assignee_id`, `status`);
-- Create index "conversation_customer_id_channel_id_status" to table: "conversations"
CREATE INDEX `conversation_customer_id_channel_id_status` ON `conversations` (`customer_id`, `channel_id`, `status`);
-- Create "conversation_activities" table
CREATE TABLE `conversation_activities` (`id` text NOT NULL, `customer_id` text NOT NULL, `kind` text NOT NULL, `reason` text NULL, `note` text NULL, `occurred_at` datetime NOT NULL, `workspace_id` text NOT NULL, `conversation_id` text NOT NULL, `actor_id` text NULL, `agent_id` text NULL, `team_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `conversation_activities_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `conversation_activities_conversations_conversation` FOREIGN KEY (`conversation_id`) REFERENCES `conversations` (`id`) ON DELETE NO ACTION, CONSTRAINT `conversation_activities_agents_actor` FOREIGN KEY (`actor_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL, CONSTRAINT `conversation_activities_agents_agent` FOREIGN KEY (`agent_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL, CONSTRAINT `conversation_activities_teams_team` FOREIGN KEY (`team_id`) REFERENCES `teams` (`id`) ON DELETE SET NULL);
-- Create index "conversationactivity_workspace_id" to table: "conversation_activities"
CREATE INDEX `conversationactivity_workspace_id` ON `conversation_activities` (`workspace_id`);
-- Create index "conversationactivity_customer_id_occurred_at_id" to table: "conversation_activities"
CREATE INDEX `conversationactivity_customer_id_occurred_at_id` ON `conversation_activities` (`customer_id`, `occurred_at`, `id`);
-- Create index "conversationactivity_conversation_id_occurred_at" to table: "conversation_activities"
CREATE INDEX `conversationactivity_conversation_id_occurred_at` ON `conversation_activities` (`conversation_id`, `occurred_at`);
-- Create "conversation_reads" table
CREATE TABLE `conversation_reads` (`id` text NOT NULL, `agent_id` text NOT NULL, `conversation_id` text NOT NULL, `read_at` datetime NOT NULL, `workspace_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `conversation_reads_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION);
-- Create index "conversationread_workspace_id" to table: "conversation_reads"
CREATE INDEX `conversationread_workspace_id` ON `conversation_reads` (`workspace_id`);
-- Create index "conversationread_agent_id_conversation_id" to table: "conversation_reads"
CREATE UNIQUE INDEX `conversationread_agent_id_conversation_id` ON `conversation_reads` (`agent_id`, `conversation_id`);
-- Create "customers" table
CREATE TABLE `customers` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NULL, `avatar_url` text NULL, `custom_attributes` json NULL, `vip` bool NOT NULL DEFAULT (false), `notes` text NULL, `workspace_id` text NOT NULL, `merged_into_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `customers_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `customers_customers_merged_customers` FOREIGN KEY (`merged_into_id`) REFERENCES `customers` (`id`) ON DELETE SET NULL);
-- Create index "customer_workspace_id" to table: "customers"
CREATE INDEX `customer_workspace_id` ON `customers` (`workspace_id`);
-- Create "customer_duplicates" table
CREATE TABLE `customer_duplicates` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `evidence` json NOT NULL, `status` text NOT NULL DEFAULT ('OPEN'), `resolved_at` datetime NULL, `workspace_id` text NOT NULL, `customer_id` text NOT NULL, `duplicate_id` text NOT NULL, `resolved_by_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `customer_duplicates_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `customer_duplicates_customers_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION, CONSTRAINT `customer_duplicates_customers_duplicate` FOREIGN KEY (`duplicate_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION, CONSTRAINT `customer_duplicates_agents_resolved_by` FOREIGN KEY (`resolved_by_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL);
-- Create index "customerduplicate_workspace_id" to table: "customer_duplicates"
CREATE INDEX `customerduplicate_workspace_id` ON `customer_duplicates` (`workspace_id`);
-- Create index "customerduplicate_customer_id_duplicate_id" to table: "customer_duplicates"
CREATE UNIQUE INDEX `customerduplicate_customer_id_duplicate_id` ON `customer_duplicates` (`customer_id`, `duplicate_id`);
-- Create index "customerduplicate_workspace_id_status_created_at" to table: "customer_duplicates"
CREATE INDEX `customerduplicate_workspace_id_status_created_at` ON `customer_duplicates` (`workspace_id`, `status`, `created_at`);
-- Create "customer_identities" table
CREATE TABLE `customer_identities` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `value` text NOT NULL, `verified` bool NOT NULL DEFAULT (false), `source` text NOT NULL DEFAULT ('CHANNEL'), `customer_id` text NOT NULL, `workspace_id` text NOT NULL, `channel_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `customer_identities_customers_identities` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION, CONSTRAINT `customer_identities_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `customer_identities_channels_channel` FOREIGN KEY (`channel_id`) REFERENCES `channels` (`id`) ON DELETE SET NULL);
-- Create index "customeridentity_workspace_id" to table: "customer_identities"
CREATE INDEX `customeridentity_workspace_id` ON `customer_identities` (`workspace_id`);
-- Create index "customer_identity_verified_unique" to table: "customer_identities"
CREATE UNIQUE INDEX `customer_identity_verified_unique` ON `customer_identities` (`workspace_id`, `kind`, `value`) WHERE verified AND channel_id IS NULL;
-- Create index "customer_identity_verified_channel_unique" to table: "customer_identities"
CREATE UNIQUE INDEX `customer_identity_verified_channel_unique` ON `customer_identities` (`workspace_id`, `kind`, `value`, `channel_id`) WHERE verified AND channel_id IS NOT NULL;
-- Create index "customer_identity_lookup" to table: "customer_identities"
CREATE INDEX `customer_identity_lookup` ON `customer_identities` (`workspace_id`, `kind`, `value`);
-- Create index "customeridentity_customer_id" to table: "customer_identities"
CREATE INDEX `customeridentity_customer_id` ON `customer_identities` (`customer_id`);
-- Create "customer_merges" table
CREATE TABLE `customer_merges` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `automatic` bool NOT NULL DEFAULT (false), `merged_at` datetime NOT NULL, `unmerged_at` datetime NULL, `snapshot` json NOT NULL, `workspace_id` text NOT NULL, `primary_id` text NOT NULL, `secondary_id` text NOT NULL, `merged_by_id` text NULL, `unmerged_by_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `customer_merges_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `customer_merges_customers_primary` FOREIGN KEY (`primary_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION, CONSTRAINT `customer_merges_customers_secondary` FOREIGN KEY (`secondary_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION, CONSTRAINT `customer_merges_agents_merged_by` FOREIGN KEY (`merged_by_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL, CONSTRAINT `customer_merges_agents_unmerged_by` FOREIGN KEY (`unmerged_by_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL);
-- Create index "customermerge_workspace_id" to table: "customer_merges"
CREATE INDEX `customermerge_workspace_id` ON `customer_merges` (`workspace_id`);
-- Create index "customermerge_primary_id_merged_at" to table: "customer_merges"
CREATE INDEX `customermerge_primary_id_merged_at` ON `customer_merges` (`primary_id`, `merged_at`);
-- Create index "customermerge_secondary_id_merged_at" to table: "customer_merges"
CREATE INDEX `customermerge_secondary_id_merged_at` ON `customer_merges` (`secondary_id`, `merged_at`);
-- Create "events" table
CREATE TABLE `events` (`id` text NOT NULL, `seq` integer NOT NULL, `type` text NOT NULL, `change` text NULL, `conversation_id` text NULL, `message_id` text NULL, `customer_id` text NULL, `agent_id` text NULL, `previous_agent_id` text NULL, `merge_id` text NULL, `created_at` datetime NOT NULL, `workspace_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `events_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION);
-- Create index "event_workspace_id" to table: "events"
CREATE INDEX `event_workspace_id` ON `events` (`workspace_id`);
-- Create index "event_workspace_id_seq" to table: "events"
CREATE UNIQUE INDEX `event_workspace_id_seq` ON `events` (`workspace_id`, `seq`);
-- Create index "event_created_at" to table: "events"
CREATE INDEX `event_created_at` ON `events` (`created_at`);
-- Create "event_sequences" table
CREATE TABLE `event_sequences` (`id` text NOT NULL, `last_seq` integer NOT NULL DEFAULT (0), `pruned_through` integer NOT NULL DEFAULT (0), PRIMARY KEY (`id`));
-- Create "messages" table
CREATE TABLE `messages` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `customer_id` text NULL, `direction` text NOT NULL, `sender_kind` text NOT NULL, `body` text NOT NULL, `content_type` text NOT NULL DEFAULT ('text/plain'), `attachments` json NULL, `metadata` json NULL, `private` bool NOT NULL DEFAULT (false), `provider_message_id` text NULL, `delivery_status` text NULL, `delivery_error` text NULL, `workspace_id` text NOT NULL, `conversation_id` text NOT NULL, `channel_id` text NOT NULL, `author_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `messages_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `messages_conversations_conversation` FOREIGN KEY (`conversation_id`) REFERENCES `conversations` (`id`) ON DELETE NO ACTION, CONSTRAINT `messages_channels_channel` FOREIGN KEY (`channel_id`) REFERENCES `channels` (`id`) ON DELETE NO ACTION, CONSTRAINT `messages_agents_author` FOREIGN KEY (`author_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL);
-- Create index "message_workspace_id" to table: "messages"
CREATE INDEX `message_workspace_id` ON `messages` (`workspace_id`);
-- Create index "message_customer_id_created_at_id" to table: "messages"
CREATE INDEX `message_customer_id_created_at_id` ON `messages` (`customer_id`, `created_at`, `id`);
-- Create index "message_conversation_id_created_at" to table: "messages"
CREATE INDEX `message_conversation_id_created_at` ON `messages` (`conversation_id`, `created_at`);
-- Create index "message_channel_id_provider_message_id" to table: "messages"
CREATE UNIQUE INDEX `message_channel_id_provider_message_id` ON `messages` (`channel_id`, `provider_message_id`) WHERE provider_message_id IS NOT NULL;
-- Create "outbox_items" table
CREATE TABLE `outbox_items` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `message_id` text NOT NULL, `channel_id` text NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `attempts` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NOT NULL, `claimed_by` text NULL, `claimed_until` datetime NULL, `last_error` text NULL, `provider_message_id` text NULL, `workspace_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `outbox_items_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION);
-- Create index "outboxitem_workspace_id" to table: "outbox_items"
CREATE INDEX `outboxitem_workspace_id` ON `outbox_items` (`workspace_id`);
-- Create index "outboxitem_status_next_attempt_at" to table: "outbox_items"
CREATE INDEX `outboxitem_status_next_attempt_at` ON `outbox_items` (`status`, `next_attempt_at`);
-- Create index "outboxitem_message_id" to table: "outbox_items"
CREATE UNIQUE INDEX `outboxitem_message_id` ON `outbox_items` (`message_id`);
-- Create "routing_policies" table
CREATE TABLE `routing_policies` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `strategy` text NOT NULL DEFAULT ('MANUAL'), `skill_rules` json NULL, `last_agent_id` text NULL, `workspace_id` text NOT NULL, `channel_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `routing_policies_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `routing_policies_channels_channel` FOREIGN KEY (`channel_id`) REFERENCES `channels` (`id`) ON DELETE NO ACTION);
-- Create index "routingpolicy_workspace_id" to table: "routing_policies"
CREATE INDEX `routingpolicy_workspace_id` ON `routing_policies` (`workspace_id`);
-- Create index "routingpolicy_channel_id" to table: "routing_policies"
CREATE UNIQUE INDEX `routingpolicy_channel_id` ON `routing_policies` (`channel_id`);
-- Create "tags" table
CREATE TABLE `tags` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `color` text NOT NULL DEFAULT ('#6b7280'), `workspace_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `tags_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION);
-- Create index "tag_workspace_id" to table: "tags"
CREATE INDEX `tag_workspace_id` ON `tags` (`workspace_id`);
-- Create index "tag_workspace_id_name" to table: "tags"
CREATE UNIQUE INDEX `tag_workspace_id_name` ON `tags` (`workspace_id`, `name`);
-- Create "teams" table
CREATE TABLE `teams` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `workspace_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `teams_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION);
-- Create index "team_workspace_id" to table: "teams"
CREATE INDEX `team_workspace_id` ON `teams` (`workspace_id`);
-- Create index "team_workspace_id_name" to table: "teams"
CREATE UNIQUE INDEX `team_workspace_id_name` ON `teams` (`workspace_id`, `name`);
-- Create "timers" table
CREATE TABLE `timers` (`id` text NOT NULL, `kind` text NOT NULL, `subject` text NOT NULL, `workspace_id` text NOT NULL, `due_at` datetime NOT NULL, `claimed_by` text NULL, `claimed_until` datetime NULL, `attempts` integer NOT NULL DEFAULT (0), `last_error` text NULL, `created_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create index "timer_kind_subject" to table: "timers"
CREATE UNIQUE INDEX `timer_kind_subject` ON `timers` (`kind`, `subject`);
-- Create index "timer_due_at" to table: "timers"
CREATE INDEX `timer_due_at` ON `timers` (`due_at`);
-- Create "workspaces" table
CREATE TABLE `workspaces` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `slug` text NOT NULL, `timezone` text NOT NULL DEFAULT ('UTC'), `default_phone_region` text NOT NULL DEFAULT ('US'), PRIMARY KEY (`id`));
-- Create index "workspace_slug" to table: "workspaces"
CREATE UNIQUE INDEX `workspace_slug` ON `workspaces` (`slug`);
-- Create "channel_member_agents" table
CREATE TABLE `channel_member_agents` (`channel_id` text NOT NULL, `agent_id` text NOT NULL, PRIMARY KEY (`channel_id`, `agent_id`), CONSTRAINT `channel_member_agents_channel_id` FOREIGN KEY (`channel_id`) REFERENCES `channels` (`id`) ON DELETE CASCADE, CONSTRAINT `channel_member_agents_agent_id` FOREIGN KEY (`agent_id`) REFERENCES `agents` (`id`) ON DELETE CASCADE);
-- Create "channel_member_teams" table
CREATE TABLE `channel_member_teams` (`channel_id` text NOT NULL, `team_id` text NOT NULL, PRIMARY KEY (`channel_id`, `team_id`), CONSTRAINT `channel_member_teams_channel_id` FOREIGN KEY (`channel_id`) REFERENCES `channels` (`id`) ON DELETE CASCADE, CONSTRAINT `channel_member_teams_team_id` FOREIGN KEY (`team_id`) REFERENCES `teams` (`id`) ON DELETE CASCADE);
-- Create "conversation_tags" table
CREATE TABLE `conversation_tags` (`conversation_id` text NOT NULL, `tag_id` text NOT NULL, PRIMARY KEY (`conversation_id`, `tag_id`), CONSTRAINT `conversation_tags_conversation_id` FOREIGN KEY (`conversation_id`) REFERENCES `conversations` (`id`) ON DELETE CASCADE, CONSTRAINT `conversation_tags_tag_id` FOREIGN KEY (`tag_id`) REFERENCES `tags` (`id`) ON DELETE CASCADE);
-- Create "customer_tags" table
CREATE TABLE `customer_tags` (`customer_id` text NOT NULL, `tag_id` text NOT NULL, PRIMARY KEY (`customer_id`, `tag_id`), CONSTRAINT `customer_tags_customer_id` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE, CONSTRAINT `customer_tags_tag_id` FOREIGN KEY (`tag_id`) REFERENCES `tags` (`id`) ON DELETE CASCADE);
-- Create "team_agents" table
CREATE TABLE `team_agents` (`team_id` text NOT NULL, `agent_id` text NOT NULL, PRIMARY KEY (`team_id`, `agent_id`), CONSTRAINT `team_agents_team_id` FOREIGN KEY (`team_id`) REFERENCES `teams` (`id`) ON DELETE CASCADE, CONSTRAINT `team_agents_agent_id` FOREIGN KEY (`agent_id`) REFERENCES `agents` (`id`) ON DELETE CASCADE);
