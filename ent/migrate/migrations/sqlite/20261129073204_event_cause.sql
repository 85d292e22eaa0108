-- Add column "cause" to table: "events"
ALTER TABLE `events` ADD COLUMN `cause` text NULL;
