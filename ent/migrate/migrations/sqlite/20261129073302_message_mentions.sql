-- Add column "mentioned_agent_ids" to table: "messages"
ALTER TABLE `messages` ADD COLUMN `mentioned_agent_ids` json NULL;
