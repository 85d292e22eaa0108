-- Modify "conversation_activities" table
ALTER TABLE "conversation_activities" ADD COLUMN "rule_id" character varying NULL;
-- Create "automation_rules" table
CREATE TABLE "automation_rules" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "position" bigint NOT NULL DEFAULT 0, "trigger" character varying NOT NULL, "idle_minutes" bigint NULL, "conditions" jsonb NOT NULL, "actions" jsonb NOT NULL, "stop_processing" boolean NOT NULL DEFAULT false, "suspended_at" timestamptz NULL, "suspended_reason" character varying NULL, "workspace_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "automation_rules_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "automationrule_workspace_id" to table: "automation_rules"
CREATE INDEX "automationrule_workspace_id" ON "automation_rules" ("workspace_id");
-- Create index "automationrule_workspace_id_position" to table: "automation_rules"
CREATE INDEX "automationrule_workspace_id_position" ON "automation_rules" ("workspace_id", "position");
-- Create "automation_rule_runs" table
CREATE TABLE "automation_rule_runs" ("id" character varying NOT NULL, "event_position" bigint NOT NULL, "outcome" character varying NOT NULL, "changes" jsonb NULL, "error" character varying NULL, "chain" jsonb NULL, "created_at" timestamptz NOT NULL, "workspace_id" character varying NOT NULL, "rule_id" character varying NOT NULL, "conversation_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "automation_rule_runs_automation_rules_rule" FOREIGN KEY ("rule_id") REFERENCES "automation_rules" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "automation_rule_runs_conversations_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "automation_rule_runs_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "automationrulerun_conversation_id_created_at" to table: "automation_rule_runs"
CREATE INDEX "automationrulerun_conversation_id_created_at" ON "automation_rule_runs" ("conversation_id", "created_at");
-- Create index "automationrulerun_rule_id_event_position_conversation_id" to table: "automation_rule_runs"
CREATE UNIQUE INDEX "automationrulerun_rule_id_event_position_conversation_id" ON "automation_rule_runs" ("rule_id", "event_position", "conversation_id");
-- Create index "automationrulerun_workspace_id" to table: "automation_rule_runs"
CREATE INDEX "automationrulerun_workspace_id" ON "automation_rule_runs" ("workspace_id");
