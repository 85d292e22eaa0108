-- Create "agents" table
CREATE TABLE "agents" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "email" character varying NOT NULL, "password_hash" character varying NOT NULL, "role" character varying NOT NULL DEFAULT 'AGENT', "status" character varying NOT NULL DEFAULT 'OFFLINE', "capacity" bigint NOT NULL DEFAULT 5, "load" bigint NOT NULL DEFAULT 0, "skills" jsonb NULL, "avatar_url" character varying NULL, "active" boolean NOT NULL DEFAULT true, "token_generation" bigint NOT NULL DEFAULT 0, "must_change_password" boolean NOT NULL DEFAULT false, "totp_secret" bytea NULL, "totp_enabled" boolean NOT NULL DEFAULT false, "totp_last_step" bigint NOT NULL DEFAULT 0, "workspace_id" character varying NOT NULL, PRIMARY KEY ("id"));
-- Create index "agent_email" to table: "agents"
CREATE UNIQUE INDEX "agent_email" ON "agents" ("email");
-- Create index "agent_workspace_id" to table: "agents"
CREATE INDEX "agent_workspace_id" ON "agents" ("workspace_id");
-- Create "agent_presences" table
CREATE TABLE "agent_presences" ("id" character varying NOT NULL, "agent_id" character varying NOT NULL, "instance_id" character varying NOT NULL, "connections" bigint NOT NULL DEFAULT 0, "last_seen" timestamptz NOT NULL, "workspace_id" character varying NOT NULL, PRIMARY KEY ("id"));
-- Create index "agentpresence_agent_id_instance_id" to table: "agent_presences"
CREATE UNIQUE INDEX "agentpresence_agent_id_instance_id" ON "agent_presences" ("agent_id", "instance_id");
-- Create index "agentpresence_last_seen" to table: "agent_presences"
CREATE INDEX "agentpresence_last_seen" ON "agent_presences" ("last_seen");
-- Create index "agentpresence_workspace_id" to table: "agent_presences"
CREATE INDEX "agentpresence_workspace_id" ON "agent_presences" ("workspace_id");
-- Create "api_tokens" table
CREATE TABLE "api_tokens" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "token_hash" character varying NOT NULL, "token_prefix" character varying NOT NULL, "scopes" jsonb NOT NULL, "last_used_at" timestamptz NULL, "revoked_at" timestamptz NULL, "workspace_id" character varying NOT NULL, "created_by_id" character varying NULL, PRIMARY KEY ("id"));
-- Create index "apitoken_token_hash" to table: "api_tokens"
CREATE UNIQUE INDEX "apitoken_token_hash" ON "api_tokens" ("token_hash");
-- Create index "apitoken_workspace_id" to table: "api_tokens"
CREATE INDEX "apitoken_workspace_id" ON "api_tokens" ("workspace_id");
-- Create "attribute_definitions" table
CREATE TABLE "attribute_definitions" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "label" character varying NULL, "type" character varying NOT NULL, "workspace_id" character varying NOT NULL, PRIMARY KEY ("id"));
-- Create index "attributedefinition_workspace_id" to table: "attribute_definitions"
CREATE INDEX "attributedefinition_workspace_id" ON "attribute_definitions" ("workspace_id");
-- Create index "attributedefinition_workspace_id_name" to table: "attribute_definitions"
CREATE UNIQUE INDEX "attributedefinition_workspace_id_name" ON "attribute_definitions" ("workspace_id", "name");
-- Create "channels" table
CREATE TABLE "channels" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "kind" character varying NOT NULL, "name" character varying NOT NULL, "enabled" boolean NOT NULL DEFAULT false, "key" character varying NOT NULL, "settings" jsonb NULL, "secrets" bytea NULL, "secret_fields" jsonb NULL, "verification_state" character varying NOT NULL DEFAULT 'UNVERIFIED', "verification_error" character varying NULL, "verified_at" timestamptz NULL, "priority" bigint NOT NULL DEFAULT 0, "working_hours" jsonb NULL, "workspace_id" character varying NOT NULL, "team_id" character varying NULL, PRIMARY KEY ("id"));
-- Create index "channel_key" to table: "channels"
CREATE UNIQUE INDEX "channel_key" ON "channels" ("key");
-- Create index "channel_workspace_id" to table: "channels"
CREATE INDEX "channel_workspace_id" ON "channels" ("workspace_id");
-- Create "consumer_checkpoints" table
CREATE TABLE "consumer_checkpoints" ("id" character varying NOT NULL, "consumer" character varying NOT NULL, "workspace_id" character varying NOT NULL, "seq" bigint NOT NULL DEFAULT 0, "updated_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- Create index "consumercheckpoint_consumer_workspace_id" to table: "consumer_checkpoints"
CREATE UNIQUE INDEX "consumercheckpoint_consumer_workspace_id" ON "consumer_checkpoints" ("consumer", "workspace_id");
-- Create "consumer_leases" table
CREATE TABLE "consumer_leases" ("id" character varying NOT NULL, "holder" character varying NOT NULL, "expires_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- Create "conversations" table
CREATE TABLE "conversations" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "status" character varying NOT NULL DEFAULT 'OPEN', "priority" character varying NOT NULL DEFAULT 'NORMAL', "subject" character varying NULL, "last_message_at" timestamptz NULL, "waiting_since" timestamptz NULL, "first_response_at" timestamptz NULL, "resolved_at" timestamptz NULL, "snoozed_until" timestamptz NULL, "workspace_id" character varying NOT NULL, "customer_id" character varying NOT NULL, "channel_id" character varying NOT NULL, "assignee_id" character varying NULL, "team_id" character varying NULL, "last_message_id" character varying NULL, PRIMARY KEY ("id"));
-- Create index "conversation_customer_id_channel_id_status" to table: "conversations"
CREATE INDEX "conversation_customer_id_channel_id_status" ON "conversations" ("customer_id", "channel_id", "status");
-- Create index "conversation_workspace_id" to table: "conversations"
CREATE INDEX "conversation_workspace_id" ON "conversations" ("workspace_id");
-- Create index "conversation_workspace_id_assignee_id_status" to table: "conversations"
CREATE INDEX "conversation_workspace_id_assignee_id_status" ON "conversations" ("workspace_id", "assignee_id", "status");
-- Create index "conversation_workspace_id_status_last_message_at" to table: "conversations"
CREATE INDEX "conversation_workspace_id_status_last_message_at" ON "conversations" ("workspace_id", "status", "last_message_at");
-- Create "conversation_activities" table
CREATE TABLE "conversation_activities" ("id" character varying NOT NULL, "customer_id" character varying NOT NULL, "kind" character varying NOT NULL, "reason" character varying NULL, "note" character varying NULL, "occurred_at" timestamptz NOT NULL, "workspace_id" character varying NOT NULL, "conversation_id" character varying NOT NULL, "actor_id" character varying NULL, "agent_id" character varying NULL, "team_id" character varying NULL, PRIMARY KEY ("id"));
-- Create index "conversationactivity_conversation_id_occurred_at" to table: "conversation_activities"
CREATE INDEX "conversationactivity_conversation_id_occurred_at" ON "conversation_activities" ("conversation_id", "occurred_at");
-- Create index "conversationactivity_customer_id_occurred_at_id" to table: "conversation_activities"
CREATE INDEX "conversationactivity_customer_id_occurred_at_id" ON "conversation_activities" ("customer_id", "occurred_at", "id");
-- Create index "conversationactivity_workspace_id" to table: "conversation_activities"
CREATE INDEX "conversationactivity_workspace_id" ON "conversation_activities" ("workspace_id");
-- Create "conversation_reads" table
CREATE TABLE "conversation_reads" ("id" character varying NOT NULL, "agent_id" character varying NOT NULL, "conversation_id" character varying NOT NULL, "read_at" timestamptz NOT NULL, "workspace_id" character varying NOT NULL, PRIMARY KEY ("id"));
-- Create index "conversationread_agent_id_conversation_id" to table: "conversation_reads"
CREATE UNIQUE INDEX "conversationread_agent_id_conversation_id" ON "conversation_reads" ("agent_id", "conversation_id");
-- Create index "conversationread_workspace_id" to table: "conversation_reads"
CREATE INDEX "conversationread_workspace_id" ON "conversation_reads" ("workspace_id");
-- Create "customers" table
CREATE TABLE "customers" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NULL, "avatar_url" character varying NULL, "custom_attributes" jsonb NULL, "vip" boolean NOT NULL DEFAULT false, "notes" character varying NULL, "workspace_id" character varying NOT NULL, "merged_into_id" character varying NULL, PRIMARY KEY ("id"), CONSTRAINT "customers_customers_merged_customers" FOREIGN KEY ("merged_into_id") REFERENCES "customers" ("id") ON UPDATE NO ACTION ON DELETE SET NULL);
-- Create index "customer_workspace_id" to table: "customers"
CREATE INDEX "customer_workspace_id" ON "customers" ("workspace_id");
-- Create "customer_duplicates" table
CREATE TABLE "customer_duplicates" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "evidence" jsonb NOT NULL, "status" character varying NOT NULL DEFAULT 'OPEN', "resolved_at" timestamptz NULL, "workspace_id" character varying NOT NULL, "customer_id" character varying NOT NULL, "duplicate_id" character varying NOT NULL, "resolved_by_id" character varying NULL, PRIMARY KEY ("id"));
-- Create index "customerduplicate_customer_id_duplicate_id" to table: "customer_duplicates"
CREATE UNIQUE INDEX "customerduplicate_customer_id_duplicate_id" ON "customer_duplicates" ("customer_id", "duplicate_id");
-- Create index "customerduplicate_workspace_id" to table: "customer_duplicates"
CREATE INDEX "customerduplicate_workspace_id" ON "customer_duplicates" ("workspace_id");
-- Create index "customerduplicate_workspace_id_status_created_at" to table: "customer_duplicates"
CREATE INDEX "customerduplicate_workspace_id_status_created_at" ON "customer_duplicates" ("workspace_id", "status", "created_at");
-- Create "customer_identities" table
CREATE TABLE "customer_identities" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "kind" character varying NOT NULL, "value" character varying NOT NULL, "verified" boolean NOT NULL DEFAULT false, "source" character varying NOT NULL DEFAULT 'CHANNEL', "customer_id" character varying NOT NULL, "workspace_id" character varying NOT NULL, "channel_id" character varying NULL, PRIMARY KEY ("id"));
-- Create index "customer_identity_lookup" to table: "customer_identities"
CREATE INDEX "customer_identity_lookup" ON "customer_identities" ("workspace_id", "kind", "value");
-- Create index "customer_identity_verified_channel_unique" to table: "customer_identities"
CREATE UNIQUE INDEX "customer_identity_verified_channel_unique" ON "customer_identities" ("workspace_id", "kind", "value", "channel_id") WHERE (verified AND (channel_id IS NOT NULL));
-- Create index "customer_identity_verified_unique" to table: "customer_identities"
CREATE UNIQUE INDEX "customer_identity_verified_unique" ON "customer_identities" ("workspace_id", "kind", "value") WHERE (verified AND (channel_id IS NULL));
-- Create index "customeridentity_customer_id" to table: "customer_identities"
CREATE INDEX "customeridentity_customer_id" ON "customer_identities" ("customer_id");
-- Create index "customeridentity_workspace_id" to table: "customer_identities"
CREATE INDEX "customeridentity_workspace_id" ON "customer_identities" ("workspace_id");
-- Create "customer_merges" table
CREATE TABLE "customer_merges" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "automatic" boolean NOT NULL DEFAULT false, "merged_at" timestamptz NOT NULL, "unmerged_at" timestamptz NULL, "snapshot" jsonb NOT NULL, "workspace_id" character varying NOT NULL, "primary_id" character varying NOT NULL, "secondary_id" character varying NOT NULL, "merged_by_id" character varying NULL, "unmerged_by_id" character varying NULL, PRIMARY KEY ("id"));
-- Create index "customermerge_primary_id_merged_at" to table: "customer_merges"
CREATE INDEX "customermerge_primary_id_merged_at" ON "customer_merges" ("primary_id", "merged_at");
-- Create index "customermerge_secondary_id_merged_at" to table: "customer_merges"
CREATE INDEX "customermerge_secondary_id_merged_at" ON "customer_merges" ("secondary_id", "merged_at");
-- Create index "customermerge_workspace_id" to table: "customer_merges"
CREATE INDEX "customermerge_workspace_id" ON "customer_merges" ("workspace_id");
-- Create "events" table
CREATE TABLE "events" ("id" character varying NOT NULL, "seq" bigint NOT NULL, "type" character varying NOT NULL, "change" character varying NULL, "conversation_id" character varying NULL, "message_id" character varying NULL, "customer_id" character varying NULL, "agent_id" character varying NULL, "previous_agent_id" character varying NULL, "merge_id" character varying NULL, "created_at" timestamptz NOT NULL, "workspace_id" character varying NOT NULL, PRIMARY KEY ("id"));
-- Create index "event_created_at" to table: "events"
CREATE INDEX "event_created_at" ON "events" ("created_at");
-- Create index "event_workspace_id" to table: "events"
CREATE INDEX "event_workspace_id" ON "events" ("workspace_id");
-- Create index "event_workspace_id_seq" to table: "events"
CREATE UNIQUE INDEX "event_workspace_id_seq" ON "events" ("workspace_id", "seq");
-- Create "event_sequences" table
CREATE TABLE "event_sequences" ("id" character varying NOT NULL, "last_seq" bigint NOT NULL DEFAULT 0, "pruned_through" bigint NOT NULL DEFAULT 0, PRIMARY KEY ("id"));
-- Create "messages" table
CREATE TABLE "messages" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "customer_id" character varying NULL, "direction" character varying NOT NULL, "sender_kind" character varying NOT NULL, "body" character varying NOT NULL, "content_type" character varying NOT NULL DEFAULT 'text/plain', "attachments" jsonb NULL, "metadata" jsonb NULL, "private" boolean NOT NULL DEFAULT false, "provider_message_id" character varying NULL, "delivery_status" character varying NULL, "delivery_error" character varying NULL, "workspace_id" character varying NOT NULL, "conversation_id" character varying NOT NULL, "channel_id" character varying NOT NULL, "author_id" character varying NULL, PRIMARY KEY ("id"));
-- Create index "message_channel_id_provider_message_id" to table: "messages"
CREATE UNIQUE INDEX "message_channel_id_provider_message_id" ON "messages" ("channel_id", "provider_message_id") WHERE (provider_message_id IS NOT NULL);
-- Create index "message_conversation_id_created_at" to table: "messages"
CREATE INDEX "message_conversation_id_created_at" ON "messages" ("conversation_id", "created_at");
-- Create index "message_customer_id_created_at_id" to table: "messages"
CREATE INDEX "message_customer_id_created_at_id" ON "messages" ("customer_id", "created_at", "id");
-- Create index "message_workspace_id" to table: "messages"
CREATE INDEX "message_workspace_id" ON "messages" ("workspace_id");
-- Create "outbox_items" table
CREATE TABLE "outbox_items" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "message_id" character varying NOT NULL, "channel_id" character varying NOT NULL, "status" character varying NOT NULL DEFAULT 'PENDING', "attempts" bigint NOT NULL DEFAULT 0, "next_attempt_at" timestamptz NOT NULL, "claimed_by" character varying NULL, "claimed_until" timestamptz NULL, "last_error" character varying NULL, "provider_message_id" character varying NULL, "workspace_id" character varying NOT NULL, PRIMARY KEY ("id"));
-- Create index "outboxitem_message_id" to table: "outbox_items"
CREATE UNIQUE INDEX "outboxitem_message_id" ON "outbox_items" ("message_id");
-- Create index "outboxitem_status_next_attempt_at" to table: "outbox_items"
CREATE INDEX "outboxitem_status_next_attempt_at" ON "outbox_items" ("status", "next_attempt_at");
-- Create index "outboxitem_workspace_id" to table: "outbox_items"
CREATE INDEX "outboxitem_workspace_id" ON "outbox_items" ("workspace_id");
-- Create "routing_policies" table
CREATE TABLE "routing_policies" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "strategy" character varying NOT NULL DEFAULT 'MANUAL', "skill_rules" jsonb NULL, "last_agent_id" character varying NULL, "workspace_id" character varying NOT NULL, "channel_id" character varying NOT NULL, PRIMARY KEY ("id"));
-- Create index "routingpolicy_channel_id" to table: "routing_policies"
CREATE UNIQUE INDEX "routingpolicy_channel_id" ON "routing_policies" ("channel_id");
-- Create index "routingpolicy_workspace_id" to table: "routing_policies"
CREATE INDEX "routingpolicy_workspace_id" ON "routing_policies" ("workspace_id");
-- Create "tags" table
CREATE TABLE "tags" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "color" character varying NOT NULL DEFAULT '#6b7280', "workspace_id" character varying NOT NULL, PRIMARY KEY ("id"));
-- Create index "tag_workspace_id" to table: "tags"
CREATE INDEX "tag_workspace_id" ON "tags" ("workspace_id");
-- Create index "tag_workspace_id_name" to table: "tags"
CREATE UNIQUE INDEX "tag_workspace_id_name" ON "tags" ("workspace_id", "name");
-- Create "teams" table
CREATE TABLE "teams" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "workspace_id" character varying NOT NULL, PRIMARY KEY ("id"));
-- Create index "team_workspace_id" to table: "teams"
CREATE INDEX "team_workspace_id" ON "teams" ("workspace_id");
-- Create index "team_workspace_id_name" to table: "teams"
CREATE UNIQUE INDEX "team_workspace_id_name" ON "teams" ("workspace_id", "name");
-- Create "timers" table
CREATE TABLE "timers" ("id" character varying NOT NULL, "kind" character varying NOT NULL, "subject" character varying NOT NULL, "workspace_id" character varying NOT NULL, "due_at" timestamptz NOT NULL, "claimed_by" character varying NULL, "claimed_until" timestamptz NULL, "attempts" bigint NOT NULL DEFAULT 0, "last_error" character varying NULL, "created_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- Create index "timer_due_at" to table: "timers"
CREATE INDEX "timer_due_at" ON "timers" ("due_at");
-- Create index "timer_kind_subject" to table: "timers"
CREATE UNIQUE INDEX "timer_kind_subject" ON "timers" ("kind", "subject");
-- Create "workspaces" table
CREATE TABLE "workspaces" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "slug" character varying NOT NULL, "timezone" character varying NOT NULL DEFAULT 'UTC', "default_phone_region" character varying NOT NULL DEFAULT 'US', PRIMARY KEY ("id"));
-- Create index "workspace_slug" to table: "workspaces"
CREATE UNIQUE INDEX "workspace_slug" ON "workspaces" ("slug");
-- Create "channel_member_agents" table
CREATE TABLE "channel_member_agents" ("channel_id" character varying NOT NULL, "agent_id" character varying NOT NULL, PRIMARY KEY ("channel_id", "agent_id"));
-- Create "channel_member_teams" table
CREATE TABLE "channel_member_teams" ("channel_id" character varying NOT NULL, "team_id" character varying NOT NULL, PRIMARY KEY ("channel_id", "team_id"));
-- Create "conversation_tags" table
CREATE TABLE "conversation_tags" ("conversation_id" character varying NOT NULL, "tag_id" character varying NOT NULL, PRIMARY KEY ("conversation_id", "tag_id"));
-- Create "customer_tags" table
CREATE TABLE "customer_tags" ("customer_id" character varying NOT NULL, "tag_id" character varying NOT NULL, PRIMARY KEY ("customer_id", "tag_id"));
-- Create "team_agents" table
CREATE TABLE "team_agents" ("team_id" character varying NOT NULL, "agent_id" character varying NOT NULL, PRIMARY KEY ("team_id", "agent_id"));
-- Modify "agents" table
ALTER TABLE "agents" ADD CONSTRAINT "agents_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "agent_presences" table
ALTER TABLE "agent_presences" ADD CONSTRAINT "agent_presences_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "api_tokens" table
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_agents_created_by" FOREIGN KEY ("created_by_id") REFERENCES "agents" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "api_tokens_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "attribute_definitions" table
ALTER TABLE "attribute_definitions" ADD CONSTRAINT "attribute_definitions_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "channels" table
ALTER TABLE "channels" ADD CONSTRAINT "channels_teams_team" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "channels_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "conversations" table
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_agents_assignee" FOREIGN KEY ("assignee_id") REFERENCES "agents" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "conversations_channels_channel" FOREIGN KEY ("channel_id") REFERENCES "channels" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "conversations_customers_customer" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "conversations_messages_last_message" FOREIGN KEY ("last_message_id") REFERENCES "messages" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "conversations_teams_team" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "conversations_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "conversation_activities" table
ALTER TABLE "conversation_activities" ADD CONSTRAINT "conversation_activities_agents_actor" FOREIGN KEY ("actor_id") REFERENCES "agents" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "conversation_activities_agents_agent" FOREIGN KEY ("agent_id") REFERENCES "agents" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "conversation_activities_conversations_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "conversation_activities_teams_team" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "conversation_activities_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "conversation_reads" table
ALTER TABLE "conversation_reads" ADD CONSTRAINT "conversation_reads_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "customers" table
ALTER TABLE "customers" ADD CONSTRAINT "customers_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "customer_duplicates" table
ALTER TABLE "customer_duplicates" ADD CONSTRAINT "customer_duplicates_agents_resolved_by" FOREIGN KEY ("resolved_by_id") REFERENCES "agents" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "customer_duplicates_customers_customer" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "customer_duplicates_customers_duplicate" FOREIGN KEY ("duplicate_id") REFERENCES "customers" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "customer_duplicates_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "customer_identities" table
ALTER TABLE "customer_identities" ADD CONSTRAINT "customer_identities_channels_channel" FOREIGN KEY ("channel_id") REFERENCES "channels" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "customer_identities_customers_identities" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "customer_identities_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "customer_merges" table
ALTER TABLE "customer_merges" ADD CONSTRAINT "customer_merges_agents_merged_by" FOREIGN KEY ("merged_by_id") REFERENCES "agents" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "customer_merges_agents_unmerged_by" FOREIGN KEY ("unmerged_by_id") REFERENCES "agents" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "customer_merges_customers_primary" FOREIGN KEY ("primary_id") REFERENCES "customers" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "customer_merges_customers_secondary" FOREIGN KEY ("secondary_id") REFERENCES "customers" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "customer_merges_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "events" table
ALTER TABLE "events" ADD CONSTRAINT "events_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "messages" table
ALTER TABLE "messages" ADD CONSTRAINT "messages_agents_author" FOREIGN KEY ("author_id") REFERENCES "agents" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "messages_channels_channel" FOREIGN KEY ("channel_id") REFERENCES "channels" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "messages_conversations_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "messages_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "outbox_items" table
ALTER TABLE "outbox_items" ADD CONSTRAINT "outbox_items_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "routing_policies" table
ALTER TABLE "routing_policies" ADD CONSTRAINT "routing_policies_channels_channel" FOREIGN KEY ("channel_id") REFERENCES "channels" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "routing_policies_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "tags" table
ALTER TABLE "tags" ADD CONSTRAINT "tags_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "teams" table
ALTER TABLE "teams" ADD CONSTRAINT "teams_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "channel_member_agents" table
ALTER TABLE "channel_member_agents" ADD CONSTRAINT "channel_member_agents_agent_id" FOREIGN KEY ("agent_id") REFERENCES "agents" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "channel_member_agents_channel_id" FOREIGN KEY ("channel_id") REFERENCES "channels" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
-- Modify "channel_member_teams" table
ALTER TABLE "channel_member_teams" ADD CONSTRAINT "channel_member_teams_channel_id" FOREIGN KEY ("channel_id") REFERENCES "channels" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "channel_member_teams_team_id" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
-- Modify "conversation_tags" table
ALTER TABLE "conversation_tags" ADD CONSTRAINT "conversation_tags_conversation_id" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "conversation_tags_tag_id" FOREIGN KEY ("tag_id") REFERENCES "tags" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
-- Modify "customer_tags" table
ALTER TABLE "customer_tags" ADD CONSTRAINT "customer_tags_customer_id" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "customer_tags_tag_id" FOREIGN KEY ("tag_id") REFERENCES "tags" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
-- Modify "team_agents" table
ALTER TABLE "team_agents" ADD CONSTRAINT "team_agents_agent_id" FOREIGN KEY ("agent_id") REFERENCES "agents" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "team_agents_team_id" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
