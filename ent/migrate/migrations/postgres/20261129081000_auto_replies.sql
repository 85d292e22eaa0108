-- Create "auto_reply_configs" table
CREATE TABLE "auto_reply_configs" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "welcome" jsonb NOT NULL, "out_of_hours" jsonb NOT NULL, "all_agents_busy" jsonb NOT NULL, "keywords" jsonb NOT NULL, "cooldown_minutes" bigint NOT NULL DEFAULT 10, "workspace_id" character varying NOT NULL, "channel_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "auto_reply_configs_channels_channel" FOREIGN KEY ("channel_id") REFERENCES "channels" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "auto_reply_configs_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "autoreplyconfig_channel_id" to table: "auto_reply_configs"
CREATE UNIQUE INDEX "autoreplyconfig_channel_id" ON "auto_reply_configs" ("channel_id");
-- Create index "autoreplyconfig_workspace_id" to table: "auto_reply_configs"
CREATE INDEX "autoreplyconfig_workspace_id" ON "auto_reply_configs" ("workspace_id");
-- Create "auto_reply_sends" table
CREATE TABLE "auto_reply_sends" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "rule_key" character varying NOT NULL, "last_sent_at" timestamptz NOT NULL, "last_event_seq" bigint NOT NULL, "workspace_id" character varying NOT NULL, "conversation_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "auto_reply_sends_conversations_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "auto_reply_sends_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "autoreplysend_conversation_id_rule_key" to table: "auto_reply_sends"
CREATE UNIQUE INDEX "autoreplysend_conversation_id_rule_key" ON "auto_reply_sends" ("conversation_id", "rule_key");
-- Create index "autoreplysend_workspace_id" to table: "auto_reply_sends"
CREATE INDEX "autoreplysend_workspace_id" ON "auto_reply_sends" ("workspace_id");
