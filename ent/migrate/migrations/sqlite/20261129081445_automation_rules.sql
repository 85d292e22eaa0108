-- Add column "rule_id" to table: "conversation_activities"
ALTER TABLE `conversation_activities` ADD COLUMN `rule_id` text NULL;
-- Create "automation_rules" table
CREATE TABLE `automation_rules` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `enabled` bool NOT NULL DEFAULT (true), `position` integer NOT NULL DEFAULT (0), `trigger` text NOT NULL, `idle_minutes` integer NULL, `conditions` json NOT NULL, `actions` json NOT NULL, `stop_processing` bool NOT NULL DEFAULT (false), `suspended_at` datetime NULL, `suspended_reason` text NULL, `workspace_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `automation_rules_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION);
-- Create index "automationrule_workspace_id" to table: "automation_rules"
CREATE INDEX `automationrule_workspace_id` ON `automation_rules` (`workspace_id`);
-- Create index "automationrule_workspace_id_position" to table: "automation_rules"
CREATE INDEX `automationrule_workspace_id_position` ON `automation_rules` (`workspace_id`, `position`);
-- Create "automation_rule_runs" table
CREATE TABLE `automation_rule_runs` (`id` text NOT NULL, `event_position` integer NOT NULL, `outcome` text NOT NULL, `changes` json NULL, `error` text NULL, `chain` json NULL, `created_at` datetime NOT NULL, `workspace_id` text NOT NULL, `rule_id` text NOT NULL, `conversation_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `automation_rule_runs_workspaces_workspace` FOREIGN KEY (`workspace_id`) REFERENCES `workspaces` (`id`) ON DELETE NO ACTION, CONSTRAINT `automation_rule_runs_automation_rules_rule` FOREIGN KEY (`rule_id`) REFERENCES `automation_rules` (`id`) ON DELETE CASCADE, CONSTRAINT `automation_rule_runs_conversations_conversation` FOREIGN KEY (`conversation_id`) REFERENCES `conversations` (`id`) ON DELETE CASCADE);
-- Create index "automationrulerun_workspace_id" to table: "automation_rule_runs"
CREATE INDEX `automationrulerun_workspace_id` ON `automation_rule_runs` (`workspace_id`);
-- Create index "automationrulerun_rule_id_event_position_conversation_id" to table: "automation_rule_runs"
CREATE UNIQUE INDEX `automationrulerun_rule_id_event_position_conversation_id` ON `automation_rule_runs` (`rule_id`, `event_position`, `conversation_id`);
-- Create index "automationrulerun_conversation_id_created_at" to table: "automation_rule_runs"
CREATE INDEX `automationrulerun_conversation_id_created_at` ON `automation_rule_runs` (`conversation_id`, `created_at`);
