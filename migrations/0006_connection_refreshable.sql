-- Whether the connection can outlive its access token: 1 with a refresh token
-- (or a token that never expires), 0 when it dies at credential_expires_at
-- and needs a new consent; NULL for connections made before this column.
ALTER TABLE `connections` ADD `refreshable` integer;
