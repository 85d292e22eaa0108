-- Modify "messages" table
ALTER TABLE "messages" ADD COLUMN "mentioned_agent_ids" jsonb NULL;
