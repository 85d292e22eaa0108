-- Modify "conversation_activities" table
ALTER TABLE "conversation_activities" ADD COLUMN "dedupe_key" character varying NULL;
-- Create index "conversationactivity_workspace_id_dedupe_key" to table: "conversation_activities"
CREATE UNIQUE INDEX "conversationactivity_workspace_id_dedupe_key" ON "conversation_activities" ("workspace_id", "dedupe_key") WHERE (dedupe_key IS NOT NULL);
-- Modify "conversations" table
ALTER TABLE "conversations" ADD COLUMN "key" character varying NULL;
-- Existing conversations get their unguessable key (122 random bits)
UPDATE "conversations" SET "key" = replace(gen_random_uuid()::text, '-', '');
ALTER TABLE "conversations" ALTER COLUMN "key" SET NOT NULL;
-- Create index "conversation_channel_id_key" to table: "conversations"
CREATE UNIQUE INDEX "conversation_channel_id_key" ON "conversations" ("channel_id", "key");
-- Modify "customer_identities" table
ALTER TABLE "customer_identities" ADD COLUMN "opted_out_at" timestamptz NULL;
-- Modify "messages" table
ALTER TABLE "messages" ADD COLUMN "auto_submitted" boolean NOT NULL DEFAULT false, ADD COLUMN "template" jsonb NULL;
-- Create index "outboxitem_channel_id_provider_message_id" to table: "outbox_items"
CREATE INDEX "outboxitem_channel_id_provider_message_id" ON "outbox_items" ("channel_id", "provider_message_id");
-- Create "receiver_leases" table
CREATE TABLE "receiver_leases" ("id" character varying NOT NULL, "workspace_id" character varying NOT NULL, "holder" character varying NOT NULL, "expires_at" timestamptz NOT NULL, "state" character varying NOT NULL DEFAULT 'STOPPED', "last_error" character varying NULL, "last_success_at" timestamptz NULL, "updated_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- Create "channel_states" table
CREATE TABLE "channel_states" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "key" character varying NOT NULL, "value" bytea NOT NULL, "version" bigint NOT NULL, "workspace_id" character varying NOT NULL, "channel_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "channel_states_channels_channel" FOREIGN KEY ("channel_id") REFERENCES "channels" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "channel_states_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "channelstate_channel_id_key" to table: "channel_states"
CREATE UNIQUE INDEX "channelstate_channel_id_key" ON "channel_states" ("channel_id", "key");
-- Create index "channelstate_workspace_id" to table: "channel_states"
CREATE INDEX "channelstate_workspace_id" ON "channel_states" ("workspace_id");
-- Create "pending_receipts" table
CREATE TABLE "pending_receipts" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "channel_id" character varying NOT NULL, "provider_message_id" character varying NOT NULL, "status" character varying NOT NULL, "reason" character varying NULL, "occurred_at" timestamptz NOT NULL, "workspace_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "pending_receipts_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "pendingreceipt_channel_id_provider_message_id" to table: "pending_receipts"
CREATE INDEX "pendingreceipt_channel_id_provider_message_id" ON "pending_receipts" ("channel_id", "provider_message_id");
-- Create index "pendingreceipt_created_at" to table: "pending_receipts"
CREATE INDEX "pendingreceipt_created_at" ON "pending_receipts" ("created_at");
-- Create index "pendingreceipt_workspace_id" to table: "pending_receipts"
CREATE INDEX "pendingreceipt_workspace_id" ON "pending_receipts" ("workspace_id");
