-- Modify "files" table
ALTER TABLE "files" ADD COLUMN "original" boolean NOT NULL DEFAULT false;
-- Modify "messages" table
ALTER TABLE "messages" ADD COLUMN "html" text NULL;
