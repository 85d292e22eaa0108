-- Create "files" table
CREATE TABLE "files" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL DEFAULT '', "content_type" character varying NOT NULL, "size" bigint NOT NULL DEFAULT 0, "sha256" character varying NULL, "storage_key" character varying NULL, "width" bigint NULL, "height" bigint NULL, "status" character varying NOT NULL DEFAULT 'READY', "error" character varying NULL, "message_id" character varying NULL, "uploader_agent_id" character varying NULL, "uploader_customer_id" character varying NULL, "channel_id" character varying NULL, "deleted_at" timestamptz NULL, "workspace_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "files_workspaces_workspace" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "file_message_id" to table: "files"
CREATE INDEX "file_message_id" ON "files" ("message_id");
-- Create index "file_status_created_at" to table: "files"
CREATE INDEX "file_status_created_at" ON "files" ("status", "created_at");
-- Create index "file_storage_key" to table: "files"
CREATE INDEX "file_storage_key" ON "files" ("storage_key");
-- Create index "file_workspace_id" to table: "files"
CREATE INDEX "file_workspace_id" ON "files" ("workspace_id");
