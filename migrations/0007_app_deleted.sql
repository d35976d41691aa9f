-- An app deleted with `securix apps delete` stays as a tombstone, so connections an operator
-- chose to keep still belong to it and the audit log's app ids keep resolving.
ALTER TABLE `apps` ADD `deleted_at` integer;
